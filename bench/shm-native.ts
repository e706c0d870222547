// Competitor: the lab's ShmBackend (pread and lseek in the native addon).
// Extent discovery on the sparse file, then all-zero scans of the populated
// zero file, each call timed on process.hrtime.
import { ShmBackend } from '../src/shm/backend.js';
import { competitorMain } from './competitor.js';

export interface ShmParams {
  sparse: string;
  zero: string;
  extentCalls: number;
  zeroScans: number;
}

export interface ShmNativeResult {
  extentsNs: number[];
  extents: number;
  populatedBytes: number;
  zeroScanNs: number[];
  zeroBytes: number;
  /** firstNonZero's answer: -1 when the file is all zero, as it must be. */
  firstNonZero: number;
}

competitorMain<ShmParams, ShmNativeResult>(async (p) => {
  const sparse = ShmBackend.open(p.sparse);
  const zero = ShmBackend.open(p.zero);
  try {
    const extentsNs: number[] = [];
    let found = sparse.extents();
    for (let i = 0; i < p.extentCalls; i++) {
      const t0 = process.hrtime.bigint();
      found = sparse.extents();
      extentsNs.push(Number(process.hrtime.bigint() - t0));
    }
    const zeroBytes = zero.size();
    const zeroScanNs: number[] = [];
    let firstNonZero = zero.firstNonZero(); // warm-up pass
    for (let i = 0; i < p.zeroScans; i++) {
      const t0 = process.hrtime.bigint();
      firstNonZero = zero.firstNonZero(0, zeroBytes);
      zeroScanNs.push(Number(process.hrtime.bigint() - t0));
    }
    return {
      extentsNs,
      extents: found.length,
      populatedBytes: found.reduce((s, e) => s + e.length, 0),
      zeroScanNs,
      zeroBytes,
      firstNonZero,
    };
  } finally {
    sparse.close();
    zero.close();
  }
});
