// The behaviour diff of two reports (schema "devmem-lab/compare@1").
// Probes are compared per (step, address class, op) group, and exactly per
// (step, address, op) where both runs probed the same page; outcomes are
// classes (data, zeros, mapped, errno:EPERM, signal:SIGBUS, …), never bytes
// or timings, so two runs of one kernel compare equal.
import type { AddressClass, Outcome } from '../format/classes.js';

export const COMPARE_SCHEMA = 'devmem-lab/compare@1';

/**
 * regression: a match (or nothing bad) in A became a mismatch or violation
 * in B; change: B behaved differently where both runs looked; fix: the
 * reverse of a regression; rule: same behaviour, the model explains it by
 * another rule; content: only whether the bytes read were all zero differs,
 * where the model predicts data without saying which; coverage: only one run
 * looked (a step, a class, an address, a check the other run did not have);
 * flaky: one side's result varied between the repeats of its run (--repeat),
 * so it is shown apart and is never a regression nor a fix; arch: the runs
 * are of two architectures and each side matched its own architecture's
 * model (compare/arch.ts), so the rules that differ explain it.
 */
export type Severity = 'regression' | 'change' | 'fix' | 'flaky' | 'arch' | 'rule' | 'content' | 'coverage';
export const SEVERITIES: readonly Severity[] = ['regression', 'change', 'fix', 'flaky', 'arch', 'rule', 'content', 'coverage'];

export interface RunLabel {
  /** "6.1.0-56-amd64 / lifecycle / default cmdline" */
  name: string;
  runId?: string;
  kernel?: string;
  scenario?: string;
  cmdline?: string;
  /** The guest's architecture (x86_64 for reports that name none). */
  arch?: string;
  status: string;
}

export interface VerdictCounts {
  match: number;
  mismatch: number;
  violation: number;
  skipped: number;
  unknown: number;
  flaky: number;
}

export interface OutcomeStat {
  count: number;
  /** expected.rule → probes with this outcome it decided. */
  rules: Record<string, number>;
}

/** One side of a (step, class, op) group. */
export interface GroupSide {
  probes: number;
  addresses: number;
  outcomes: Record<Outcome, OutcomeStat>;
  /** expected.rule → verdicts (probes without a prediction count under "(none)"). */
  rules: Record<string, VerdictCounts>;
}

export interface OutcomeChange {
  outcome: Outcome;
  /** null: the outcome was not seen on that side. */
  a: OutcomeStat | null;
  b: OutcomeStat | null;
  /** Whether the other run probed any address (same step and op) where this side saw the outcome. */
  atSharedAddresses: boolean;
}

export interface RuleChange {
  rule: string;
  a: VerdictCounts | null;
  b: VerdictCounts | null;
  severity: Severity;
}

export interface ProbeSide {
  class: AddressClass;
  outcome: Outcome;
  observed: string;
  verdict: string;
  rule?: string;
  expected?: string;
  verdictReason?: string;
}

/** The same (step, address, op) on both sides, judged or behaving differently. */
export interface ProbeChange {
  addr: string;
  op: string;
  why: string;
  a: ProbeSide;
  b: ProbeSide;
  severity: Severity;
  explanation: string;
}

export interface GroupDiff {
  kind: 'group';
  severity: Severity;
  step: string;
  class: AddressClass;
  op: string;
  /** null: the group has no probes on that side. */
  a: GroupSide | null;
  b: GroupSide | null;
  outcomes: OutcomeChange[];
  rules: RuleChange[];
  probes: ProbeChange[];
  explanation: string[];
}

export interface SafetyDiff {
  kind: 'safety';
  severity: Severity;
  id: string;
  text: string;
  a: string | null;
  b: string | null;
  evidence: { a: string[]; b: string[] };
  explanation: string;
}

export interface CheckDiff {
  kind: 'check';
  severity: Severity;
  step: string;
  rule: string;
  a: { verdict: string; message: string } | null;
  b: { verdict: string; message: string } | null;
  explanation: string;
}

/** A step only one run has, a step that failed, or a step observation that differs. */
export interface StepDiff {
  kind: 'step';
  severity: Severity;
  step: string;
  what: 'only-in-a' | 'only-in-b' | 'error' | 'high-memory' | 'driver' | 'plugged-size';
  a: string | null;
  b: string | null;
  explanation: string;
}

export interface RunDiff {
  kind: 'run';
  severity: Severity;
  what: 'status' | 'fault' | 'findings';
  a: string | null;
  b: string | null;
  explanation: string;
}

export type Difference = GroupDiff | SafetyDiff | CheckDiff | StepDiff | RunDiff;

export interface ReportDiff {
  schema: typeof COMPARE_SCHEMA;
  a: RunLabel;
  b: RunLabel;
  counts: Record<Severity, number>;
  /** Regressions first, then changes, fixes, rule-only and coverage differences; in step order within each. */
  differences: Difference[];
  compared: {
    steps: number;
    groups: number;
    /** Probes matched by (step, address, op) on both sides. */
    sharedProbes: number;
  };
}
