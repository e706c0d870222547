// The inputs the model reads: facts fixed for one boot (version, config,
// command line, CPU) and the state measured at one step (iomem tree,
// high_memory, lockdown, virtio-mem). Parsers take the raw text the guest
// gives us, so the orchestrator never interprets kernel output itself.

import type { IomemNode } from '../guest/iomem.js';
import { FactsParseError, type LockdownLevel, type MemtypeEntry, type MtrrRange, type MtrrType } from '../guest/parse.js';

export { FactsParseError, parseLockdown, parsePatMemtypeList, parsePhysBits, parseProcMtrr, type LockdownLevel, type MemtypeEntry, type MtrrRange, type MtrrType } from '../guest/parse.js';
import { parseConfigText } from '../kernel/config.js';
import type { BootCmdline } from './cmdline.js';

export { parseCmdline, splitCmdline, type BootCmdline } from './cmdline.js';

export const PAGE_SIZE = 4096;
/** The guest's architecture; arm64 rules live in src/model/arm64/, read from arm64 source. */
export type Arch = 'x86_64' | 'arm64';
/** x86 devmem_is_allowed(): pfn < 256 is the first MiB (arch/x86/mm/init.c). */
export const LOW_MIB_PFNS = 256;

/** An inclusive physical range, like /proc/iomem prints. */
export interface PhysRange {
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface KernelVersion {
  major: number;
  minor: number;
  /** Upstream patch level (SUBLEVEL), not the distribution ABI number. */
  patch: number;
  /** False when only an ABI string like 6.1.0-47-amd64 was available. */
  patchKnown: boolean;
  /** `uname -r` as given. */
  raw: string;
  /** Distribution package version when found, e.g. "6.1.192-2". */
  distro?: string;
}

// Debian's /proc/version ends with "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2025-…)".
// The compiler part earlier on the line also says "(Debian 12.2.0-14)", so only
// the text after the build number '#' is searched.
const DEBIAN_PKG = /Debian (\d+)\.(\d+)\.(\d+)(-[^\s)]*)?/;
// Debian's ABI form: 6.1.0-47-amd64 — the ".0" is a placeholder, 47 an ABI number.
const DEBIAN_ABI = /^(\d+)\.(\d+)\.0-\d+(-[a-z0-9]+)*$/;
const UPSTREAM = /^(\d+)\.(\d+)(?:\.(\d+))?/;

/**
 * Parses `uname -r` and, when given, /proc/version. The upstream patch level
 * comes from the Debian package version in /proc/version when present,
 * because "6.1.0-47-amd64" carries an ABI number, not the patch level.
 */
export function parseKernelVersion(unameR: string, procVersion?: string): KernelVersion {
  const raw = unameR.trim();
  const m = UPSTREAM.exec(raw);
  if (!m) throw new FactsParseError('not a kernel release string', 'uname -r', unameR);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (procVersion) {
    const hash = procVersion.indexOf('#');
    const tail = hash >= 0 ? procVersion.slice(hash) : procVersion;
    const d = DEBIAN_PKG.exec(tail);
    if (d && Number(d[1]) === major && Number(d[2]) === minor) {
      return { major, minor, patch: Number(d[3]), patchKnown: true, raw, distro: `${d[1]}.${d[2]}.${d[3]}${d[4] ?? ''}` };
    }
  }
  if (DEBIAN_ABI.test(raw)) return { major, minor, patch: 0, patchKnown: false, raw };
  return { major, minor, patch: m[3] === undefined ? 0 : Number(m[3]), patchKnown: m[3] !== undefined, raw };
}

export type Tristate = 'y' | 'm' | 'n';

/**
 * The options the model reads (docs/model-inputs.md lists what each decides).
 * Options a kernel can configure away are read, never assumed.
 */
export interface KernelConfig {
  DEVMEM: boolean;
  STRICT_DEVMEM: boolean;
  IO_STRICT_DEVMEM: boolean;
  X86_PAT: boolean;
  VIRTIO_MEM: Tristate;
  /** process_vm_readv()/writev() exist (mm/process_vm_access.c); else sys_ni_syscall: ENOSYS. */
  CROSS_MEMORY_ATTACH: boolean;
  /** /proc/kcore exists (fs/proc/kcore.c); else the open fails ENOENT. */
  PROC_KCORE: boolean;
  /** debugfs, and with it x86/pat_memtype_list (arch/x86/mm/pat/memtype.c). */
  DEBUG_FS: boolean;
  /** The lockdown LSM: without it lockdown= does nothing (security/lockdown/lockdown.c). */
  SECURITY_LOCKDOWN_LSM: boolean;
  /** Module signatures are checked (kernel/module/signing.c); lockdown refuses unsigned modules only then. */
  MODULE_SIG: boolean;
  /** CONFIG_ARM64_PA_BITS (arm64 only): PHYS_MASK's width, valid_mmap_phys_addr_range(). */
  ARM64_PA_BITS?: number;
}

/** Parses a kernel .config / config-* / decompressed /proc/config.gz. */
export function parseKernelConfig(text: string): KernelConfig {
  const values = parseConfigText(text);
  if (values.size === 0) throw new FactsParseError('no CONFIG_ lines', 'kernel config', text);
  const tri = (k: string): Tristate => {
    const v = values.get(k);
    return v === 'y' || v === 'm' ? v : 'n';
  };
  const bool = (k: string): boolean => tri(k) === 'y';
  const paBits = Number(values.get('ARM64_PA_BITS'));
  return {
    DEVMEM: bool('DEVMEM'),
    STRICT_DEVMEM: bool('STRICT_DEVMEM'),
    IO_STRICT_DEVMEM: bool('IO_STRICT_DEVMEM'),
    X86_PAT: bool('X86_PAT'),
    VIRTIO_MEM: tri('VIRTIO_MEM'),
    CROSS_MEMORY_ATTACH: bool('CROSS_MEMORY_ATTACH'),
    PROC_KCORE: bool('PROC_KCORE'),
    DEBUG_FS: bool('DEBUG_FS'),
    SECURITY_LOCKDOWN_LSM: bool('SECURITY_LOCKDOWN_LSM'),
    MODULE_SIG: bool('MODULE_SIG'),
    ...(Number.isInteger(paBits) && paBits > 0 ? { ARM64_PA_BITS: paBits } : {}),
  };
}

/** The features whose presence differs between kernels (versions.ts decides them). */
export type FeatureId =
  | 'regionIntersectsDescendants'
  | 'iomemExclusiveSystemRam'
  | 'virtioMemParentExclusive'
  | 'genericAccessPhysRecheck'
  | 'kcoreSkipsOffline'
  | 'rwStopsOnAnySignal'
  | 'maxPfnCountsAcpi'
  | 'revokeOnClaim'
  | 'walkMemResDescends'
  | 'patRangeFollowsStrictDevmem';

/** A feature answer measured by a probe; wins over the version guess (see versions.ts). */
export interface MeasuredFeature {
  enabled: boolean;
  evidence: string;
}

/** Static for one boot. */
export interface KernelFacts {
  version: KernelVersion;
  config: KernelConfig;
  cmdline: BootCmdline;
  /** Absent: x86_64 (every fixture and report before arm64). */
  arch?: Arch;
  /** x86: /proc/cpuinfo's address sizes; arm64: CONFIG_ARM64_PA_BITS. */
  physBits: number;
  /**
   * Probe-measured answers that override version guesses: any FeatureId
   * (versions.ts), and patEnabled (pat_enabled(), e.g. from dmesg "x86/PAT").
   */
  measured?: Partial<Record<FeatureId | 'patEnabled', MeasuredFeature>>;
  /**
   * The virtio_mem module file carries an appended signature ("~Module
   * signature appended~"), read by the lab from the module it puts in the
   * guest. Absent when the lab could not tell (then no prediction leans on it).
   */
  virtioMemSigned?: boolean;
  /**
   * The MTRRs (mtrr.ts): what pat_x_mtrr_type() answers a write-back
   * /dev/mem mapping with. Absent when the lab could not read them (then
   * no prediction leans on them).
   */
  mtrr?: MtrrFacts;
}

/** The guest's MTRRs: the variable ranges it reports, the rest from the firmware. */
export interface MtrrFacts {
  /** Enabled variable ranges (/proc/mtrr). */
  variable: MtrrRange[];
  /** MTRRdefType's type: what an address no variable range covers gets. */
  defaultType: MtrrType;
  /** The fixed ranges below 1 MiB, [start, endExcl). */
  fixed: { start: number; endExcl: number; type: MtrrType }[];
  /** Where defaultType and fixed come from. */
  source: string;
}

export interface VirtioMemState {
  /** The virtio_mem driver is bound to the device. */
  bound: boolean;
  /** The device's whole region (QMP memaddr .. memaddr+max-size-1). */
  region?: PhysRange;
  /** Plugged ranges as the device reports them. */
  plugged: PhysRange[];
  /**
   * The guest's memory block size (/sys/devices/system/memory/block_size_bytes):
   * the unit in which the driver adds memory to Linux, 128 MiB here.
   */
  blockSize: number;
}

/** Measured at each step. */
export interface StepState {
  iomem: IomemNode[];
  /** First physical address where a 1-byte pread of /dev/mem gives EFAULT (measured on x86; NaN on arm64, never read there). */
  highMemoryEnd: number;
  lockdown: LockdownLevel;
  virtioMem: VirtioMemState;
  /**
   * PAT reservations when the guest exposes them. Absent: the model predicts
   * them from labMappings and says 'unknown' where that is not enough
   * (memtypes.ts, R-MMAP-PAT).
   */
  memtypes?: MemtypeEntry[];
  /** The lab's live /dev/mem mappings (its holds) at this step. */
  labMappings?: LabMapping[];
  /**
   * The physical ranges the emulated machine backs with RAM or a device
   * (QEMU's flat view of the system address space, read from the host over
   * QMP: `info mtree -f`). Read on arm64 only, where QEMU answers an access
   * to an unbacked address with a synchronous external abort; absent
   * elsewhere (q35 reads such addresses as all-ones, without a fault).
   */
  backed?: PhysRange[];
}

export const pfnOf = (addr: number): number => Math.floor(addr / PAGE_SIZE);
export const pageStart = (addr: number): number => pfnOf(addr) * PAGE_SIZE;

/**
 * A reservation the model predicts. With typeUnknown set the type is
 * write-back or uncached-minus (pat_x_mtrr_type()) and the model cannot
 * tell which; typeUnknown names the missing input.
 */
export type ModelReservation = MemtypeEntry & { typeUnknown?: string };

/** A /dev/mem mapping the lab holds, as the model needs it. */
export interface LabMapping {
  name: string;
  start: number;
  /** Exclusive end. */
  endExcl: number;
  /** The reservation its mmap made (memtypes.ts mappingReservation(), at the step it was made), if any. */
  reservation?: ModelReservation;
  /**
   * Zapped by a claim (R-REVOKE). What the zap did to the reservation is
   * the kernel's business: untrack_pfn() frees it up to 6.x unless the
   * range has turned into RAM, the VMA-bound tracking of later kernels keeps
   * it until munmap. The model does not assume either.
   */
  revoked: boolean;
  /**
   * The pages certainly still mapped, when not all are (end exclusive): with
   * `revoked`, those the claims left (touch.ts livePieces()), e.g. the half
   * of a mapping that straddles a claimed BAR's edge; less any a claim the
   * lab could not see may have revoked. Their PTEs are live, so S6 wants
   * them covered still.
   */
  live?: { start: number; endExcl: number }[];
}
