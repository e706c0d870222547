// "Where versions differ" (kernel-model.md) as feature flags. A version only
// gives a guess: stable trees pick fixes up at different patch levels, so a
// probe-measured answer in KernelFacts.measured always wins.

import type { FeatureId, KernelFacts, KernelVersion } from './facts.js';

export type { FeatureId } from './facts.js';

export interface FeatureDecision {
  id: FeatureId;
  enabled: boolean;
  basis: 'version' | 'measured';
  /** False when the version rule is a guess (unknown patch level, unverified stable backport). */
  certain: boolean;
  why: string;
}

export type Features = Record<FeatureId, FeatureDecision>;

type Triple = [number, number, number];

const cmp = (v: KernelVersion, [a, b, c]: Triple): number =>
  v.major !== a ? v.major - a : v.minor !== b ? v.minor - b : v.patch - c;
const atLeast = (v: KernelVersion, t: Triple): boolean => cmp(v, t) >= 0;

interface Rule {
  /** Upstream commit title (the why). */
  commit: string;
  /** First mainline release carrying it. */
  mainline: Triple;
  /** Stable series → first patch level carrying a backport; `verified` when read from a source package. */
  stable?: { series: [number, number]; from: number; verified: boolean }[];
  /** Stable series known to lack it up to a patch level (read from a source package). */
  absentUpTo?: { series: [number, number]; patch: number }[];
}

const RULES: Record<FeatureId, Rule> = {
  // kernel/resource.c __region_intersects(): descend into children so that
  // "System RAM (…)" nested below a non-RAM parent counts. Read in Debian
  // 6.1.192 and 6.12.117. The 5.4.y/5.10.y backports exist (CVE-2024-49878)
  // but their first release was not read from a source package.
  regionIntersectsDescendants: {
    commit: 'resource: fix region_intersects() vs add_memory_driver_managed()',
    mainline: [6, 12, 0],
    stable: [{ series: [6, 1], from: 113, verified: true }],
    absentUpTo: [{ series: [5, 10], patch: 223 }],
  },
  // kernel/resource.c resource_is_exclusive(): SYSTEM_RAM|EXCLUSIVE is
  // exclusive at any depth, even with iomem=relaxed (R-EXCL-SYSRAM).
  iomemExclusiveSystemRam: {
    commit: 'kernel/resource: disallow access to exclusive system RAM regions',
    mainline: [5, 16, 0],
  },
  // drivers/virtio/virtio_mem.c virtio_mem_create_resource(): parent gets
  // IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE (5.10: SYSTEM_RAM only).
  virtioMemParentExclusive: {
    commit: 'virtio-mem: disallow mapping virtio-mem memory via /dev/mem',
    mainline: [5, 16, 0],
  },
  // mm/memory.c generic_access_phys(): re-check the PTE after ioremap_prot()
  // and retry, so a revoked mapping is never read through.
  genericAccessPhysRecheck: {
    commit: 'mm: Close race in generic_access_phys',
    mainline: [5, 12, 0],
  },
  // fs/proc/kcore.c read_kcore(): pfn_to_online_page() and PageOffline()
  // make offline sections and virtio-mem's unplugged subblocks read as zeros.
  kcoreSkipsOffline: {
    commit: "fs/proc/kcore: don't read offline sections, logically offline pages and hwpoisoned pages",
    mainline: [5, 14, 0],
  },
  // drivers/char/mem.c should_stop_iteration(): signal_pending() in the
  // 6.1/6.12/7.2 sources, fatal_signal_pending() in 5.10. Commit
  // 830a4e5c48df, first in 5.19; never backported to 5.10.y.
  rwStopsOnAnySignal: {
    commit: '830a4e5c48df (drivers/char/mem.c: reads and writes stop on any pending signal)',
    mainline: [5, 19, 0],
    absentUpTo: [{ series: [5, 10], patch: 223 }],
  },
  // arch/x86/kernel/e820.c e820__end_ram_pfn(): E820_TYPE_ACPI ranges count
  // towards the boot max_pfn, so high_memory may end above the last RAM.
  maxPfnCountsAcpi: {
    commit: 'x86/mm: Make e820__end_ram_pfn() cover E820_TYPE_ACPI ranges',
    mainline: [6, 11, 0],
  },
  // kernel/resource.c __request_region() → revoke_iomem() (5.8: revoke_devmem()
  // in drivers/char/mem.c): a successful claim on the iomem root zaps
  // /dev/mem mappings of the range (R-REVOKE).
  revokeOnClaim: {
    commit: '/dev/mem: Revoke mappings when a driver claims the region',
    mainline: [5, 8, 0],
  },
  // kernel/resource.c walk_mem_res(): descends into children, so
  // ioremap()'s "ioremap on RAM" check sees nested busy System RAM.
  // include/linux/io.h range_is_allowed(): one definition, 1 without
  // STRICT_DEVMEM, shared by mmap_mem() and PAT's
  // phys_mem_access_prot_allowed(). Before it, arch/x86/mm/pat/memtype.c had
  // its own copy that refused RAM whatever STRICT_DEVMEM said
  // (R-MMAP-PAT-NOSTRICT). Read in Debian's 7.2.13 source.
  patRangeFollowsStrictDevmem: {
    commit: 'x86/devmem: Remove duplicate range_is_allowed() definition',
    mainline: [6, 16, 0],
  },
  walkMemResDescends: {
    commit: 'kernel/resource: make walk_mem_res() find all busy IORESOURCE_MEM resources',
    mainline: [5, 13, 0],
    stable: [{ series: [5, 10], from: 38, verified: false }],
  },
};

function decideByVersion(id: FeatureId, v: KernelVersion): FeatureDecision {
  const rule = RULES[id];
  const mainline = rule.mainline.join('.');
  if (atLeast(v, rule.mainline)) {
    return { id, enabled: true, basis: 'version', certain: true, why: `"${rule.commit}" is in ${mainline}+` };
  }
  const backport = rule.stable?.find((s) => s.series[0] === v.major && s.series[1] === v.minor);
  if (backport) {
    const series = `${backport.series[0]}.${backport.series[1]}`;
    if (!v.patchKnown) {
      return {
        id,
        enabled: false,
        basis: 'version',
        certain: false,
        why: `"${rule.commit}" was backported to ${series}.${backport.from}, but the patch level of ${v.raw} is unknown`,
      };
    }
    const enabled = v.patch >= backport.from;
    return {
      id,
      enabled,
      basis: 'version',
      certain: backport.verified,
      why: `"${rule.commit}" is in ${series}.${backport.from}+ (${series}.${v.patch} ${enabled ? 'has' : 'lacks'} it)`,
    };
  }
  const absent = rule.absentUpTo?.find((a) => a.series[0] === v.major && a.series[1] === v.minor);
  const knownAbsent = absent !== undefined && v.patchKnown && v.patch <= absent.patch;
  return {
    id,
    enabled: false,
    basis: 'version',
    // A stable series may carry a backport the table does not list, so the
    // answer is only certain for rules never backported or read as absent.
    certain: knownAbsent || !rule.stable,
    why: `"${rule.commit}" arrived in ${mainline}; ${v.major}.${v.minor}.${v.patch} predates it${knownAbsent ? '' : rule.stable ? ' (a stable backport is possible: measure it)' : ''}`,
  };
}

export const FEATURE_IDS = Object.keys(RULES) as FeatureId[];

export function featureCommit(id: FeatureId): string {
  return RULES[id].commit;
}

/** Every feature decided for a boot: the measured answer when present, else the version guess. */
export function resolveFeatures(facts: Pick<KernelFacts, 'version' | 'measured'>): Features {
  const out = {} as Features;
  for (const id of FEATURE_IDS) {
    const m = facts.measured?.[id];
    out[id] = m
      ? { id, enabled: m.enabled, basis: 'measured', certain: true, why: `measured: ${m.evidence}` }
      : decideByVersion(id, facts.version);
  }
  return out;
}
