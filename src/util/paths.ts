// The package root, found from this file whether it runs from src/ (vitest)
// or from dist/src/ (after tsc).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'guest-image'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the devmem-lab package root');
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();
export const pkgPath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);
