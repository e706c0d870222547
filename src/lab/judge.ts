// Puts the model to work on a run: kernel facts from the guest and the
// kernel package, a StepState per step, and for every probe the expected
// outcome, the rule that decided it and a verdict. S1 is checked on every
// probe whatever the model predicted.
import type { IomemNode } from '../guest/iomem.js';
import type { GuestBootFacts } from '../guest/observe.js';
import { DEFAULT_ARCH, type Arch } from '../util/arch.js';
import {
  seabiosMtrr,
  checkHighMemory,
  checkVirtioMemShape,
  predictKcore,
  predictReload,
  predictUnload,
  checkS1,
  explainJudgement,
  parseCmdline,
  parseKernelConfig,
  parseKernelVersion,
  predict,
  type Expected,
  type Judgement,
  type KernelFacts,
  type PredictOptions,
  type LockdownLevel,
  type MemtypeEntry,
  type SafetyEvidence,
  type StepState,
} from '../model/index.js';
import type { ProbeObserved, ProbeRecord, ProbeSpec } from '../probe/types.js';
import type { DeviceInfo } from '../qmp/device.js';

export function kernelFacts(boot: GuestBootFacts, configText: string, arch: Arch = DEFAULT_ARCH): KernelFacts {
  const config = parseKernelConfig(configText);
  // arm64: PHYS_MASK_SHIFT is CONFIG_ARM64_PA_BITS (arch/arm64/include/asm/pgtable-hwdef.h), what valid_mmap_phys_addr_range() masks with.
  const physBits = arch === 'arm64' ? config.ARM64_PA_BITS ?? Number.NaN : boot.physBits;
  return {
    ...(arch === DEFAULT_ARCH ? {} : { arch }),
    version: parseKernelVersion(boot.release, boot.procVersion),
    config,
    cmdline: parseCmdline(boot.cmdline),
    physBits,
    // The lab's x86 guests boot QEMU's SeaBIOS; /proc/mtrr gives the rest.
    mtrr: boot.mtrr ? seabiosMtrr(boot.mtrr) : undefined,
  };
}

export function stepState(opts: {
  iomem: IomemNode[];
  highMemoryEnd: number;
  lockdown: LockdownLevel;
  device: DeviceInfo | undefined;
  bound: boolean;
  memoryBlockSize: number;
  memtypes?: MemtypeEntry[];
  backed?: { start: number; end: number }[];
}): StepState {
  const vm = opts.device;
  return {
    ...(opts.memtypes ? { memtypes: opts.memtypes } : {}),
    ...(opts.backed ? { backed: opts.backed } : {}),
    iomem: opts.iomem,
    highMemoryEnd: opts.highMemoryEnd,
    lockdown: opts.lockdown,
    virtioMem: {
      bound: opts.bound,
      region: vm ? { start: vm.memaddr, end: vm.memaddr + vm.maxSize - 1 } : undefined,
      // QMP gives the plugged size, not which blocks: Linux's driver plugs
      // from the lowest block up and unplugs from the highest down
      // (virtio_mem_sbm_plug_request / virtio_mem_sbm_unplug_request), so
      // the plugged part is the start of the region.
      plugged: vm && vm.size > 0 ? [{ start: vm.memaddr, end: vm.memaddr + vm.size - 1 }] : [],
      blockSize: opts.memoryBlockSize,
    },
  };
}

/** Adds expected, verdict and reason to one observed probe; returns the S1 evidence. */
export function judgeProbe(facts: KernelFacts, state: StepState, spec: ProbeSpec, rec: ProbeRecord, opts: PredictOptions = {}): SafetyEvidence {
  const s1 = checkS1(facts, state, spec, rec.observed);
  if (rec.observed.result === 'refused') {
    rec.verdict = 'skipped';
    rec.verdictReason = `agent refused: ${rec.observed.reason ?? 'not allowed'}`;
    return s1;
  }
  const e = predict(facts, state, spec, opts);
  const j = applyExpected(rec, e);
  if (s1.violated) {
    rec.verdict = 'violation';
    rec.verdictReason = `S1: ${s1.evidence}`;
  } else {
    rec.verdict = j.verdict;
    if (j.verdict !== 'match') rec.verdictReason = j.reason;
  }
  return s1;
}

/** Records what the model expected of a probe and judges the observation against it. */
export function applyExpected(rec: ProbeRecord, e: Expected): Judgement {
  rec.expected = { outcome: e.outcome, errno: e.errno, syscall: e.syscall, signal: e.signal, rule: e.rule, via: e.via, why: e.why, ...(e.unknown ? { unknown: e.unknown } : {}) };
  return explainJudgement(e, rec.observed);
}

/** A step-level check of the model against what the guest shows (iomem shape, high_memory, module commands). */
export interface StepCheck {
  rule: string;
  verdict: 'match' | 'mismatch';
  message: string;
}

/**
 * The model's step-level rules: the virtio-mem resource shape (R-VMEM-*),
 * high_memory after hot-add (R-HIGHMEM-HOTADD), and what rmmod / modprobe of
 * virtio_mem should have done given the state before the step.
 */
export function stepChecks(opts: {
  facts: KernelFacts;
  state: StepState;
  previous?: StepState;
  action: { kind: string; module?: string };
  exitCode?: number | null;
  /** The action command's stderr (modprobe's message). */
  stderr?: string;
  dmesg: string[];
  hostPattern?: { agree: boolean; hostFnv: string; addr: string; guest: unknown };
}): StepCheck[] {
  const { facts, state, previous } = opts;
  const out: StepCheck[] = [];
  if (opts.action.kind === 'host-pattern' && opts.hostPattern) {
    // Not a model rule: the host's and the guest's views of one plugged page,
    // when the kernel lets the guest read /proc/kcore at all; when the model
    // says it cannot (lockdown=confidentiality), the refusal is judged instead.
    const p = opts.hostPattern;
    const kcore = predictKcore(facts, { page: 'online', capSysRawio: true, lockdown: state.lockdown });
    if (kcore.outcome === 'errno') {
      const j = explainJudgement(kcore, p.guest as ProbeObserved);
      out.push({ rule: kcore.rule, verdict: j.verdict === 'match' ? 'match' : 'mismatch', message: `no host/guest cross-check: ${kcore.why}; guest read ${JSON.stringify(p.guest)}` });
    } else {
      out.push({ rule: 'HOST-GUEST-CROSSCHECK', verdict: p.agree ? 'match' : 'mismatch', message: `host wrote FNV ${p.hostFnv} at ${p.addr}; guest read ${JSON.stringify(p.guest)} through /proc/kcore` });
    }
  }
  out.push(...checkVirtioMemShape(facts, state).map((f): StepCheck => ({ rule: f.rule, verdict: f.ok ? 'match' : 'mismatch', message: f.message })));
  if (previous && !Number.isNaN(previous.highMemoryEnd) && !Number.isNaN(state.highMemoryEnd)) {
    const h = checkHighMemory(facts, previous.highMemoryEnd, state);
    out.push({ rule: h.rule, verdict: h.ok ? 'match' : 'mismatch', message: h.message });
  }
  if (previous && opts.action.module === 'virtio_mem' && opts.action.kind === 'rmmod') {
    const p = predictUnload(facts, previous);
    const warned = p.dmesg ? opts.dmesg.some((l) => l.includes(p.dmesg!)) : true;
    out.push({ rule: p.rule, verdict: warned ? 'match' : 'mismatch', message: `${p.why}${p.dmesg ? `; dmesg ${warned ? 'shows' : 'lacks'} "${p.dmesg}"` : ''}` });
  }
  if (previous && opts.action.module === 'virtio_mem' && opts.action.kind === 'modprobe' && !previous.virtioMem.bound) {
    const p = predictReload(facts, previous);
    const ok = p.ok
      ? state.virtioMem.bound
      : !state.virtioMem.bound && (!p.dmesg || opts.dmesg.some((l) => l.includes(p.dmesg!))) && (!p.stderr || (opts.stderr ?? '').includes(p.stderr));
    out.push({ rule: p.rule, verdict: ok ? 'match' : 'mismatch', message: `${p.why}; driver ${state.virtioMem.bound ? 'bound' : 'not bound'}, modprobe exit ${opts.exitCode}` });
  }
  return out;
}
