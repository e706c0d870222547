// The resource-tree walks the /dev/mem paths depend on, from kernel/resource.c:
// region_intersects() (devmem_is_allowed(), memremap()) and walk_mem_res()
// (ioremap()'s "ioremap on RAM" refusal). Pure functions over ResourceNode.

import { preorder } from '../guest/iomem.js';
import { isSystemRam, type ResourceFlags, type ResourceNode } from './flags.js';

export type RegionIntersection = 'disjoint' | 'intersects' | 'mixed';

const overlaps = (n: { start: number; end: number }, start: number, end: number): boolean => n.start <= end && n.end >= start;

/** Pre-order walk of a node's descendants (not the node itself). */
function* descendants(n: ResourceNode): Generator<ResourceNode> {
  for (const c of n.children) {
    yield c;
    yield* descendants(c);
  }
}

/**
 * region_intersects(start, size, IORESOURCE_SYSTEM_RAM-like `match`).
 *
 * Without `seeDescendants` (5.10, 6.1 before .113) only top-level resources
 * count: type++ for a match, other++ for anything else overlapping.
 *
 * With it ("resource: fix region_intersects() vs add_memory_driver_managed()"),
 * a non-matching top-level resource is searched for matching descendants that
 * cover its overlap with the region; a match anywhere counts as type, and only
 * an uncovered remainder counts as other. The kernel's for_each_resource()
 * walk there runs on past the parent's subtree into later siblings; those
 * start after the parent ends, so they can only hit the `dp->start > o.start`
 * break and never change the result — this walk stops at the subtree.
 */
export function regionIntersects(
  roots: ResourceNode[],
  start: number,
  size: number,
  match: (f: ResourceFlags) => boolean,
  seeDescendants: boolean,
): RegionIntersection {
  const end = start + size - 1;
  let type = 0;
  let other = 0;
  for (const p of roots) {
    if (!overlaps(p, start, end)) continue;
    if (match(p.flags)) {
      type++;
      continue;
    }
    if (!seeDescendants) {
      other++;
      continue;
    }
    let oStart = Math.max(p.start, start);
    const oEnd = Math.min(p.end, end);
    let covered = false;
    for (const dp of descendants(p)) {
      if (!overlaps(dp, start, end) || !match(dp.flags)) continue;
      type++;
      if (dp.start > oStart) break;
      if (dp.end >= oEnd) {
        covered = true;
        break;
      }
      oStart = Math.max(oStart, dp.end + 1);
    }
    if (!covered) other++;
  }
  if (type === 0) return 'disjoint';
  return other === 0 ? 'intersects' : 'mixed';
}

/** region_intersects(…, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) for one page. */
export function pageIntersectsSystemRam(roots: ResourceNode[], pageAddr: number, seeDescendants: boolean): RegionIntersection {
  return regionIntersects(roots, pageAddr, 4096, isSystemRam, seeDescendants);
}

/**
 * page_is_ram(pfn) (kernel/resource.c, the generic one arm64 uses):
 * walk_system_ram_range(pfn, 1) asks find_next_iomem_res() for busy
 * SYSTEM_RAM overlapping the page; it skips children only until the first
 * top-level resource that overlaps ("Skip children until we find a top
 * level range that matches"), so "System RAM (virtio_mem)" under "virtioN"
 * counts. The callback, which makes the answer 1, runs only when the match
 * clipped to the page still holds a whole page (PFN_UP(start) <
 * PFN_DOWN(end + 1)); a partial match is skipped and the walk resumes after
 * it, so the page is RAM exactly when one such resource covers all of it.
 * Returns that resource.
 */
export function pageIsRam(roots: ResourceNode[], pageAddr: number): ResourceNode | undefined {
  const last = pageAddr + 4095;
  return overlappingNodes(roots, pageAddr, last).find((n) => isSystemRam(n.flags) && n.flags.busy && n.start <= pageAddr && n.end >= last);
}

/**
 * The resources walk_mem_res(start, end) hands to its callback: busy MEM
 * resources overlapping the range, first in pre-order. find_next_iomem_res()
 * resumes after each match's end, so a match's own children are never seen.
 * Before "kernel/resource: make walk_mem_res() find all busy IORESOURCE_MEM
 * resources" only top-level resources were searched.
 */
export function walkMemRes(roots: ResourceNode[], start: number, end: number, descend: boolean): ResourceNode[] {
  const out: ResourceNode[] = [];
  const visit = (n: ResourceNode) => {
    if (!overlaps(n, start, end)) return;
    if (n.flags.mem && n.flags.busy) {
      out.push(n);
      return;
    }
    if (descend) n.children.forEach(visit);
  };
  roots.forEach(visit);
  return out;
}

/** Every node overlapping [start, end], any depth, parents first. */
export const overlappingNodes = (roots: ResourceNode[], start: number, end: number): ResourceNode[] => [...preorder(roots, (n) => overlaps(n, start, end))];

/** The innermost node containing addr, for "why" strings. */
export function innermostAt(roots: ResourceNode[], addr: number): ResourceNode | undefined {
  let found: ResourceNode | undefined;
  let level = roots;
  for (;;) {
    const hit = level.find((n) => n.start <= addr && n.end >= addr);
    if (!hit) return found;
    found = hit;
    level = hit.children;
  }
}
