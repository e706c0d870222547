// Saved post-boot guests ("boot once, run many"). The first boot of a
// (kernel, guest image, machine, command line, QEMU) is saved at the moment
// its init says "ready": network and dropbear up, virtio_mem not loaded,
// nothing plugged, no SSH session ever opened. Later runs restore that state
// in a new QEMU instead of booting.
//
// Save: migrate-set-capabilities x-ignore-shared (the virtio-mem backend is
// a shared file: it is not written into the state, and at that moment it is
// empty), stop, migrate to "exec:cat > FILE", then cont: the saving run
// goes on as a booted run. Restore: the same QEMU arguments plus -incoming
// defer, migrate-incoming from the file, cont. The restored QEMU has its own
// fresh, sparse backend, its own QMP socket and SSH port.
//
// The state's dropbear still trusts the key of the boot that made it; that
// key is kept beside the state (0600). Each restore opens one new session
// with it, whose first command installs the run's own fresh key and run id
// and marks dmesg; that session is the run's (any later session would use
// the run's key).
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { keyUsable, type RunKey } from '../guest/ssh.js';
import type { QmpClient } from '../qmp/client.js';
import { cacheRoot, sha256 } from '../util/cache.js';
import { LabError } from '../util/errors.js';
import { pollUntil } from '../util/wait.js';
import { qemuPath, type Vm } from '../vm/qemu.js';
import type { Arch } from '../util/arch.js';

/** What a saved state records beside itself. */
export interface SavedMeta {
  key: string;
  savedAt: string;
  /** The accelerator the saved guest ran under: a restore uses the same. */
  accel: 'tcg' | 'kvm';
  /** The saving boot's console up to "ready", replayed into a restored run's console.log. */
  bootConsole: string[];
  /** QEMU's arguments with the per-run paths and port replaced (for the report). */
  argv: string[];
  /** ms from QEMU's launch to init "ready" in the saving boot. */
  bootMs: number;
  stateBytes: number;
}

export interface SavedGuest {
  dir: string;
  meta: SavedMeta;
  key: RunKey;
  statePath: string;
}

/** Everything that shapes a saved guest; a change to any of it makes a new state. */
export interface SavedKeyParts {
  kernelImageSha256: string;
  imageKey: string;
  /** qemuArgv() with placeholder paths and port (machine, memory, devices, command line). */
  argv: string[];
  accel: string;
  /** The profile's architecture: which QEMU binary (absent: x86_64). */
  arch?: Arch;
}

/** Placeholders for the per-run parts of QEMU's command line. */
export const ARGV_PLACEHOLDERS = { dir: '/dev/shm/devmem-lab-RUN', port: 22222 };

async function qemuIdentity(arch?: Arch): Promise<string> {
  const bin = qemuPath(arch);
  const s = await stat(bin).catch(() => undefined);
  return s ? `${bin}:${s.size}:${Math.floor(s.mtimeMs)}` : bin;
}

export async function savedKey(p: SavedKeyParts): Promise<string> {
  return sha256('saved-guest-v1', p.kernelImageSha256, p.imageKey, JSON.stringify(p.argv), p.accel, await qemuIdentity(p.arch)).slice(0, 24);
}

export const savedDir = (key: string, root = cacheRoot()) => join(root, 'saved', key);

/** The saved guest of this key, if one is complete. */
export async function findSaved(key: string, root = cacheRoot()): Promise<SavedGuest | undefined> {
  const dir = savedDir(key, root);
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as SavedMeta;
    const k = JSON.parse(await readFile(join(dir, 'key.json'), 'utf8')) as RunKey;
    const statePath = join(dir, 'state');
    const s = await stat(statePath);
    // A state saved with a key ssh2 cannot use (generateRunKey()) can never be entered.
    if (meta.key !== key || s.size !== meta.stateBytes || !keyUsable(k.privateKey)) return undefined;
    // Last use, for pruneSaved().
    const now = new Date();
    await utimes(join(dir, 'meta.json'), now, now);
    return { dir, meta, key: k, statePath };
  } catch {
    return undefined;
  }
}

async function waitMigration(qmp: QmpClient, what: string, timeoutMs: number, vm: Vm): Promise<void> {
  await pollUntil(
    what,
    async () => {
      const r = await qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
      if (r.status === 'failed' || r.status === 'cancelled') {
        throw new LabError('E_SAVED_STATE', 'run', `${what}: migration ${r.status}${r['error-desc'] ? `: ${r['error-desc']}` : ''}`, {
          hint: 'run with --fresh-boot; a state that fails to restore is rebuilt by the next run without it',
        });
      }
      return r.status === 'completed' ? true : undefined;
    },
    { timeoutMs, intervalMs: 20, check: () => vm.checkAlive() },
  );
}

/**
 * Saves the stopped guest into the cache and resumes it. Written to a
 * temporary directory first and renamed: a reader sees a whole state or
 * none, also when two runs save the same key at once.
 */
export async function saveGuest(o: { qmp: QmpClient; vm: Vm; key: string; runKey: RunKey; bootConsole: string[]; argv: string[]; bootMs: number; timeoutMs: number; root?: string }): Promise<SavedGuest> {
  const final = savedDir(o.key, o.root);
  const tmp = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  try {
    const statePath = join(tmp, 'state');
    await o.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
    await o.qmp.execute('stop');
    // The path is the lab's own (cache root, hex key, pid, random): no shell
    // metacharacter can be in it, but quote it anyway.
    await o.qmp.execute('migrate', { uri: `exec:cat > '${statePath}'` });
    await waitMigration(o.qmp, 'saving the booted guest', o.timeoutMs, o.vm);
    await o.qmp.execute('cont');
    const s = await stat(statePath);
    const meta: SavedMeta = { key: o.key, savedAt: new Date().toISOString(), accel: o.vm.accel, bootConsole: o.bootConsole, argv: o.argv, bootMs: o.bootMs, stateBytes: s.size };
    await writeFile(join(tmp, 'key.json'), JSON.stringify(o.runKey), { mode: 0o600 });
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    await pruneSaved(o.root);
    return { dir: final, meta, key: o.runKey, statePath: join(final, 'state') };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Drops a saved guest that failed to restore, unless another run has saved
 * a new one under the same key since it was found (its savedAt differs).
 */
export async function dropSaved(saved: SavedGuest): Promise<void> {
  const now = await readFile(join(saved.dir, 'meta.json'), 'utf8').then((t) => (JSON.parse(t) as SavedMeta).savedAt, () => undefined);
  if (now === undefined || now === saved.meta.savedAt) await rm(saved.dir, { recursive: true, force: true });
}

/** Saved guests kept in the cache (about 100 MB each); the least recently used go first. */
export const SAVED_KEEP = 16;

/** Removes all but the `keep` most recently used saved guests. */
export async function pruneSaved(root = cacheRoot(), keep = SAVED_KEEP): Promise<string[]> {
  const base = join(root, 'saved');
  const names = (await readdir(base).catch(() => [] as string[])).filter((n) => /^[0-9a-f]+$/.test(n));
  const used = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(base, n, 'meta.json')).catch(() => undefined))?.mtimeMs ?? 0 })));
  const gone = used.sort((a, b) => b.t - a.t).slice(keep).map((u) => u.n);
  await Promise.all(gone.map((n) => rm(join(base, n), { recursive: true, force: true })));
  return gone;
}

/** Loads the state into a QEMU started with -incoming defer and runs it. */
export async function restoreGuest(o: { qmp: QmpClient; vm: Vm; saved: SavedGuest; timeoutMs: number }): Promise<void> {
  await o.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
  await o.qmp.execute('migrate-incoming', { uri: `exec:cat '${o.saved.statePath}'` });
  await pollUntil(
    'restoring the saved guest',
    async () => {
      const r = await o.qmp.execute<{ status: string }>('query-status');
      if (r.status === 'running') return true;
      if (r.status === 'paused' || r.status === 'postmigrate' || r.status === 'prelaunch') {
        // -incoming ends paused when QEMU was told not to autostart; resume it.
        const m = await o.qmp.execute<{ status?: string }>('query-migrate');
        if (m.status === 'completed') await o.qmp.execute('cont');
      }
      if (r.status === 'inmigrate') {
        const m = await o.qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
        if (m.status === 'failed') {
          throw new LabError('E_SAVED_STATE', 'run', `restoring the saved guest ${o.saved.meta.key} failed${m['error-desc'] ? `: ${m['error-desc']}` : ''}`, {
            hint: `run with --fresh-boot, or remove ${o.saved.dir}`,
          });
        }
      }
      return undefined;
    },
    { timeoutMs: o.timeoutMs, intervalMs: 20, check: () => o.vm.checkAlive() },
  );
}

/** The shell line a restored guest runs to take the run's own key and id (values are checked, not trusted). */
export function refreshCommand(runId: string, publicKey: string): string {
  if (!/^[\w.-]+$/.test(runId)) throw new LabError('E_SAVED_STATE', 'run', `not a run id: ${runId}`);
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+( [\w.@-]+)?$/.test(publicKey.trim())) throw new LabError('E_SAVED_STATE', 'run', 'not an ed25519 public key');
  return [
    `printf '%s\\n' '${publicKey.trim()}' > /root/.ssh/authorized_keys.new`,
    'chmod 600 /root/.ssh/authorized_keys.new',
    'mv /root/.ssh/authorized_keys.new /root/.ssh/authorized_keys',
    `echo ${runId} > /etc/devmem-lab/run-id`,
    `echo "devmem-lab: restored for run ${runId}" > /dev/kmsg`,
  ].join(' && ');
}
