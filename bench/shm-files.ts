// The host-scan fixture: in a private (0700, mkdtemp) directory under
// /dev/shm, a sparse 16 GiB file with a few scattered populated 2 MiB blocks
// (the shape of a virtio-mem backend with a little memory plugged), and a
// 256 MiB file of populated zero pages (the shape of plugged memory the
// guest never wrote). 16 + 256 MiB of tmpfs in all, removed by dispose().
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1 << 20;
export const SPARSE_SIZE = 16 * 1024 * MiB;
export const BLOCK = 2 * MiB;
/** Block indexes (2 MiB each) that are populated: scattered, first and last included. */
export const POPULATED_BLOCKS = [0, 37, 1000, 1001, 2999, 4096, 6500, 8191];
export const ZERO_SIZE = 256 * MiB;

export interface ShmFiles {
  dir: string;
  sparse: string;
  zero: string;
  /** Populated extents of the sparse file after adjacent blocks merge. */
  expectedExtents: number;
  dispose(): void;
}

export function createShmFiles(): ShmFiles {
  const dir = mkdtempSync('/dev/shm/devmem-lab-bench-');
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const sparse = join(dir, 'sparse-16G');
    const zero = join(dir, 'zero-256M');
    let fd = openSync(sparse, 'w', 0o600);
    try {
      ftruncateSync(fd, SPARSE_SIZE);
      const block = Buffer.alloc(BLOCK, 0xa5);
      for (const b of POPULATED_BLOCKS) writeSync(fd, block, 0, BLOCK, b * BLOCK);
    } finally {
      closeSync(fd);
    }
    fd = openSync(zero, 'w', 0o600);
    try {
      // Writing zeros (not ftruncate) allocates the pages: populated, all zero.
      const chunk = Buffer.alloc(MiB);
      for (let off = 0; off < ZERO_SIZE; off += MiB) writeSync(fd, chunk, 0, MiB, off);
    } finally {
      closeSync(fd);
    }
    const sorted = [...POPULATED_BLOCKS].sort((a, b) => a - b);
    const expectedExtents = sorted.filter((b, i) => i === 0 || sorted[i - 1] !== b - 1).length;
    return { dir, sparse, zero, expectedExtents, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}
