// The channel to the guest: SSH (ssh2) to dropbear over the loopback port
// QEMU forwards, authenticated by a per-run key, with the guest's host key
// pinned from the image build. Guest commands are built with shq() — nothing
// from the guest is ever passed to a host shell.
import ssh2 from 'ssh2';
import { LabError } from '../util/errors.js';
import { sleep } from '../util/wait.js';

const { Client, utils } = ssh2;

export interface RunKey {
  privateKey: string;
  publicKey: string;
}

type KeyPair = { private: string; public: string };

const ed25519 = (): KeyPair => utils.generateKeyPairSync('ed25519', { comment: 'devmem-lab-run' });

/** Whether ssh2 can use the private key (see generateRunKey()). */
export const keyUsable = (privateKey: string): boolean => !(utils.parseKey(privateKey) instanceof Error);

/**
 * A fresh ed25519 key for one run; it never touches the disk.
 *
 * ssh2 1.17's generateKeyPairSync() (lib/keygen.js) strips every leading
 * zero byte of the public key's BIT STRING, meaning to drop the unused-bits
 * byte. When the 32-byte key itself starts with 0x00 (1 key in 256) it
 * writes a 31-byte key, which its own parser then refuses ("Malformed
 * OpenSSH private key"): the guest booted, and no SSH session ever came
 * (the connect retries until its timeout, the relaunch used the same key).
 * Such a key is thrown away and another drawn.
 */
export function generateRunKey(generate: () => KeyPair = ed25519): RunKey {
  for (let i = 0; i < 8; i++) {
    const k = generate();
    if (keyUsable(k.private)) return { privateKey: k.private, publicKey: k.public };
  }
  throw new LabError('E_SSH_KEY', 'environment', 'could not generate a usable ed25519 key in 8 tries', { hint: 'check the ssh2 package (npm ci)' });
}

const errorText = (e: unknown): string => {
  const err = e as { message?: string; level?: string; code?: string };
  return [err.level, err.code, err.message ?? String(e)].filter(Boolean).join(' ');
};

/** Quotes one word for the guest's /bin/sh. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

export class GuestCommandError extends LabError {
  constructor(command: string, r: ExecResult) {
    super('E_GUEST_COMMAND', 'run', `guest command failed (exit ${r.code}): ${command}`, {
      context: { command, ...r, stdout: r.stdout.slice(-2000), stderr: r.stderr.slice(-2000) },
    });
  }
}

export class GuestChannel {
  private closed = false;
  private constructor(private readonly client: InstanceType<typeof Client>) {
    client.on('close', () => (this.closed = true));
  }

  /**
   * Connects, retrying until the deadline: dropbear starts a moment after
   * init says so, and QEMU's forward accepts before the guest does.
   */
  static async connect(opts: {
    port: number;
    key: RunKey;
    hostKey: string;
    timeoutMs: number;
    signal?: AbortSignal;
    check?: () => void;
  }): Promise<GuestChannel> {
    const pinned = Buffer.from(opts.hostKey.split(' ')[1] ?? '', 'base64');
    const deadline = Date.now() + opts.timeoutMs;
    let last: unknown;
    // Each distinct failure and how often it came: what a failed connect
    // reports, so the cause is in the report and not only in the cause chain.
    const failures = new Map<string, number>();
    while (Date.now() < deadline) {
      opts.signal?.throwIfAborted();
      opts.check?.();
      try {
        return await GuestChannel.once(opts.port, opts.key, pinned, Math.max(1000, deadline - Date.now()));
      } catch (e) {
        last = e;
        if ((e as LabError).code === 'E_SSH_HOSTKEY') throw e;
        const what = errorText(e);
        failures.set(what, (failures.get(what) ?? 0) + 1);
        await sleep(200, opts.signal);
      }
    }
    const seen = [...failures].map(([what, n]) => `${what} (×${n})`).join('; ');
    throw new LabError('E_SSH_CONNECT', 'run', `no SSH connection to the guest within ${opts.timeoutMs} ms${seen ? `: ${seen}` : ''}`, {
      cause: last,
      context: { port: opts.port, attempts: Object.fromEntries(failures) },
    });
  }

  private static once(port: number, key: RunKey, pinned: Buffer, timeoutMs: number): Promise<GuestChannel> {
    return new Promise((resolve, reject) => {
      const c = new Client();
      let hostKeyMismatch = false;
      c.on('ready', () => resolve(new GuestChannel(c)));
      c.on('error', (e) => {
        c.end();
        reject(
          hostKeyMismatch
            ? new LabError('E_SSH_HOSTKEY', 'run', 'the guest presented a host key other than the one pinned at image build', { cause: e })
            : e,
        );
      });
      c.connect({
        host: '127.0.0.1',
        port,
        username: 'root',
        privateKey: key.privateKey,
        // Short per attempt: a handshake that stalls (a connection made while
        // the guest's network was still coming up) is retried, not waited on.
        readyTimeout: Math.min(timeoutMs, 8_000),
        hostVerifier: (k: Buffer) => {
          const ok = k.equals(pinned);
          if (!ok) hostKeyMismatch = true;
          return ok;
        },
      });
    });
  }

  /**
   * Runs a command; stdin optional; never throws for a non-zero exit. The
   * timeout covers the whole exchange, opening the channel included: a
   * guest that stopped answering never opens it.
   */
  exec(command: string, opts: { stdin?: string; timeoutMs?: number; onStdoutLine?: (l: string) => void } = {}): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new LabError('E_SSH_CLOSED', 'run', 'the SSH connection to the guest is closed'));
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let partial = '';
      let done = false;
      let channel: { close(): void } | undefined;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        this.client.off('close', onClose);
        fn();
      };
      const onClose = () =>
        finish(() => reject(new LabError('E_SSH_CLOSED', 'run', `the SSH connection closed while running: ${command}`, { context: { command, stdout: stdout.slice(-2000) } })));
      this.client.on('close', onClose);
      const timer = opts.timeoutMs
        ? setTimeout(
            () =>
              finish(() => {
                channel?.close();
                reject(new LabError('E_TIMEOUT', 'run', `guest command did not finish within ${opts.timeoutMs} ms: ${command}`, {
                  context: { wait: 'guest command', command, stdout: stdout.slice(-2000), stderr: stderr.slice(-2000) },
                }));
              }),
            opts.timeoutMs,
          )
        : undefined;
      this.client.exec(command, (err, stream) => {
        if (err) return finish(() => reject(new LabError('E_SSH_EXEC', 'run', `cannot run ${command} in the guest`, { cause: err })));
        if (done) return stream.close();
        channel = stream;
        stream.on('data', (d: Buffer) => {
          const text = d.toString('utf8');
          stdout += text;
          if (opts.onStdoutLine) {
            const lines = (partial + text).split('\n');
            partial = lines.pop()!;
            lines.forEach(opts.onStdoutLine);
          }
        });
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        stream.on('close', (code: number | null, signal?: string) =>
          finish(() => {
            if (partial && opts.onStdoutLine) opts.onStdoutLine(partial);
            resolve({ stdout, stderr, code, signal });
          }),
        );
        if (opts.stdin !== undefined) stream.end(opts.stdin);
        else stream.end();
      });
    });
  }

  /** Starts a long-lived command and hands back its channel (stdin/stdout stay open). */
  stream(command: string): Promise<import('ssh2').ClientChannel> {
    if (this.closed) return Promise.reject(new LabError('E_SSH_CLOSED', 'run', 'the SSH connection to the guest is closed'));
    return new Promise((resolve, reject) =>
      this.client.exec(command, (err, stream) => (err ? reject(new LabError('E_SSH_EXEC', 'run', `cannot run ${command} in the guest`, { cause: err })) : resolve(stream))),
    );
  }

  /** Runs a command and throws GuestCommandError on a non-zero exit. */
  async check(command: string, opts: { stdin?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.exec(command, opts);
    if (r.code !== 0) throw new GuestCommandError(command, r);
    return r.stdout;
  }

  close(): void {
    this.client.end();
  }
}
