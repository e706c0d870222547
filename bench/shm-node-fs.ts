// Competitor: the all-zero scan with Node's fs alone (no addon): readSync
// of 256 KiB chunks (the addon's chunk size) compared with a zero Buffer.
// Node has no lseek, so it cannot skip holes; on the populated zero file
// there are none to skip, which makes this a fair comparison.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { competitorMain } from './competitor.js';
import type { ShmParams } from './shm-native.js';

const CHUNK = 256 << 10;

export interface ShmNodeFsResult {
  zeroScanNs: number[];
  zeroBytes: number;
  firstNonZero: number;
}

function scan(fd: number, size: number, buf: Buffer, zeros: Buffer): number {
  for (let off = 0; off < size; off += CHUNK) {
    const got = readSync(fd, buf, 0, Math.min(CHUNK, size - off), off);
    const view = got === CHUNK ? buf : buf.subarray(0, got);
    if (!view.equals(got === CHUNK ? zeros : zeros.subarray(0, got))) {
      for (let i = 0; i < got; i++) if (buf[i] !== 0) return off + i;
    }
    if (got < Math.min(CHUNK, size - off)) break;
  }
  return -1;
}

competitorMain<ShmParams, ShmNodeFsResult>(async (p) => {
  const fd = openSync(p.zero, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(CHUNK);
    const zeros = Buffer.alloc(CHUNK);
    let firstNonZero = scan(fd, size, buf, zeros); // warm-up pass
    const zeroScanNs: number[] = [];
    for (let i = 0; i < p.zeroScans; i++) {
      const t0 = process.hrtime.bigint();
      firstNonZero = scan(fd, size, buf, zeros);
      zeroScanNs.push(Number(process.hrtime.bigint() - t0));
    }
    return { zeroScanNs, zeroBytes: size, firstNonZero };
  } finally {
    closeSync(fd);
  }
});
