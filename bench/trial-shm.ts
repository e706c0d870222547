// Trial "shm": the host's scan of a shared memory backend. Extent discovery
// on a sparse 16 GiB file and all-zero testing of 256 MiB of populated zero
// pages, ShmBackend (addon) against Node's fs and the C floors. Files live
// in a private /dev/shm directory that is removed however the trial ends.
import { runChild, nodeChild } from './child.js';
import { compileFloor } from './cc.js';
import { addRatio, nsToUs, rateRow, rotate, timeRow } from './rows.js';
import { createShmFiles, POPULATED_BLOCKS } from './shm-files.js';
import type { ShmNativeResult, ShmParams } from './shm-native.js';
import type { ShmNodeFsResult } from './shm-node-fs.js';
import { gbPerSecond } from './stats.js';
import type { Row, TrialContext, TrialOutcome } from './types.js';

interface FloorResult {
  extentsNs: number[];
  extents: number;
  populatedBytes: number;
  preadNs: number[];
  preadCheckNs: number[];
  preadShiftNs: number[];
  memcmpNs: number[];
  zeroBytes: number;
  nonZero: number;
}

const COMPETITORS = ['native', 'node-fs', 'c'] as const;

export async function runShmTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const extentCalls = ctx.quick ? 200 : 1000;
  const zeroScans = ctx.quick ? 3 : 6;
  const floor = await compileFloor('shm-floor', ctx.cleanup);
  const files = createShmFiles();
  const undo = ctx.cleanup.add('shm files', () => files.dispose());
  const t = {
    nativeExt: [] as number[][], cExt: [] as number[][],
    native: [] as number[][], nodeFs: [] as number[][], pread: [] as number[][], preadCheck: [] as number[][], preadShift: [] as number[][], memcmp: [] as number[][],
  };
  const notes: string[] = [];
  let bytes = 0;
  try {
    const params: ShmParams = { sparse: files.sparse, zero: files.zero, extentCalls, zeroScans };
    for (let r = 0; r < ctx.rounds; r++) {
      for (const c of rotate(COMPETITORS, r)) {
        ctx.signal.throwIfAborted();
        if (c === 'native') {
          const res = await runChild<ShmNativeResult>(nodeChild(c, 'shm-native.js', params, 120_000), ctx.cleanup);
          check(res.extents === files.expectedExtents, `native found ${res.extents} extents, expected ${files.expectedExtents}`);
          check(res.firstNonZero === -1, `native firstNonZero said ${res.firstNonZero} on an all-zero file`);
          t.nativeExt.push(nsToUs(res.extentsNs));
          t.native.push(res.zeroScanNs);
          bytes = res.zeroBytes;
        } else if (c === 'node-fs') {
          const res = await runChild<ShmNodeFsResult>(nodeChild(c, 'shm-node-fs.js', params, 120_000), ctx.cleanup);
          check(res.firstNonZero === -1, `node-fs scan said ${res.firstNonZero} on an all-zero file`);
          t.nodeFs.push(res.zeroScanNs);
        } else {
          const args = [files.sparse, String(extentCalls), files.zero, String(zeroScans)];
          const res = await runChild<FloorResult>({ name: c, command: floor, args, timeoutMs: 120_000 }, ctx.cleanup);
          check(res.extents === files.expectedExtents, `C floor found ${res.extents} extents, expected ${files.expectedExtents}`);
          check(res.nonZero === -1, `C floor found a non-zero byte at ${res.nonZero}`);
          t.cExt.push(nsToUs(res.extentsNs));
          t.pread.push(res.preadNs);
          t.preadCheck.push(res.preadCheckNs);
          t.preadShift.push(res.preadShiftNs);
          t.memcmp.push(res.memcmpNs);
        }
        ctx.log(`shm: round ${r + 1}/${ctx.rounds} ${c} done`);
      }
    }
  } finally {
    files.dispose();
    undo();
  }
  notes.push(
    `sparse 16 GiB file with ${POPULATED_BLOCKS.length} populated 2 MiB blocks (${files.expectedExtents} extents); ` +
      `${extentCalls} extent scans and ${zeroScans} zero scans of ${bytes / 2 ** 20} MiB per process per round, ${ctx.rounds} rounds; ` +
      'every competitor agreed on the extents and on "all zero"; GB/s = 10^9 bytes/s, p99 of a rate = the rate at the slowest 1% of scans',
  );

  const ext = timeRow('shm', 'native', 'extents (sparse 16 GiB)', 'µs', t.nativeExt);
  const extC = timeRow('shm', 'c-lseek', 'extents (sparse 16 GiB)', 'µs', t.cExt);
  addRatio(ext, extC);
  const metric = 'all-zero test of populated zero pages';
  const rate = (name: string, ns: number[][]) => rateRow('shm', name, metric, 'GB/s', ns.map((round) => gbPerSecond(bytes, round)));
  const native = rate('native', t.native);
  const nodeFs = rate('node-fs', t.nodeFs);
  const pread = rate('c-pread', t.pread);
  const preadCheck = rate('c-pread+memcmp', t.preadCheck);
  const preadShift = rate('c-pread+shift', t.preadShift);
  const mem = rate('c-memcmp-in-memory', t.memcmp);
  for (const base of [preadCheck, pread, preadShift, nodeFs]) addRatio(native, base);
  addRatio(nodeFs, preadCheck);
  addRatio(preadShift, preadCheck);
  addRatio(preadCheck, mem);
  const rows: Row[] = [ext, extC, native, nodeFs, preadCheck, preadShift, pread, mem];
  return { rows, goals: [], notes };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`shm trial: ${what}`);
}
