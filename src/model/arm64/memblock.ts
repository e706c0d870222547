// memblock.memory, which arm64's read()/write() range check consults
// (arch/arm64/mm/mmap.c valid_phys_addr_range()), predicted from /proc/iomem:
// the guest does not print memblock, but every region of it leaves exactly
// one trace there. R-A64-RW-MEMBLOCK.
//
//   - Boot memory: arch/arm64/kernel/setup.c request_standard_resources()
//     makes one top-level resource per memblock.memory region
//     (for_each_mem_region()): "System RAM" (IORESOURCE_SYSTEM_RAM|BUSY),
//     or "reserved" (IORESOURCE_MEM) for a MEMBLOCK_NOMAP one. Adjacent
//     regions already merged when they were added, so two separate lines are
//     two regions (they differ in node or flags).
//   - Hot-added memory: mm/memory_hotplug.c add_memory_resource() calls
//     memblock_add_node() under ARCH_KEEP_MEMBLOCK (arm64 selects it), with
//     MEMBLOCK_DRIVER_MANAGED for an IORESOURCE_SYSRAM_DRIVER_MANAGED
//     resource ("System RAM (virtio_mem)"); virtio-mem adds whole memory
//     blocks, so PageOffline subblocks are in memblock too. try_remove_memory()
//     memblock_remove()s them again.
//   - mm/memblock.c memblock_merge_regions() (after every
//     memblock_add_range()) joins neighbours only with the same node and the
//     same flags: hot-added blocks join each other, never boot RAM
//     (MEMBLOCK_NONE), even where they touch (0x7fffffff / 0x80000000 on QEMU
//     virt). The lab's guests have one node, so node never splits.
//     arch_add_memory()'s memblock_clear_nomap() isolates and re-merges the
//     range without changing its flags.

import type { ResourceNode } from '../flags.js';
import { hex } from '../../util/hex.js';

export interface MemblockRegion {
  start: number;
  /** Last byte, inclusive. */
  end: number;
  flags: 'none' | 'nomap' | 'driver-managed';
}

const cache = new WeakMap<ResourceNode[], MemblockRegion[]>();

function* all(nodes: ResourceNode[]): Generator<ResourceNode> {
  for (const n of nodes) {
    yield n;
    yield* all(n.children);
  }
}

/** memblock.memory as the iomem tree implies it, in address order. */
export function memblockRegions(tree: ResourceNode[]): MemblockRegion[] {
  const hit = cache.get(tree);
  if (hit) return hit;
  const boot: MemblockRegion[] = tree.flatMap((n): MemblockRegion[] =>
    n.name === 'System RAM' ? [{ start: n.start, end: n.end, flags: 'none' }] : n.name === 'reserved' ? [{ start: n.start, end: n.end, flags: 'nomap' }] : [],
  );
  const added: MemblockRegion[] = [];
  for (const n of [...all(tree)].filter((x) => x.flags.driverManaged).sort((a, b) => a.start - b.start)) {
    const last = added[added.length - 1];
    if (last && last.end + 1 === n.start) last.end = n.end;
    else added.push({ start: n.start, end: n.end, flags: 'driver-managed' });
  }
  const out = [...boot, ...added].sort((a, b) => a.start - b.start);
  cache.set(tree, out);
  return out;
}

export interface MemblockAnswer {
  ok: boolean;
  region?: MemblockRegion;
  why: string;
}

const fmt = (r: MemblockRegion) => `${hex(r.start)}-${hex(r.end)}${r.flags === 'none' ? '' : ` ${r.flags === 'nomap' ? 'NOMAP' : 'DRIVER_MANAGED'}`}`;

/**
 * valid_phys_addr_range(addr, size) on arm64:
 * memblock_is_region_memory(addr, size) — memblock_search() finds the region
 * holding addr, which must reach addr + size — && memblock_is_map_memory(addr),
 * that region not NOMAP. A 0-byte range passes inside a region and fails
 * outside it (0 on QEMU virt is flash, not memory).
 */
export function validPhysAddrRangeArm64(tree: ResourceNode[], addr: number, size: number): MemblockAnswer {
  const region = memblockRegions(tree).find((r) => r.start <= addr && addr <= r.end);
  if (!region) return { ok: false, why: `valid_phys_addr_range(): ${hex(addr)} is in no memblock.memory region` };
  if (region.end + 1 < addr + size) {
    return { ok: false, region, why: `valid_phys_addr_range(): ${hex(addr)}+${size} runs past the end of memblock region ${fmt(region)} (memblock_is_region_memory())` };
  }
  if (region.flags === 'nomap') return { ok: false, region, why: `valid_phys_addr_range(): memblock region ${fmt(region)} is NOMAP (memblock_is_map_memory())` };
  return { ok: true, region, why: `inside memblock region ${fmt(region)}` };
}
