// The report's shape (schema "devmem-lab/report@1"). Later stages add fields;
// readers must ignore fields they do not know.
import type { ProbeRecord } from '../probe/types.js';

export const REPORT_SCHEMA = 'devmem-lab/report@1';

/** How a run's guest came up (lab/saved.ts: boot once, run many). */
export type GuestOrigin =
  | { mode: 'booted' }
  | { mode: 'booted-and-saved'; state: string; stateBytes: number; saveMs: number }
  | { mode: 'restored'; state: string; savedAt: string; restoreMs: number }
  | { mode: 'booted-after-failed-restore'; state: string; error: string; resaved: boolean };

export interface StepObservations {
  /** /proc/iomem as the guest printed it (read as root: real addresses). */
  iomem: string;
  /** Kernel log lines that appeared during the step. */
  dmesg: string[];
  /** QMP query-memory-devices after the step. */
  memoryDevices: unknown[];
  /** Whether a virtio device is bound to the virtio_mem driver. */
  virtioMemBound: boolean;
  /** Whether the virtio_mem module is loaded. */
  virtioMemLoaded: boolean;
  /** First physical address where a 1-byte /dev/mem pread fails EFAULT (hex); null when /dev/mem cannot be opened. */
  highMemoryEnd: string | null;
  /** The action's own record (resize progress, module command output, ...). */
  action: Record<string, unknown>;
  /** The host's view of the device memory through the shared backend. */
  host?: unknown;
  /** arm64: the ranges the machine backs (QEMU's flat view, merged), "start-end" in hex; absent on x86. */
  backed?: string[];
  /**
   * x86 PAT memtype reservations (debugfs x86/pat_memtype_list), one per
   * line; absent when the guest does not expose them.
   */
  patMemtypes?: string;
}

export interface StepReport {
  name: string;
  action: string;
  startedAt: string;
  durationMs: number;
  observations: StepObservations;
  probes: ProbeRecord[];
  /** Step-level rules: virtio-mem resource shape, high_memory, module load/unload. */
  checks?: { rule: string; verdict: 'match' | 'mismatch' | 'flaky'; message: string; repeats?: Repeats }[];
  error?: { code: string; message: string };
}

export interface Environment {
  runId: string;
  startedAt: string;
  kernel: {
    spec: string;
    source: string;
    release: string;
    imageSha256: string;
    config: Record<string, string>;
    /** Device options the kernel's driver needs (e.g. unplugged-inaccessible=off for 5.10), with why. */
    deviceOptions?: { unpluggedInaccessible: 'on' | 'off'; why: string };
  };
  /** arch: the guest's architecture, absent for x86_64 (reports before arm64 have none). */
  guest: { version: string; cmdline: string; physBits: number; lockdown: string; arch?: 'x86_64' | 'arm64' };
  qemu: { version: string; argv: string[]; accel: string };
  image: { key: string; size: number };
  host: { node: string; platform: string; release: string };
  profile: unknown;
  scenario: string;
  /** What the model was given (flags of iomem resources are inferred from names). */
  model: unknown;
  /**
   * Guests relaunched because init said "ready" but no SSH session came:
   * each failed boot's error and its last console lines.
   */
  bootRetries?: { code: string; message: string; consoleTail: string[] }[];
  /**
   * How the guest came up: booted, booted and saved for later runs, restored
   * from a saved guest (which one, saved when), or booted because restoring
   * failed (lab/saved.ts).
   */
  origin?: GuestOrigin;
  /**
   * The guest's speed against the reference for its accelerator (launch to
   * init ready, or the restore), and the named waits (ms) it gave the run
   * after the guest was up (lab/timeouts.ts).
   */
  timing?: { accel: string; basis: 'boot' | 'restore'; measuredMs: number; referenceMs: number; factor: number; timeouts: Record<string, number> };
  /** A repeated run (--repeat N): how many repeats, restored or freshly booted, and their run ids (repeat-<k>/ beside the report). */
  repeats?: { runs: number; boots: 'restored' | 'fresh'; runIds: string[] };
}

/** One outcome a probe, check or property had in some of the repeats of a run. */
export interface RepeatOutcome {
  outcome: string;
  verdict: string;
  count: number;
}

/** A result across the repeats of a run (format/repeats.ts). */
export interface Repeats {
  runs: number;
  outcomes: RepeatOutcome[];
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  status: 'completed' | 'failed' | 'interrupted' | 'running';
  environment: Partial<Environment>;
  steps: StepReport[];
  /** S1…S7: holds / violated / not-exercised, with evidence. */
  safety: SafetyEntry[];
  summary: Summary;
  /** Per rule id of the model page: probes and checks that exercised it, or why none did. */
  coverage?: RuleCoverage[];
  error?: { code: string; kind: string; message: string; hint?: string; context?: unknown };
  /** Why the run did not complete: a one-word kind and its evidence (QEMU's exit, console tail, step). */
  fault?: import('./faults.js').Fault;
  /** Console lines worth a look (panic, Oops, BUG, WARNING), recorded even when the run goes on. */
  findings: import('./faults.js').ConsoleFinding[];
}

export interface SafetyEntry {
  id: string;
  text: string;
  /** flaky: held in some repeats of the run and was violated in others. */
  status: 'holds' | 'violated' | 'not-exercised' | 'flaky';
  checks: number;
  evidence: string[];
  repeats?: Repeats;
}

export interface RuleCount {
  probes: number;
  /** Step-level checks decided by this rule. */
  checks: number;
  match: number;
  mismatch: number;
  violation: number;
}

export interface Summary {
  steps: number;
  probes: number;
  matches: number;
  mismatches: number;
  violations: number;
  skipped: number;
  /** Probes the model could not judge for want of an input (verdict 'unknown'); absent in older reports. */
  unknown?: number;
  /** Probes whose outcome varied between the repeats of the run (never findings). */
  flaky?: number;
  /** Step-level checks: matches and mismatches (and, in a repeated run, those that varied). */
  checks: { match: number; mismatch: number; flaky?: number };
  byOp: Record<string, number>;
  byResult: Record<string, number>;
  /** Per rule id of the model page: how many probes it decided (as `rule`) and their verdicts. */
  rules: Record<string, RuleCount>;
  /** Rules that decided along the way (`via`), counted per probe. */
  rulesVia: Record<string, number>;
  durationMs: number;
}

export function summarize(steps: StepReport[], durationMs: number): Summary {
  const sum: Summary = { steps: steps.length, probes: 0, matches: 0, mismatches: 0, violations: 0, skipped: 0, unknown: 0, checks: { match: 0, mismatch: 0 }, byOp: {}, byResult: {}, rules: {}, rulesVia: {}, durationMs };
  const inc = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
  for (const s of steps) {
    for (const p of s.probes) {
      sum.probes++;
      inc(sum.byOp, p.op);
      inc(sum.byResult, p.observed.result);
      if (p.verdict === 'match') sum.matches++;
      else if (p.verdict === 'mismatch') sum.mismatches++;
      else if (p.verdict === 'violation') sum.violations++;
      else if (p.verdict === 'skipped') sum.skipped++;
      else if (p.verdict === 'unknown') sum.unknown = (sum.unknown ?? 0) + 1;
      else if (p.verdict === 'flaky') sum.flaky = (sum.flaky ?? 0) + 1;
      if (p.expected) {
        const r = (sum.rules[p.expected.rule] ??= { probes: 0, checks: 0, match: 0, mismatch: 0, violation: 0 });
        r.probes++;
        if (p.verdict === 'match' || p.verdict === 'mismatch' || p.verdict === 'violation') r[p.verdict]++;
        for (const v of p.expected.via) if (v !== p.expected.rule) inc(sum.rulesVia, v);
      }
    }
    for (const c of s.checks ?? []) {
      const r = (sum.rules[c.rule] ??= { probes: 0, checks: 0, match: 0, mismatch: 0, violation: 0 });
      r.checks++;
      if (c.verdict === 'flaky') {
        sum.checks.flaky = (sum.checks.flaky ?? 0) + 1;
        continue;
      }
      sum.checks[c.verdict]++;
      r[c.verdict]++;
    }
  }
  return sum;
}

/** One rule of the model page: exercised by the run or not, and why not (format/coverage.ts). */
export interface RuleCoverage {
  rule: string;
  probes: number;
  checks: number;
  /** Probes where the rule decided along the way (not as the final rule). */
  via: number;
  status: 'exercised' | 'not-exercised';
  why?: string;
}
