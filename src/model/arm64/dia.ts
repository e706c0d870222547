// devmem_is_allowed(pfn) on arm64: the generic lib/devmem_is_allowed.c
// (arch/arm64/Kconfig selects GENERIC_LIB_DEVMEM_IS_ALLOWED):
//
//   if (iomem_is_exclusive(PFN_PHYS(pfn))) return 0;
//   if (!page_is_ram(pfn)) return 1;
//   return 0;
//
// Exclusivity first, then RAM; 0 and 1 only: no first-MiB exception, no
// "show as zeros" value, so R-RW-ZERO never applies. R-A64-DIA-EXCL and
// R-A64-DIA-RAM.

import { PAGE_SIZE } from '../facts.js';
import type { ModelContext } from '../context.js';
import type { DiaResult } from '../dia-result.js';
import { iomemIsExclusive } from '../exclusive.js';
import { pageIsRam } from '../regions.js';
import { hex } from '../../util/hex.js';

export function devmemIsAllowedArm64(ctx: ModelContext, pfn: number): DiaResult {
  const addr = pfn * PAGE_SIZE;
  // iomem_is_exclusive() → resource_is_exclusive() (kernel/resource.c), the same walk as on x86.
  const excl = iomemIsExclusive(ctx, addr);
  if (excl.exclusive) {
    return { value: 0, rule: 'R-A64-DIA-EXCL', via: ['R-A64-DIA-EXCL', excl.rule!], why: `page ${hex(addr)} is exclusive: ${excl.why}` };
  }
  const ram = pageIsRam(ctx.tree, addr);
  if (ram) {
    return { value: 0, rule: 'R-A64-DIA-RAM', via: ['R-A64-DIA-RAM'], why: `page ${hex(addr)} is RAM: page_is_ram() finds busy "${ram.name}" covering it (${excl.why})` };
  }
  return { value: 1, via: [], why: `page ${hex(addr)} is neither exclusive (${excl.why}) nor wholly inside busy System RAM (page_is_ram() 0)` };
}
