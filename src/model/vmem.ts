// virtio-mem (drivers/virtio/virtio_mem.c) where it decides an outcome or the
// shape /proc/iomem must have: R-VMEM-PARENT, R-VMEM-CHILD,
// R-VMEM-UNLOAD-CLEAN, R-VMEM-UNLOAD-BUSY, R-HIGHMEM-HOTADD.

import type { KernelFacts, PhysRange, StepState } from './facts.js';
import { modelContext } from './context.js';
import { VIRTIO_MEM_CHILD, VIRTIO_MEM_PARENT, flattenResources, isSystemRam, type ResourceNode } from './flags.js';
import type { RuleId } from './rules.js';
import { resolveFeatures } from './versions.js';
import { hex } from '../util/hex.js';


export interface VmemFinding {
  rule: RuleId;
  ok: boolean;
  message: string;
}

/** Sorted, merged (adjacent or overlapping) ranges. */
export function mergeRanges(ranges: PhysRange[]): PhysRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: PhysRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/**
 * Memory the driver has added to Linux for the plugged ranges: whole memory
 * blocks (Sub Block Mode adds a block once any of its subblocks is plugged),
 * merged because add_memory_driver_managed(…, MHP_MERGE_RESOURCE) merges
 * adjacent "System RAM (virtio_mem)" resources into one line.
 */
export function addedBlocks(plugged: PhysRange[], blockSize: number): PhysRange[] {
  return mergeRanges(
    plugged.map((p) => ({
      start: Math.floor(p.start / blockSize) * blockSize,
      end: Math.ceil((p.end + 1) / blockSize) * blockSize - 1,
    })),
  );
}

/** Unplugged subblocks inside added blocks: PageOffline pages (what /proc/kcore 5.14+ reads as zeros). */
export function pageOfflineRanges(plugged: PhysRange[], blockSize: number): PhysRange[] {
  const merged = mergeRanges(plugged);
  const out: PhysRange[] = [];
  for (const b of addedBlocks(plugged, blockSize)) {
    let cur = b.start;
    for (const p of merged) {
      if (p.end < b.start || p.start > b.end) continue;
      if (p.start > cur) out.push({ start: cur, end: p.start - 1 });
      cur = Math.max(cur, p.end + 1);
    }
    if (cur <= b.end) out.push({ start: cur, end: b.end });
  }
  return out;
}

/** The virtio-mem parent node for a region, at any depth (it nests under a non-busy window if one covers it). */
export function findParent(tree: ResourceNode[], region?: PhysRange): ResourceNode | undefined {
  return flattenResources(tree).find(
    (n) => VIRTIO_MEM_PARENT.test(n.name) && (!region || (n.start <= region.start && n.end >= region.end) || (n.start >= region.start && n.end <= region.end)),
  );
}

function childRanges(parent: ResourceNode | undefined): PhysRange[] {
  return mergeRanges((parent?.children ?? []).filter((c) => c.name === VIRTIO_MEM_CHILD).map((c) => ({ start: c.start, end: c.end })));
}

const sameRanges = (a: PhysRange[], b: PhysRange[]) => a.length === b.length && a.every((r, i) => r.start === b[i].start && r.end === b[i].end);
const fmt = (rs: PhysRange[]) => (rs.length ? rs.map((r) => `${hex(r.start)}-${hex(r.end)}`).join(', ') : 'none');

/**
 * Checks the device's part of /proc/iomem against the driver state:
 * bound → a "virtioN" parent covering exactly the region (virtio_mem_create_resource()
 * requests addr..addr+region_size-1) whose children are the added blocks;
 * unbound → the parent exists exactly when memory is still added
 * (virtio_mem_deinit_hotplug(): "device still has system memory added").
 */
export function checkVirtioMemShape(facts: KernelFacts, state: StepState): VmemFinding[] {
  const vm = state.virtioMem;
  const ctx = modelContext(facts, state);
  const parent = findParent(ctx.tree, vm.region);
  const children = childRanges(parent);
  const out: VmemFinding[] = [];
  if (vm.bound) {
    const exact = !!parent && !!vm.region && parent.start === vm.region.start && parent.end === vm.region.end;
    const flagsOk = !!parent && isSystemRam(parent.flags) && !parent.flags.busy;
    out.push({
      rule: 'R-VMEM-PARENT',
      ok: exact && flagsOk,
      message: parent
        ? `"${parent.name}" ${hex(parent.start)}-${hex(parent.end)}${vm.region ? ` for region ${hex(vm.region.start)}-${hex(vm.region.end)}` : ''} (${parent.flags.basis})`
        : 'driver bound but no "virtioN" parent in /proc/iomem',
    });
    const want = addedBlocks(vm.plugged, vm.blockSize);
    out.push({
      rule: 'R-VMEM-CHILD',
      ok: sameRanges(children, want),
      message: `"${VIRTIO_MEM_CHILD}" children ${fmt(children)}; plugged ${fmt(mergeRanges(vm.plugged))} in ${vm.blockSize / 2 ** 20} MiB blocks expects ${fmt(want)}`,
    });
    return out;
  }
  if (children.length > 0) {
    out.push({ rule: 'R-VMEM-UNLOAD-BUSY', ok: !!parent, message: `driver unbound with memory still added (${fmt(children)}): parent "${parent?.name}" kept` });
  } else {
    out.push({
      rule: 'R-VMEM-UNLOAD-CLEAN',
      ok: !parent,
      message: parent ? `driver unbound, no memory added, but "${parent.name}" is still claimed` : 'driver unbound and no device resource left: the region is unclaimed',
    });
  }
  return out;
}

export interface UnloadPrediction {
  rule: 'R-VMEM-UNLOAD-CLEAN' | 'R-VMEM-UNLOAD-BUSY';
  parentKept: boolean;
  /** The dev_warn() the guest's dmesg should show. */
  dmesg?: string;
  why: string;
}

/** What rmmod virtio_mem does from this state (virtio_mem_remove() → virtio_mem_deinit_hotplug() → virtio_mem_has_memory_added()). */
export function predictUnload(facts: KernelFacts, state: StepState): UnloadPrediction {
  const ctx = modelContext(facts, state);
  const parent = findParent(ctx.tree, state.virtioMem.region);
  // walk_iomem_res_desc(SYSTEM_RAM|BUSY) over the region: any busy System RAM still added.
  const region = state.virtioMem.region ?? parent;
  const added = region
    ? flattenResources(ctx.tree).filter((n) => isSystemRam(n.flags) && n.flags.busy && n.start <= region.end && n.end >= region.start)
    : [];
  if (added.length > 0 && !state.virtioMem.bound) {
    // No device bound to the driver (its probe failed: a reload after an
    // unclean unload, R-VMEM-UNLOAD-BUSY): module removal detaches only bound
    // devices (driver_unregister() → driver_detach(), drivers/base/dd.c), so
    // virtio_mem_remove() and its dev_warn() never run; what the earlier
    // instance left stays.
    return {
      rule: 'R-VMEM-UNLOAD-BUSY',
      parentKept: true,
      why: `${fmt(added)} still added by an earlier driver instance; no device is bound, so rmmod runs no virtio_mem_remove() and logs nothing`,
    };
  }
  if (added.length > 0) {
    return {
      rule: 'R-VMEM-UNLOAD-BUSY',
      parentKept: true,
      dmesg: 'device still has system memory added',
      why: `${fmt(added)} still added: the parent stays and the region stays denied`,
    };
  }
  return { rule: 'R-VMEM-UNLOAD-CLEAN', parentKept: false, why: 'no memory added: virtio_mem_delete_resource() releases the parent' };
}

export interface ReloadPrediction {
  ok: boolean;
  errno?: 'EBUSY' | 'EPERM';
  /** What modprobe's stderr says when it fails so (busybox prints strerror()). */
  stderr?: string;
  rule: 'R-VMEM-PARENT' | 'R-VMEM-UNLOAD-BUSY' | 'R-MODULE-LOCKDOWN';
  dmesg?: string;
  why: string;
}

/** What modprobe virtio_mem does from this state (virtio_mem_create_resource()). */
export function predictReload(facts: KernelFacts, state: StepState): ReloadPrediction {
  // module_sig_check(): no signature (-ENODATA) and sig_enforce off → the
  // lockdown LSM decides; both levels include LOCKDOWN_MODULE_SIGNATURE.
  // A signed module is assumed to verify: the lab cannot check the key.
  if (state.lockdown !== 'none' && facts.virtioMemSigned === false) {
    // No dmesg line is required: lockdown_is_locked_down() logs "unsigned
    // module loading is restricted" with pr_notice_ratelimited(), and the
    // /dev/mem refusals of the boot step's probes use up the burst.
    return {
      ok: false,
      errno: 'EPERM',
      stderr: 'Operation not permitted',
      rule: 'R-MODULE-LOCKDOWN',
      why: `lockdown=${state.lockdown} and virtio_mem.ko carries no signature: module_sig_check() refuses it`,
    };
  }
  const parent = findParent(modelContext(facts, state).tree, state.virtioMem.region);
  if (parent) {
    return {
      ok: false,
      errno: 'EBUSY',
      rule: 'R-VMEM-UNLOAD-BUSY',
      dmesg: 'could not reserve device region',
      why: `"${parent.name}" from the earlier driver instance still holds the region: __request_mem_region() conflicts`,
    };
  }
  return { ok: true, rule: 'R-VMEM-PARENT', why: 'the region is free: the parent is requested again' };
}

/**
 * R-HIGHMEM-HOTADD: add_pages() → update_end_of_memory_vars() raises max_pfn
 * and high_memory to the end of added memory and nothing lowers them, so the
 * expected end is the previous one or the end of the highest busy System RAM.
 * Read again in Debian's 7.2.13 source after the high_memory rework: the
 * boot value now comes from mm/mm_init.c set_high_memory()
 * (memblock_end_of_DRAM()), which the lab measures rather than predicts, and
 * the hot-add path in arch/x86/mm/init_64.c is unchanged.
 *
 * x86 only: arm64's arch_add_memory() (arch/arm64/mm/mmu.c) raises max_pfn
 * but never high_memory, and arm64's /dev/mem never reads high_memory.
 */
export function expectedHighMemoryEnd(facts: KernelFacts, previousEnd: number, state: StepState): { end: number; why: string } {
  if (facts.arch === 'arm64') return { end: previousEnd, why: `arm64: arch_add_memory() leaves high_memory alone (${hex(previousEnd)}); R-HIGHMEM-HOTADD is x86 only` };
  const ctx = modelContext(facts, state);
  const top = flattenResources(ctx.tree)
    .filter((n) => isSystemRam(n.flags) && n.flags.busy)
    .reduce((m, n) => Math.max(m, n.end + 1), 0);
  const end = Math.max(previousEnd, top);
  return {
    end,
    why: top > previousEnd ? `System RAM now ends at ${hex(top)}: high_memory raised` : `high_memory stays at ${hex(previousEnd)} (never lowered)`,
  };
}

/** R-HIGHMEM-HOTADD's step check. On arm64 the rule does not apply (rulesFor('arm64') lacks it): nothing is compared. */
export function checkHighMemory(facts: KernelFacts, previousEnd: number, state: StepState): VmemFinding {
  if (facts.arch === 'arm64') return { rule: 'R-HIGHMEM-HOTADD', ok: true, message: 'not judged: arm64 never moves high_memory on hot-add and its /dev/mem does not read it' };
  const e = expectedHighMemoryEnd(facts, previousEnd, state);
  return {
    rule: 'R-HIGHMEM-HOTADD',
    ok: state.highMemoryEnd === e.end,
    message: `measured ${hex(state.highMemoryEnd)}, expected ${hex(e.end)}: ${e.why}`,
  };
}

/**
 * Kconfig from 5.16: VIRTIO_MEM depends on EXCLUSIVE_SYSTEM_RAM
 * (= !DEVMEM || STRICT_DEVMEM), so a config with virtio-mem and an
 * unrestricted /dev/mem cannot come from the kernel's own Kconfig.
 */
export function checkVirtioMemKconfig(facts: KernelFacts): VmemFinding {
  const c = facts.config;
  const needs = resolveFeatures(facts).virtioMemParentExclusive.enabled;
  const exclusiveSystemRam = !c.DEVMEM || c.STRICT_DEVMEM;
  return {
    rule: 'R-VMEM-PARENT',
    ok: !needs || c.VIRTIO_MEM === 'n' || exclusiveSystemRam,
    message: `VIRTIO_MEM=${c.VIRTIO_MEM}, DEVMEM=${c.DEVMEM ? 'y' : 'n'}, STRICT_DEVMEM=${c.STRICT_DEVMEM ? 'y' : 'n'}${needs ? ' (5.16+: needs EXCLUSIVE_SYSTEM_RAM)' : ' (no Kconfig dependency before 5.16)'}`,
  };
}
