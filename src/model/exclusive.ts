// iomem_is_exclusive(addr) (kernel/resource.c): is a page reserved for the
// kernel so that /dev/mem must not touch it? R-EXCL-SYSRAM and R-EXCL-BUSY.

import { PAGE_SIZE, pageStart } from './facts.js';
import type { ModelContext } from './context.js';

export { strictIomemChecks, type StrictIomem } from './strict-iomem.js';
import { isSystemRam, type ResourceNode } from './flags.js';
import { overlappingNodes } from './regions.js';

export interface ExclusiveResult {
  exclusive: boolean;
  rule?: 'R-EXCL-SYSRAM' | 'R-EXCL-BUSY';
  /** The resource that made the page exclusive. */
  node?: ResourceNode;
  why: string;
}

/**
 * 5.16+ resource_is_exclusive(): walks every overlapping resource at any
 * depth (children of non-overlapping ones skipped) in address order; the
 * first that qualifies decides.
 *  - SYSTEM_RAM|EXCLUSIVE → exclusive regardless of strictness
 *    ("kernel/resource: disallow access to exclusive system RAM regions").
 *  - strict and BUSY and (IO_STRICT_DEVMEM or EXCLUSIVE) → exclusive.
 * Before 5.16 iomem_is_exclusive() returned 0 at once when not strict and
 * only knew the BUSY test (same depth-first walk via r_next()).
 */
export function iomemIsExclusive(ctx: ModelContext, addr: number): ExclusiveResult {
  const page = pageStart(addr);
  const { strict, why: strictWhy } = ctx.strictIomem;
  const sysramRule = ctx.features.iomemExclusiveSystemRam.enabled;
  const ioStrict = ctx.facts.config.IO_STRICT_DEVMEM;
  if (!sysramRule && !strict) {
    return { exclusive: false, why: `pre-5.16 iomem_is_exclusive(): not strict (${strictWhy})` };
  }
  for (const p of overlappingNodes(ctx.tree, page, page + PAGE_SIZE - 1)) {
    if (sysramRule && isSystemRam(p.flags) && p.flags.exclusive) {
      return {
        exclusive: true,
        rule: 'R-EXCL-SYSRAM',
        node: p,
        why: `"${p.name}" is SYSTEM_RAM|EXCLUSIVE (${p.flags.basis}); exclusive whatever iomem= says`,
      };
    }
    if (!strict || !p.flags.busy) continue;
    if (ioStrict || p.flags.exclusive) {
      return {
        exclusive: true,
        rule: 'R-EXCL-BUSY',
        node: p,
        why: `"${p.name}" is busy (${p.flags.basis}) and ${ioStrict ? 'IO_STRICT_DEVMEM=y' : 'EXCLUSIVE'}; ${strictWhy}`,
      };
    }
  }
  return {
    exclusive: false,
    why: strict ? `no busy${sysramRule ? ' or SYSTEM_RAM|EXCLUSIVE' : ''} resource qualifies (IO_STRICT_DEVMEM=${ioStrict ? 'y' : 'n'})` : `not strict and no SYSTEM_RAM|EXCLUSIVE resource (${strictWhy})`,
  };
}
