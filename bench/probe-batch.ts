// The probe batches both probe-rate competitors run: `count` probes of one
// op, 4 KiB each, cycling over the pages of the guest's low 1 MiB (x86's
// devmem_is_allowed() lets /dev/mem reach it on every kernel, so every op
// does its full work there: reads copy, touches fault in and read the page).
import type { ProbeOp, ProbeSpec } from '../src/probe/types.js';

export const BENCH_OPS: readonly ProbeOp[] = ['read', 'mmap-shared', 'mmap-private', 'touch-shared', 'touch-private'];
const PAGE = 4096;
const LOW_PAGES = 256;

export interface ProbeParams {
  sshPort: number;
  key: { privateKey: string; publicKey: string };
  hostKey: string;
  ops: ProbeOp[];
  count: number;
}

export interface ProbeRateResult {
  /** Wall time of one batch of `count` probes, per op (ms). */
  batchMs: Record<string, number>;
  /** agent-alone only: the same run timed from the host around its SSH exec (ms). */
  hostBatchMs?: Record<string, number>;
  /** agent-alone only: the agent's answers to a file, then sent in one burst and parsed on the host (ms). */
  burstBatchMs?: Record<string, number>;
  /** lab only: round trips of GuestChannel.exec('true') (ms), the fixed cost of one guest command. */
  execTrueMs?: number[];
  count: number;
}

export function probeBatch(op: ProbeOp, count: number): ProbeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i,
    op,
    addr: (i % LOW_PAGES) * PAGE,
    len: PAGE,
    why: `bench ${op} page ${i % LOW_PAGES} of the low 1 MiB`,
  }));
}
