// Touching a fresh /dev/mem mapping on arm64 where the machine backs
// nothing: QEMU answers such a load with a synchronous external abort
// (a decode error; q35 returns all-ones instead), and arch/arm64/mm/fault.c
// do_sea() delivers it to the user task through arm64_notify_die() with
// fault_info's SIGBUS, BUS_OBJERR ("synchronous external abort"; a DT
// guest has no APEI to claim it). R-A64-TOUCH-SEA. Only judged when the lab
// read what the machine backs (StepState.backed, QEMU's flat view).

import type { ModelContext } from '../context.js';
import { mergeVia, type Expected } from '../expected.js';
import { hex } from '../../util/hex.js';

/** The first byte of [addr, addr + len) no backed range covers, if any. */
export function firstUnbacked(backed: { start: number; end: number }[], addr: number, len: number): number | undefined {
  let at = addr;
  for (const r of [...backed].sort((a, b) => a.start - b.start)) {
    if (r.end < at) continue;
    if (r.start > at) break;
    at = r.end + 1;
    if (at >= addr + len) return undefined;
  }
  return at < addr + len ? at : undefined;
}

/**
 * `mapped`: the successful mmap's Expected. The agent reads the mapping
 * with 8-byte loads in order (guest-image/device.c copy_mapping()), so the
 * fault comes at the load holding the first unbacked byte.
 */
export function touchAbortArm64(ctx: ModelContext, addr: number, len: number, mapped: Expected): Expected | undefined {
  const backed = ctx.state.backed;
  if (!backed) return undefined;
  const at = firstUnbacked(backed, addr, len);
  if (at === undefined) return undefined;
  return {
    outcome: 'signal',
    signal: 'SIGBUS',
    sigCode: 'BUS_OBJERR',
    bytes: Math.floor((at - addr) / 8) * 8,
    rule: 'R-A64-TOUCH-SEA',
    via: mergeVia(mapped.via, [mapped.rule, 'R-A64-TOUCH-SEA']),
    why: `${mapped.why}; the machine backs nothing at ${hex(at)}: the load takes a synchronous external abort, do_sea() sends SIGBUS/BUS_OBJERR`,
  };
}
