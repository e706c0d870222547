// Starts and owns one QEMU process: its private /dev/shm directory (backend
// file, QMP socket, initrd), its console stream and its end. dispose() is
// the one way out and always leaves no process and no file behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsc, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { access, constants, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ARCH_INFO, DEFAULT_ARCH, qemuBinary, type Arch } from '../util/arch.js';
import { LabError } from '../util/errors.js';
import { pollUntil } from '../util/wait.js';
import { qemuArgv, type Accel, type LaunchPaths } from './args.js';
import type { MachineProfile } from './profile.js';

/** The QEMU binary of a profile's architecture (util/arch.ts: DEVMEM_LAB_QEMU, DEVMEM_LAB_QEMU_ARM64 override it), as a path. */
export function qemuPath(arch: Arch = DEFAULT_ARCH): string {
  const bin = qemuBinary(arch);
  return bin.includes('/') ? bin : `/usr/bin/${bin}`;
}
const CONSOLE_TAIL = 200;

/** A free TCP port on 127.0.0.1 for the SSH forward. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class QemuDiedError extends LabError {
  constructor(exit: VmExit, argv: string[], consoleTail: string[], stderr: string) {
    super('E_QEMU_EXITED', 'run', `QEMU exited (code ${exit.code}, signal ${exit.signal})`, {
      context: { exit, argv, consoleTail: consoleTail.slice(-20), stderr: stderr.slice(-2000) },
    });
  }
}

export interface LaunchOptions {
  profile: MachineProfile;
  kernelImage: string;
  /** Base image followed by the per-run archive. */
  initrdParts: (string | Buffer)[];
  accel: Accel;
  extraCmdline?: string[];
  consoleLog: string;
  onConsoleLine?: (line: string) => void;
  /** Started to restore a saved state (qemuArgv's incoming). */
  incoming?: boolean;
}

export class Vm {
  readonly consoleTail: string[] = [];
  exit?: VmExit;
  readonly exited: Promise<VmExit>;
  private stderr = '';
  private disposed = false;

  private constructor(
    readonly proc: ChildProcess,
    readonly argv: string[],
    readonly paths: LaunchPaths,
    readonly sshPort: number,
    readonly accel: Accel,
    private readonly log: WriteStream,
    onLine: ((line: string) => void) | undefined,
  ) {
    let partial = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const text = partial + chunk.toString('utf8');
      const lines = text.split(/\r?\n/);
      partial = lines.pop()!;
      for (const l of lines) {
        this.consoleTail.push(l);
        if (this.consoleTail.length > CONSOLE_TAIL) this.consoleTail.shift();
        onLine?.(l);
      }
    });
    proc.stderr!.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-8000);
    });
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      proc.on('error', (e) => {
        this.stderr += String(e);
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
  }

  static async launch(opts: LaunchOptions): Promise<Vm> {
    const arch = opts.profile.arch ?? DEFAULT_ARCH;
    const qemu = qemuPath(arch);
    await access(qemu, constants.X_OK).catch(() => {
      throw new LabError('E_TOOL_MISSING', 'environment', `${qemu} is not installed`, {
        hint: `run the set-up: bin/setup (as root it installs ${ARCH_INFO[arch].qemuPackage})`,
      });
    });
    // mkdtemp creates the directory 0700: the backend and QMP socket are
    // private to this user.
    const dir = await mkdtemp('/dev/shm/devmem-lab-');
    try {
      const paths: LaunchPaths = {
        dir,
        backend: join(dir, 'backend'),
        qmpSocket: join(dir, 'qmp.sock'),
        kernel: opts.kernelImage,
        initrd: join(dir, 'initrd.cpio'),
      };
      const parts = await Promise.all(opts.initrdParts.map((p) => (typeof p === 'string' ? readFile(p) : p)));
      await writeFile(paths.initrd, Buffer.concat(parts), { mode: 0o600 });
      const sshPort = await freeLoopbackPort();
      const argv = qemuArgv({ profile: opts.profile, accel: opts.accel, paths, sshPort, extraCmdline: opts.extraCmdline, incoming: opts.incoming });
      // O_NOFOLLOW: a symlink planted in a shared --out must not redirect the console.
      // Opened before QEMU starts: a refusal then leaves no process behind.
      const log = createWriteStream('', { fd: openSync(opts.consoleLog, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW, 0o644) });
      // setpriv (util-linux) sets PR_SET_PDEATHSIG before exec'ing QEMU: if the
      // lab is killed outright (SIGKILL, OOM), the kernel kills QEMU too.
      const proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', qemu, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      return new Vm(proc, argv, paths, sshPort, opts.accel, log, opts.onConsoleLine);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Removes the private directory's files once QEMU and the lab hold what
   * they need (QEMU has mapped the backend and loaded the initrd; the lab
   * holds the QMP connection and its own fd on the backend). From then on a
   * crash of anything leaves nothing in /dev/shm, and the backend's memory
   * is freed when the last holder exits.
   */
  async detachFiles(): Promise<void> {
    await rm(this.paths.dir, { recursive: true, force: true });
  }

  /** Throws if QEMU is gone: every wait calls this first. */
  checkAlive(): void {
    if (this.exit) throw new QemuDiedError(this.exit, this.argv, this.consoleTail, this.stderr);
  }

  get qemuStderr(): string {
    return this.stderr;
  }

  async waitForConsole(name: string, re: RegExp, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    return pollUntil(name, () => this.consoleTail.find((l) => re.test(l)), {
      timeoutMs,
      intervalMs: 50,
      signal,
      check: () => this.checkAlive(),
    });
  }

  /** TERM, then KILL after a grace period. */
  async kill(graceMs = 2000): Promise<VmExit> {
    if (!this.exit) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    return this.exit!;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.kill();
    await new Promise<void>((r) => this.log.end(r));
    await rm(this.paths.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
