// devmem_is_allowed(pfn) (arch/x86/mm/init.c): 0 deny, 1 allow, 2 allow but
// read()/write() see zeros. R-DIA-RAM and R-DIA-EXCL; an arm64 kernel
// (facts.arch) takes lib/devmem_is_allowed.c instead (arm64/dia.ts).

import { LOW_MIB_PFNS, PAGE_SIZE } from './facts.js';
import type { ModelContext } from './context.js';
import { iomemIsExclusive } from './exclusive.js';
import { isSystemRam } from './flags.js';
import { overlappingNodes, pageIntersectsSystemRam } from './regions.js';
import { devmemIsAllowedArm64 } from './arm64/dia.js';
import type { DiaResult } from './dia-result.js';
import { hex } from '../util/hex.js';

export type { DiaResult, DiaValue } from './dia-result.js';

/**
 * The RAM test comes first: region_intersects(page, SYSTEM_RAM) != DISJOINT
 * → 2 below 1 MiB ("request that the page be shown as all zeros"), else 0.
 * Which resources count depends on "resource: fix region_intersects() vs
 * add_memory_driver_managed()": top level only before it, any depth after.
 * Then iomem_is_exclusive() → 1 below 1 MiB ("Low 1MB bypasses iomem
 * restrictions"), else 0. Otherwise 1.
 */
export function devmemIsAllowed(ctx: ModelContext, pfn: number): DiaResult {
  if (ctx.facts.arch === 'arm64') return devmemIsAllowedArm64(ctx, pfn);
  const addr = pfn * PAGE_SIZE;
  const low = pfn < LOW_MIB_PFNS;
  const descend = ctx.features.regionIntersectsDescendants.enabled;
  const ram = pageIntersectsSystemRam(ctx.tree, addr, descend);
  if (ram !== 'disjoint') {
    const where = overlappingNodes(ctx.tree, addr, addr + PAGE_SIZE - 1).find((n) => isSystemRam(n.flags))?.name ?? 'System RAM';
    return {
      value: low ? 2 : 0,
      rule: 'R-DIA-RAM',
      via: ['R-DIA-RAM'],
      why: `page ${hex(addr)} intersects System RAM ("${where}", region_intersects ${ram}, ${descend ? 'descendants seen' : 'top level only'})${low ? ' in the first MiB: zeros' : ''}`,
    };
  }
  const excl = iomemIsExclusive(ctx, addr);
  if (excl.exclusive) {
    return {
      value: low ? 1 : 0,
      rule: 'R-DIA-EXCL',
      via: ['R-DIA-EXCL', excl.rule!],
      why: `page ${hex(addr)} is exclusive: ${excl.why}${low ? '; first MiB bypasses it' : ''}`,
    };
  }
  return { value: 1, via: [], why: `page ${hex(addr)} is neither System RAM nor exclusive (${excl.why})` };
}

/** An inclusive run of pfns over which every page overlaps the same resources. */
export interface PageRun {
  from: number;
  to: number;
}

/**
 * Splits [firstPfn, lastPfn] into runs of pages that overlap the same set of
 * resources and sit on the same side of the 1 MiB line, so every page of a
 * run gets the same devmem_is_allowed() and memremap() answer. A page holding
 * a resource boundary is a run of its own; so a long mapping or read costs
 * one evaluation per run instead of one per page.
 */
export function pageRuns(ctx: ModelContext, firstPfn: number, lastPfn: number): PageRun[] {
  const cuts = new Set<number>([firstPfn, lastPfn]);
  const addCut = (addr: number) => {
    for (const pfn of [Math.floor(addr / PAGE_SIZE) - 1, Math.floor(addr / PAGE_SIZE)]) {
      if (pfn >= firstPfn && pfn <= lastPfn) cuts.add(pfn);
    }
  };
  addCut(LOW_MIB_PFNS * PAGE_SIZE);
  const walk = (nodes: typeof ctx.tree) => {
    for (const n of nodes) {
      if (n.end >= firstPfn * PAGE_SIZE && n.start <= (lastPfn + 1) * PAGE_SIZE) {
        addCut(n.start);
        addCut(n.end + 1);
        walk(n.children);
      }
    }
  };
  walk(ctx.tree);
  const sorted = [...cuts].sort((a, b) => a - b);
  const runs: PageRun[] = [];
  sorted.forEach((pfn, i) => {
    runs.push({ from: pfn, to: pfn });
    const next = sorted[i + 1];
    if (next !== undefined && next - pfn > 1) runs.push({ from: pfn + 1, to: next - 1 });
  });
  return runs;
}

/** The first page in [firstPfn, lastPfn] with devmem_is_allowed() = 0, as range_is_allowed() loops over every page. */
export function firstDeniedPage(ctx: ModelContext, firstPfn: number, lastPfn: number): { pfn: number; dia: DiaResult } | null {
  for (const run of pageRuns(ctx, firstPfn, lastPfn)) {
    const dia = devmemIsAllowed(ctx, run.from);
    if (dia.value === 0) return { pfn: run.from, dia };
  }
  return null;
}
