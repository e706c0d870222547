// A kernel's cache entry: a directory holding the image, its config and
// lib/modules/<release>, with kernel.json describing them. Paths in
// kernel.json are relative to the entry (the entry is built in a scratch
// directory and renamed into place) and made absolute on read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readJsonIfExists, writeFileAtomic } from '../util/cache.js';
import { LabError } from '../util/errors.js';
import { run } from '../util/exec.js';
import type { ResolvedKernel } from './types.js';

export type Manifest = Omit<ResolvedKernel, 'spec' | 'deviceOptions'>;

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

export function absolutize(dir: string, k: ResolvedKernel): ResolvedKernel {
  const abs = (p: string) => (p.startsWith('/') ? p : join(dir, p));
  return { ...k, image: abs(k.image), config: abs(k.config), modulesDir: abs(k.modulesDir) };
}

export async function loadCachedKernel(dir: string, specText: string): Promise<ResolvedKernel | undefined> {
  const m = await readJsonIfExists<Manifest>(join(dir, 'kernel.json'));
  return m ? absolutize(dir, { ...m, spec: specText }) : undefined;
}

/** Writes kernel.json into a scratch entry; absolute paths under `scratch` become relative. */
export async function writeManifest(scratch: string, m: Manifest): Promise<void> {
  const rel = (p: string) => (p.startsWith(scratch + '/') ? relative(scratch, p) : p);
  const out: Manifest = { ...m, image: rel(m.image), config: rel(m.config), modulesDir: rel(m.modulesDir) };
  await writeFileAtomic(join(scratch, 'kernel.json'), JSON.stringify(out, null, 2) + '\n');
}

/**
 * Runs depmod when a modules directory has no modules.dep (Debian's packages
 * ship none: their postinst runs it); the guest image builder needs it.
 */
export async function ensureDepmod(modulesDir: string, release: string): Promise<void> {
  if (await exists(join(modulesDir, 'modules.dep'))) return;
  const suffix = `/lib/modules/${release}`;
  if (!modulesDir.endsWith(suffix)) throw new LabError('E_KERNEL_LAYOUT', 'run', `unexpected modules directory ${modulesDir}`);
  await run('depmod', ['-b', modulesDir.slice(0, -suffix.length), release], { what: 'depmod' });
}

/**
 * A cheap fingerprint of a directory's files: relative path, size and
 * modification time of each (symlinks by their target text). Hashing the
 * contents of a few hundred MiB of modules on every run would cost more
 * than the rest of the resolution.
 */
export async function dirFingerprint(dir: string, skip: (rel: string) => boolean = () => false): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    const ents = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of ents) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (skip(rel)) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await stat(p);
        h.update(`${rel}\0${st.size}\0${st.mtimeMs}\n`);
      } else if (e.isSymbolicLink()) h.update(`${rel}\0link\n`);
    }
  };
  await walk(dir);
  return h.digest('hex');
}
