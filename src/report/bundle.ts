// The artifact bundle: one .tar.gz with everything a bug report about a run
// (or a matrix) needs — reports, events, console logs, JUnit and HTML.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { create } from 'tar';
import { RUN_FILES } from './renderers.js';

const WANTED = new Set([...RUN_FILES, 'matrix.json', 'index.html']);

async function collect(root: string, dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await collect(root, p, out);
    else if (WANTED.has(e.name)) out.push(relative(dirname(root), p));
  }
}

/** Writes `<dir>.tar.gz` (or `dest`) holding the run or matrix directory's artifacts. */
export async function bundle(dir: string, dest?: string): Promise<{ path: string; files: number; bytes: number }> {
  const files: string[] = [];
  await collect(dir, dir, files);
  const path = dest ?? `${dir.replace(/\/+$/, '')}.tar.gz`;
  await create({ gzip: true, file: path, cwd: dirname(dir), portable: true }, files.length ? files : [basename(dir)]);
  return { path, files: files.length, bytes: (await stat(path)).size };
}
