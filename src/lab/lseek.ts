// lseek on /dev/mem, asked once per run at the boot step (the answer does
// not depend on memory state): every whence, and positions at the edges
// memory_lseek() cares about. Judged by the model as step checks
// (R-LSEEK-*), or by R-OPEN-* when the agent cannot open /dev/mem.
import { predictLseek, predictOpen, WHENCE_NAMES, type KernelFacts, type LockdownLevel } from '../model/index.js';
import { LSEEK_BASE, type LseekAnswer, type LseekRequest } from '../probe/lseek.js';
import type { StepCheck } from './judge.js';
import { hex } from '../util/hex.js';

const U64 = 1n << 64n;
/** A negative offset as the 64-bit pattern the syscall receives. */
const neg = (n: bigint) => U64 - n;

/** [whence, offset]: why each one is there is in the comment beside it. */
const CASES: [number, bigint][] = [
  [0, 0x100000n], // SEEK_SET: the position is returned
  [0, neg(4096n)], // the last position below -MAX_ERRNO: returned, negative as loff_t
  [0, neg(4095n)], // -MAX_ERRNO itself: EOVERFLOW
  [0, neg(1n)], // -1: EOVERFLOW
  [0, 1n << 63n], // LLONG_MIN: an ordinary position to memory_lseek()
  [1, 0x10n], // SEEK_CUR: added to f_pos
  [1, neg(LSEEK_BASE + 1n)], // SEEK_CUR to -1: EOVERFLOW
  [1, (1n << 63n) - 1n], // SEEK_CUR past LLONG_MAX: loff_t wraps (-fno-strict-overflow), a valid position
  [2, 0n], // SEEK_END: EINVAL
  [3, 0n], // SEEK_DATA: EINVAL from memory_lseek()
  [4, 0n], // SEEK_HOLE: EINVAL from memory_lseek()
  [5, 0n], // above SEEK_MAX: EINVAL from ksys_lseek()
];

export const lseekRequests = (firstId: number): LseekRequest[] => CASES.map(([whence, offset], i) => ({ id: firstId + i, whence, offset }));


export function lseekChecks(facts: KernelFacts, lockdown: LockdownLevel, answers: LseekAnswer[]): StepCheck[] {
  const open = predictOpen(facts, { capSysRawio: true, lockdownAtOpen: lockdown, devNode: 'devtmpfs' });
  return answers.map((a) => {
    const call = `lseek(fd at ${hex(LSEEK_BASE)}, ${hex(a.offset)}, ${WHENCE_NAMES[a.whence] ?? a.whence})`;
    const o = a.observed;
    const got = o.result === 'ok' ? `returned ${hex(o.pos)}` : `${o.syscall} ${o.errno}`;
    if (open) {
      const ok = o.result === 'errno' && o.syscall === 'open' && o.errno === open.errno;
      return { rule: open.rule, verdict: ok ? 'match' : 'mismatch', message: `${call}: expected open ${open.errno} (${open.why}), ${got}` };
    }
    const e = predictLseek(a.whence, a.offset, LSEEK_BASE);
    const ok = e.outcome === 'ok' ? o.result === 'ok' && o.pos === e.pos : o.result === 'errno' && o.syscall === 'lseek' && o.errno === e.errno;
    const want = e.outcome === 'ok' ? `${hex(e.pos!)}` : e.errno;
    return { rule: e.rule, verdict: ok ? 'match' : 'mismatch', message: `${call}: expected ${want} (${e.why}), ${got}` };
  });
}
