// Address classes and outcome classes: the vocabulary the JUnit output, the
// HTML page and `compare` group probes by. A class says where a probe went
// (what kind of physical memory, as the step's /proc/iomem, QMP's
// query-memory-devices and the measured high_memory end describe it); an
// outcome says what the kernel did, without the bytes (page contents differ
// from run to run, behaviour should not).
//
// Precedence, first that applies:
//   device-region-plugged / -unplugged  inside a virtio-mem device's region
//       (QMP memaddr .. memaddr+max-size). Plugged: inside a
//       "System RAM (virtio_mem)" resource there; when the guest shows none
//       but QMP reports a plugged size, the first `size` bytes.
//   low-mib             below 1 MiB, where devmem_is_allowed() has its own rules
//   ram                 covered by a "System RAM…" resource (any depth)
//   mmio-busy           covered by non-RAM resources, at least one of them busy
//                       by the name-based flag inference of src/model/flags.ts
//                       (a driver's claim inside a BAR, MMCONFIG/ECAM, IOAPIC,
//                       Local APIC, ROMs, unknown names)
//   mmio-free           covered only by idle resources (PCI host bridge windows,
//                       unclaimed BARs, E820 Reserved above 1 MiB, pnp, HPET,
//                       ACPI platform devices)
//   beyond-high-memory  no resource, at or above the measured high_memory end
//   unclaimed-hole      no resource, below it (or high_memory unknown)
import { parseIomem, type IomemNode } from '../guest/iomem.js';
import { inferFlags, resolveFeatures, VIRTIO_MEM_CHILD, VIRTIO_MEM_PARENT, type Features, type PhysRange } from '../model/index.js';
import type { ProbeExpectation, ProbeObserved, ProbeOp, ProbeRecord } from '../probe/types.js';
import { summarize, type Report, type StepObservations, type StepReport } from './types.js';

export type AddressClass =
  | 'low-mib'
  | 'ram'
  | 'mmio-busy'
  | 'mmio-free'
  | 'unclaimed-hole'
  | 'beyond-high-memory'
  | 'device-region-plugged'
  | 'device-region-unplugged';

/** Display order: up the address space, the device region last. */
export const ADDRESS_CLASSES: readonly AddressClass[] = [
  'low-mib',
  'ram',
  'mmio-busy',
  'mmio-free',
  'unclaimed-hole',
  'beyond-high-memory',
  'device-region-plugged',
  'device-region-unplugged',
];

export const CLASS_LABEL: Record<AddressClass, string> = {
  'low-mib': 'low MiB',
  ram: 'RAM',
  'mmio-busy': 'MMIO busy',
  'mmio-free': 'MMIO free',
  'unclaimed-hole': 'unclaimed hole',
  'beyond-high-memory': 'beyond high_memory',
  'device-region-plugged': 'device region plugged',
  'device-region-unplugged': 'device region unplugged',
};

const ONE_MIB = 0x100000;

export interface DeviceRegion {
  id: string;
  /** Inclusive range of the whole device region. */
  start: number;
  end: number;
  /** Plugged parts, inclusive ranges. */
  plugged: PhysRange[];
  /** Where `plugged` came from. */
  pluggedFrom: 'iomem' | 'qmp-size' | 'none';
}

/** What one step's observations say about the physical address space. */
export interface AddressMap {
  roots: IomemNode[];
  devices: DeviceRegion[];
  highMemoryEnd: number | null;
}

// The busy bit inferFlags() gives never depends on the kernel version (only
// the virtio-mem parent's EXCLUSIVE bit does, and the device region is
// classified before any flag is asked), so one fixed feature set serves
// every report and keeps classes comparable across kernels.
let features: Features | undefined;
const anyFeatures = (): Features => (features ??= resolveFeatures({ version: { major: 6, minor: 1, patch: 0, patchKnown: false, raw: 'classes' } }));

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function parseOrEmpty(text: string | undefined): IomemNode[] {
  if (!text) return [];
  try {
    return parseIomem(text);
  } catch {
    // A report without readable iomem (zeros as non-root): classes then come
    // from the device and high_memory alone.
    return [];
  }
}

function* walk(nodes: IomemNode[]): Generator<IomemNode> {
  for (const n of nodes) {
    yield n;
    yield* walk(n.children);
  }
}

export function addressMap(obs: Pick<StepObservations, 'iomem' | 'memoryDevices' | 'highMemoryEnd'>): AddressMap {
  const roots = parseOrEmpty(obs.iomem);
  const all = [...walk(roots)];
  const devices: DeviceRegion[] = [];
  for (const d of obs.memoryDevices ?? []) {
    const dev = d as { type?: string; data?: Record<string, unknown> };
    if (dev?.type !== 'virtio-mem' || !dev.data) continue;
    const start = num(dev.data.memaddr);
    const max = num(dev.data['max-size']) ?? num(dev.data.size);
    if (start === undefined || !max) continue;
    devices.push(region(String(dev.data.id ?? 'virtio-mem'), start, start + max - 1, num(dev.data.size) ?? 0, all));
  }
  if (devices.length === 0) {
    // No QMP view: the driver's "virtioN" parent still names the region.
    for (const n of all) if (VIRTIO_MEM_PARENT.test(n.name)) devices.push(region(n.name, n.start, n.end, 0, all));
  }
  const hm = obs.highMemoryEnd ? Number.parseInt(obs.highMemoryEnd, 16) : NaN;
  return { roots, devices, highMemoryEnd: Number.isFinite(hm) ? hm : null };
}

function region(id: string, start: number, end: number, size: number, all: IomemNode[]): DeviceRegion {
  const plugged = all.filter((n) => n.name === VIRTIO_MEM_CHILD && n.start >= start && n.end <= end).map((n) => ({ start: n.start, end: n.end }));
  if (plugged.length > 0) return { id, start, end, plugged, pluggedFrom: 'iomem' };
  if (size > 0) return { id, start, end, plugged: [{ start, end: start + size - 1 }], pluggedFrom: 'qmp-size' };
  return { id, start, end, plugged: [], pluggedFrom: 'none' };
}

/** The resources covering `addr`, outermost first. */
export function coveringChain(roots: IomemNode[], addr: number): IomemNode[] {
  const chain: IomemNode[] = [];
  let level = roots;
  for (;;) {
    const n = level.find((x) => x.start <= addr && addr <= x.end);
    if (!n) return chain;
    chain.push(n);
    level = n.children;
  }
}

export function classifyAddress(map: AddressMap, addr: number): AddressClass {
  for (const d of map.devices) {
    if (addr < d.start || addr > d.end) continue;
    return d.plugged.some((r) => r.start <= addr && addr <= r.end) ? 'device-region-plugged' : 'device-region-unplugged';
  }
  if (addr < ONE_MIB) return 'low-mib';
  const chain = coveringChain(map.roots, addr);
  if (chain.some((n) => n.name.startsWith('System RAM'))) return 'ram';
  if (chain.length > 0) {
    const busy = chain.some((n, i) => inferFlags(n, i > 0 ? chain[i - 1].name : undefined, anyFeatures()).busy);
    return busy ? 'mmio-busy' : 'mmio-free';
  }
  if (map.highMemoryEnd !== null && addr >= map.highMemoryEnd) return 'beyond-high-memory';
  return 'unclaimed-hole';
}

/** A classifier for the probes of one step (parses the step's iomem once). */
export function stepClassifier(step: Pick<StepReport, 'observations'>): (p: Pick<ProbeRecord, 'addr'>) => AddressClass {
  const map = addressMap(step.observations);
  const cache = new Map<string, AddressClass>();
  return (p) => {
    let c = cache.get(p.addr);
    if (c === undefined) {
      c = classifyAddress(map, Number.parseInt(p.addr, 16));
      cache.set(p.addr, c);
    }
    return c;
  };
}

/** "plug-512M / device-region-plugged / mmap-shared": the unit JUnit, HTML and compare group by. */
export const groupName = (step: string, cls: AddressClass, op: ProbeOp | string): string => `${step} / ${cls} / ${op}`;

// ---- run names ---------------------------------------------------------

/**
 * A report with the fields earlier lab versions did not write filled in
 * (safety, findings, the summary's verdict counts), so readers need not
 * guard every access. Values the report has always win.
 */
export function readableReport(r: Report): Report {
  const durationMs = r.summary?.durationMs ?? 0;
  return {
    ...r,
    environment: r.environment ?? {},
    steps: r.steps ?? [],
    safety: r.safety ?? [],
    findings: r.findings ?? [],
    summary: { ...summarize(r.steps ?? [], durationMs), ...r.summary },
  };
}

/** Command-line words the run added to the profile's (e.g. "iomem=relaxed"). */
export function extraCmdline(report: Report): string[] {
  const words = (report.environment.guest?.cmdline ?? '').split(/\s+/).filter(Boolean);
  const profile = (report.environment.profile as { cmdline?: unknown } | undefined)?.cmdline;
  const base = new Set(Array.isArray(profile) ? profile.map(String) : []);
  return words.filter((w) => !base.has(w));
}

/** "6.1.0-56-amd64 / lifecycle / iomem=relaxed": kernel, scenario, the command line beyond the profile's. */
export function runName(report: Report): string {
  const env = report.environment;
  const kernel = env.kernel?.release || env.kernel?.spec || 'unknown-kernel';
  const extra = extraCmdline(report);
  return `${kernel} / ${env.scenario ?? 'unknown-scenario'} / ${extra.length > 0 ? extra.join(' ') : 'default cmdline'}`;
}

// ---- outcomes ----------------------------------------------------------

/** Ops whose success is a mapping, not bytes. */
const MAPPING_OPS: ReadonlySet<string> = new Set(['mmap-shared', 'mmap-private', 'hold-shared', 'hold-private']);
export const isMappingOp = (op: string): boolean => MAPPING_OPS.has(op);

/**
 * What the kernel did, without bytes: 'data' / 'zeros' (a read or touch that
 * returned bytes), 'mapped' (an mmap that succeeded), 'errno:EPERM',
 * 'signal:SIGBUS', 'refused'.
 */
export type Outcome = string;

export function probeOutcome(p: Pick<ProbeRecord, 'op' | 'observed'>): Outcome {
  const o = p.observed;
  switch (o.result) {
    case 'ok':
      if (isMappingOp(p.op)) return 'mapped';
      return o.zero ? 'zeros' : 'data';
    case 'errno':
      return `errno:${o.errno ?? '?'}`;
    case 'signal':
      return `signal:${o.signal ?? '?'}`;
    default:
      return 'refused';
  }
}

/** Colour families: allowed (data or a mapping), zeros, EPERM, EFAULT, another errno, a signal, refused. */
export type OutcomeKind = 'allowed' | 'zeros' | 'eperm' | 'efault' | 'errno' | 'signal' | 'refused';

export function outcomeKind(o: Outcome): OutcomeKind {
  if (o === 'data' || o === 'mapped') return 'allowed';
  if (o === 'zeros') return 'zeros';
  if (o === 'errno:EPERM') return 'eperm';
  if (o === 'errno:EFAULT') return 'efault';
  if (o.startsWith('errno:')) return 'errno';
  if (o.startsWith('signal:')) return 'signal';
  return 'refused';
}

export const OUTCOME_KIND_LABEL: Record<OutcomeKind, string> = {
  allowed: 'allowed (data / mapped)',
  zeros: 'zeros',
  eperm: 'denied EPERM',
  efault: 'EFAULT (range)',
  errno: 'other errno',
  signal: 'signal',
  refused: 'refused by the agent',
};

/** The observation in words, e.g. "errno EPERM (mmap)", "data, 4096 bytes". */
export function describeObserved(op: ProbeOp | string, o: ProbeObserved): string {
  switch (o.result) {
    case 'ok':
      if (isMappingOp(op)) return 'mapped';
      return `${o.zero ? 'zeros' : 'data'}${o.bytes !== undefined ? `, ${o.bytes} bytes` : ''}`;
    case 'errno':
      return `errno ${o.errno ?? '?'}${o.syscall ? ` (${o.syscall})` : ''}`;
    case 'signal':
      return `signal ${o.signal ?? '?'}${o.sigCode ? ` ${o.sigCode}` : ''}${o.bytes !== undefined ? ` after ${o.bytes} bytes` : ''}`;
    default:
      return `refused${o.reason ? `: ${o.reason}` : ''}`;
  }
}

/** The model's expectation in words, e.g. "errno EPERM (mmap) by R-MMAP-DENY". */
export function describeExpected(e: ProbeExpectation): string {
  const what =
    e.outcome === 'errno'
      ? `errno ${e.errno ?? '?'}${e.syscall ? ` (${e.syscall})` : ''}`
      : e.outcome === 'signal'
        ? `signal ${e.signal ?? '?'}`
        : e.outcome === 'ok'
          ? 'mapped'
          : e.outcome;
  return `${what} by ${e.rule}`;
}

/** A mismatch or a violation. */
export const isBad = (v: string | undefined): boolean => v === 'mismatch' || v === 'violation';
