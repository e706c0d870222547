// What the MTRRs make of a write-back /dev/mem mapping: R-MMAP-PAT.
//
// memtype_reserve() asks pat_x_mtrr_type() (arch/x86/mm/pat/memtype.c) for
// the type of a new reservation: a write-back request over a non-RAM range
// stays write-back only where mtrr_type_lookup() says write-back, and
// becomes uncached-minus otherwise. So a /dev/mem mapping of the BIOS area
// under 4 GiB gets an uncached-minus reservation, one of an unclaimed PCI
// window below it a write-back one.
import type { MtrrFacts, MtrrRange, MtrrType } from './facts.js';

/**
 * The firmware's part of the MTRRs, which /proc/mtrr does not show: SeaBIOS
 * (QEMU's x86 BIOS) src/fw/mtrr.c mtrr_setup() sets MTRRdefType to
 * 0xc00 | write-back, the fixed ranges 0-0x9ffff write-back (below RamSize),
 * 0xa0000-0xbffff uncachable and 0xc0000-0xfffff write-protect, and one
 * variable range, uncachable, from the PCI window's start to 4 GiB.
 */
export function seabiosMtrr(variable: MtrrRange[]): MtrrFacts {
  return {
    variable,
    defaultType: 'write-back',
    fixed: [
      { start: 0, endExcl: 0xa0000, type: 'write-back' },
      { start: 0xa0000, endExcl: 0xc0000, type: 'uncachable' },
      { start: 0xc0000, endExcl: 0x100000, type: 'write-protect' },
    ],
    source: 'SeaBIOS src/fw/mtrr.c mtrr_setup()',
  };
}

export type WriteBackAnswer = { type: 'write-back' | 'uncached-minus' } | { type: undefined; missing: string };

/**
 * pat_x_mtrr_type() for a write-back request over [start, endExcl), from
 * mtrr_type_lookup() (arch/x86/kernel/cpu/mtrr/generic.c):
 *   - below 1 MiB the fixed ranges decide. 6.1 reads the type at `start`
 *     only, 6.7's cache map merges the whole range, so a range that leaves
 *     one fixed range is not predicted;
 *   - above, every variable range the range touches and the default type
 *     for the rest; any part that is not write-back makes the lookup's
 *     answer not write-back (MTRR precedence: uncachable wins, write-through
 *     beats write-back; check_type_overlap() in 6.1, type_merge() later).
 * MTRRs disabled (no /proc/mtrr): the lookup answers MTRR_TYPE_INVALID,
 * which 6.1 turns into uncached-minus and later kernels into write-back,
 * so the model does not predict it.
 */
export function writeBackAnswer(mtrr: MtrrFacts | undefined, start: number, endExcl: number): WriteBackAnswer {
  if (!mtrr) return { type: undefined, missing: 'the guest\'s MTRRs (no /proc/mtrr: MTRRs disabled, where kernels differ)' };
  const pcm = (t: MtrrType) => (t === 'write-back' ? 'write-back' : 'uncached-minus');
  if (start < 0x100000) {
    const f = mtrr.fixed.find((r) => r.start <= start && endExcl <= r.endExcl);
    return f ? { type: pcm(f.type) } : { type: undefined, missing: `how this kernel reads fixed MTRRs over ${start.toString(16)}-${(endExcl - 1).toString(16)}` };
  }
  const touched = mtrr.variable.filter((r) => r.base < endExcl && r.base + r.size > start);
  const types = touched.map((r) => r.type);
  if (leavesGap(touched, start, endExcl)) types.push(mtrr.defaultType);
  return { type: types.every((t) => t === 'write-back') ? 'write-back' : 'uncached-minus' };
}

/** Whether the ranges leave some of [start, endExcl) uncovered (they may overlap each other). */
function leavesGap(ranges: MtrrRange[], start: number, endExcl: number): boolean {
  let at = start;
  for (const r of [...ranges].sort((a, b) => a.base - b.base)) {
    if (r.base > at) return true;
    at = Math.max(at, r.base + r.size);
  }
  return at < endExcl;
}
