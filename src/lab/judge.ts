// Puts the model to work on a run: kernel facts from the guest and the
// kernel package, a StepState per step, and for every probe the expected
// outcome, the rule that decided it and a verdict. S1 is checked on every
// probe whatever the model predicted.
import type { IomemNode } from '../guest/iomem.js';
import type { GuestBootFacts } from '../guest/observe.js';
import {
  checkS1,
  explainJudgement,
  parseCmdline,
  parseKernelConfig,
  parseKernelVersion,
  predict,
  type KernelFacts,
  type LockdownLevel,
  type SafetyEvidence,
  type StepState,
} from '../model/index.js';
import type { ProbeRecord, ProbeSpec } from '../probe/types.js';

export function kernelFacts(boot: GuestBootFacts, configText: string): KernelFacts {
  return {
    version: parseKernelVersion(boot.release, boot.procVersion),
    config: parseKernelConfig(configText),
    cmdline: parseCmdline(boot.cmdline),
    physBits: boot.physBits,
  };
}

interface VirtioMemQmp {
  memaddr: number;
  'max-size': number;
  size: number;
}

/** The virtio-mem device's data from query-memory-devices, if there is one. */
export function virtioMemInfo(memoryDevices: unknown[]): VirtioMemQmp | undefined {
  const d = (memoryDevices as { type?: string; data?: VirtioMemQmp }[]).find((m) => m?.type === 'virtio-mem');
  return d?.data;
}

export function stepState(opts: {
  iomem: IomemNode[];
  highMemoryEnd: number;
  lockdown: string;
  memoryDevices: unknown[];
  bound: boolean;
  memoryBlockSize: number;
}): StepState {
  const vm = virtioMemInfo(opts.memoryDevices);
  return {
    iomem: opts.iomem,
    highMemoryEnd: opts.highMemoryEnd,
    lockdown: opts.lockdown as LockdownLevel,
    virtioMem: {
      bound: opts.bound,
      region: vm ? { start: vm.memaddr, end: vm.memaddr + vm['max-size'] - 1 } : undefined,
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
export function judgeProbe(facts: KernelFacts, state: StepState, spec: ProbeSpec, rec: ProbeRecord): SafetyEvidence {
  const s1 = checkS1(facts, state, spec, rec.observed);
  if (rec.observed.result === 'refused') {
    rec.verdict = 'skipped';
    rec.verdictReason = `agent refused: ${rec.observed.reason ?? 'not allowed'}`;
    return s1;
  }
  const e = predict(facts, state, spec);
  rec.expected = { outcome: e.outcome, errno: e.errno, syscall: e.syscall, signal: e.signal, rule: e.rule, via: e.via, why: e.why };
  const j = explainJudgement(e, rec.observed);
  if (s1.violated) {
    rec.verdict = 'violation';
    rec.verdictReason = `S1: ${s1.evidence}`;
  } else {
    rec.verdict = j.verdict;
    if (j.verdict === 'mismatch') rec.verdictReason = j.reason;
  }
  return s1;
}
