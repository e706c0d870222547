// Compiles the C floors (bench/*.c) with the host's cc into a private temp
// dir at run time: tsc only emits .ts, and a floor built with the same
// compiler flags on the same machine is the honest baseline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/util/exec.js';
import { pkgPath } from '../src/util/paths.js';
import type { Cleanup } from './cleanup.js';

export const C_FLAGS = ['-O2', '-Wall', '-Wextra', '-std=gnu11'];

let dir: Promise<string> | undefined;

/** Builds bench/<name>.c once per driver run; returns the executable's path. */
export async function compileFloor(name: string, cleanup: Cleanup): Promise<string> {
  dir ??= mkdtemp(join(tmpdir(), 'devmem-lab-bench-cc-')).then((d) => {
    cleanup.add('compiled floors', () => rm(d, { recursive: true, force: true }));
    return d;
  });
  const out = join(await dir, name);
  await run('cc', [...C_FLAGS, '-o', out, pkgPath('bench', `${name}.c`)], { what: `compiling bench/${name}.c` });
  return out;
}
