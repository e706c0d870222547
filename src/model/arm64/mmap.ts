// mmap() of /dev/mem on arm64 (drivers/char/mem.c mmap_mem()), after
// sys_mmap()'s alignment and do_mmap()'s length checks: R-A64-MMAP-PABITS,
// R-MMAP-DENY, then success. There is no PAT and no PFN-map tracking on
// arm64 (track_pfn_remap() is the include/linux/pgtable.h stub,
// phys_mem_access_prot_allowed() the generic one that returns 1), so no
// memtype reservation can refuse a mapping: R-MMAP-PAT* never apply.

import { PAGE_SIZE, pfnOf } from '../facts.js';
import type { ModelContext } from '../context.js';
import { firstDeniedPage } from '../dia.js';
import { fail, mergeVia, type Expected } from '../expected.js';
import { hex } from '../../util/hex.js';
import { memblockRegions } from './memblock.js';

/** PHYS_MASK_SHIFT: CONFIG_ARM64_PA_BITS, which the lab also gives as physBits. */
export const paBits = (ctx: ModelContext): number => ctx.facts.config.ARM64_PA_BITS ?? ctx.facts.physBits;

/**
 * valid_mmap_phys_addr_range(pfn, size) (arch/arm64/mm/mmap.c):
 * !(((pfn << PAGE_SHIFT) + size) & ~PHYS_MASK). The end, one past the last
 * byte, must stay below 2^PA_BITS, so a mapping of the last page below it is
 * refused; x86's phys_addr_valid(addr + count - 1) allows that page.
 */
export function validMmapPhysAddrRangeArm64(addr: number, size: number, bits: number): boolean {
  return addr + size < 2 ** bits;
}

export function predictMmapArm64(ctx: ModelContext, addr: number, size: number, opts: { private: boolean; oSync: boolean }): Expected {
  const bits = paBits(ctx);
  if (!validMmapPhysAddrRangeArm64(addr, size, bits)) {
    return fail('mmap', 'EINVAL', 'R-A64-MMAP-PABITS', `valid_mmap_phys_addr_range(): ${hex(addr)} + ${hex(size)} = ${hex(addr + size)} has a bit above PHYS_MASK (ARM64_PA_BITS=${bits})`, ['R-A64-MMAP-PABITS']);
  }
  const strict = ctx.facts.config.STRICT_DEVMEM;
  if (strict) {
    // range_is_allowed(): devmem_is_allowed() for every page.
    const denied = firstDeniedPage(ctx, pfnOf(addr), pfnOf(addr + size - 1));
    if (denied) return fail('mmap', 'EPERM', 'R-MMAP-DENY', `range_is_allowed(): ${denied.dia.why}`, mergeVia(denied.dia.via, ['R-MMAP-DENY']));
  }
  // arch/arm64/mm/mmu.c phys_mem_access_prot() picks the memory type from
  // the first pfn only (pfn_is_map_memory()).
  const ram = memblockRegions(ctx.tree).some((r) => r.flags !== 'nomap' && r.start <= addr && addr + PAGE_SIZE - 1 <= r.end);
  const type = !ram ? 'Device-nGnRnE' : opts.oSync ? 'Normal-NC' : 'write-back';
  return {
    outcome: 'ok',
    rule: 'R-MMAP-OK',
    via: [],
    why: `every page allowed${strict ? '' : ' (STRICT_DEVMEM=n)'}; ${opts.private ? 'MAP_PRIVATE' : 'MAP_SHARED'} ${type} mapping (phys_mem_access_prot()), remap_pfn_range() fills all PTEs`,
  };
}
