// apt's download sandbox when the lab runs as root. apt then runs its
// download methods (http, file, ...) as the unprivileged `_apt` user, and
// `_apt` must be able to reach the directory it writes into. The cache lives
// under root's home (0700), which `_apt` cannot enter, so downloads are
// staged in a fresh directory under the system temp directory owned by
// `_apt` (0700), then moved into the cache by root. Without root apt runs as
// the user and needs no staging. A host without an `_apt` user (not Debian's
// apt) gets no staging either: apt has nobody to drop to there.
import { chown, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AptSandboxUser {
  uid: number;
  gid: number;
}

/** `_apt`'s uid and gid from a passwd file's text, or undefined. */
export function parseAptUser(passwd: string): AptSandboxUser | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === '_apt' && f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3])) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** The user apt drops to for downloads, when this process is root; otherwise undefined. */
export async function aptSandboxUser(passwdPath = '/etc/passwd'): Promise<AptSandboxUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  return parseAptUser(await readFile(passwdPath, 'utf8').catch(() => ''));
}

/**
 * Runs `work` with a directory the sandbox user can write into (or `dest`
 * itself when no staging is needed), then moves every file it left into
 * `dest`. The staging directory is removed whatever happens.
 */
export async function withAptStage<T>(dest: string, user: AptSandboxUser | undefined, work: (dir: string) => Promise<T>): Promise<T> {
  if (!user) return work(dest);
  const stage = await mkdtemp(join(tmpdir(), 'devmem-lab-apt-'));
  try {
    await chown(stage, user.uid, user.gid);
    const out = await work(stage);
    await mkdir(dest, { recursive: true });
    for (const e of await readdir(stage, { withFileTypes: true })) {
      if (e.isFile()) await move(join(stage, e.name), join(dest, e.name));
    }
    return out;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** rename, or copy and unlink when the temp directory is another file system. */
async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(from, to);
    await unlink(from);
  }
}

/** Words apt prints when it could not keep its sandbox; the lab treats them as its own bug. */
export const UNSANDBOXED = /performed unsandboxed as root/;
