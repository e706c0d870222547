// Where downloaded kernels and built guest images live: outside the
// repository, shared by runs and tests, rebuilt when missing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile, readFile, mkdtemp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEVMEM_LAB_CACHE) return env.DEVMEM_LAB_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'devmem-lab');
}

export function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(typeof p === 'string' ? Buffer.from(p) : p);
    h.update('\0');
  }
  return h.digest('hex');
}

/** Writes a file atomically: a reader sees the old or the new content, never half. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  // Unique per write: two writers of one file in the same millisecond (matrix
  // cells finishing together) must not share a temporary name.
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Builds a cache entry in a scratch directory and renames it into place, so
 * an interrupted build never leaves a half entry that later runs would trust.
 */
export async function buildCacheEntry(dir: string, build: (scratch: string) => Promise<void>): Promise<void> {
  const parent = join(dir, '..');
  await mkdir(parent, { recursive: true });
  const scratch = await mkdtemp(join(parent, '.building-'));
  try {
    await build(scratch);
    await rm(dir, { recursive: true, force: true });
    await rename(scratch, dir);
  } catch (e) {
    await rm(scratch, { recursive: true, force: true });
    throw e;
  }
}
