// One step of compareReports() (diff.ts): its probes compared per
// (address class, op) group — outcome classes and verdicts per rule — and
// exactly per (address, op) where both runs probed the same page; its step
// checks; and its observations (iomem, the device, high_memory).
import { ADDRESS_CLASSES, describeExpected, describeObserved, isBad, probeOutcome, stepClassifier, type AddressClass, type Outcome } from '../format/classes.js';
import type { StepReport } from '../format/types.js';
import type { ProbeRecord } from '../probe/types.js';
import { PROBE_OPS } from '../probe/types.js';
import { deviceInfo } from '../qmp/device.js';
import { SEVERITIES, type CheckDiff, type StepDiff, type Difference, type GroupDiff, type GroupSide, type OutcomeChange, type ProbeChange, type ProbeSide, type RuleChange, type Severity, type VerdictCounts } from './types.js';

export const RANK: Record<Severity, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;
export const worst = (xs: (Severity | undefined)[]): Severity | undefined =>
  xs.reduce<Severity | undefined>((w, s) => (s === undefined ? w : w === undefined || RANK[s] < RANK[w] ? s : w), undefined);

const NO_RULE = '(none)';
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function verdictSeverity(va: string, vb: string): Severity | undefined {
  // A result that varied between repeats is never a regression nor a fix.
  if (va !== vb && (va === 'flaky' || vb === 'flaky')) return 'flaky';
  if (!isBad(va) && isBad(vb)) return 'regression';
  if (isBad(va) && !isBad(vb)) return 'fix';
  if (va === 'mismatch' && vb === 'violation') return 'regression';
  return va === vb ? undefined : 'change';
}

const isContent = (o: Outcome): boolean => o === 'data' || o === 'zeros';

function probeSide(p: ProbeRecord, cls: AddressClass): ProbeSide {
  return {
    class: cls,
    outcome: probeOutcome(p),
    observed: describeObserved(p.op, p.observed),
    verdict: p.verdict ?? 'none',
    rule: p.expected?.rule,
    expected: p.expected ? describeExpected(p.expected) : undefined,
    verdictReason: p.verdictReason,
  };
}

const sideText = (s: ProbeSide): string => `${s.observed} (${s.rule ?? 'no rule'}, ${s.verdict}${s.verdictReason ? `: ${s.verdictReason}` : ''})`;

function compareProbe(a: ProbeRecord, b: ProbeRecord, ca: AddressClass, cb: AddressClass): ProbeChange | undefined {
  const sa = probeSide(a, ca);
  const sb = probeSide(b, cb);
  if (sa.outcome === sb.outcome && sa.verdict === sb.verdict && sa.rule === sb.rule) return undefined;
  let severity = verdictSeverity(sa.verdict, sb.verdict);
  // A probe the model did not judge on one side has no verdict to compare.
  if (severity === 'change' && (sa.verdict === 'none' || sb.verdict === 'none') && sa.outcome === sb.outcome) severity = 'coverage';
  if (severity === undefined) {
    if (sa.outcome !== sb.outcome) {
      // Zero or not is content unless the model said "zeros" on either side.
      const content = isContent(sa.outcome) && isContent(sb.outcome) && a.expected?.outcome !== 'zeros' && b.expected?.outcome !== 'zeros';
      severity = content ? 'content' : 'change';
    } else severity = 'rule';
  }
  const cls = ca === cb ? '' : ` [class ${ca} → ${cb}]`;
  return { addr: b.addr, op: b.op, why: b.why, a: sa, b: sb, severity, explanation: `${b.addr} ${b.op}${cls}: A ${sideText(sa)} → B ${sideText(sb)}` };
}

const emptyCounts = (): VerdictCounts => ({ match: 0, mismatch: 0, violation: 0, skipped: 0, unknown: 0, flaky: 0 });

function groupSide(probes: ProbeRecord[]): GroupSide {
  const side: GroupSide = { probes: probes.length, addresses: new Set(probes.map((p) => p.addr)).size, outcomes: {}, rules: {} };
  for (const p of probes) {
    const rule = p.expected?.rule ?? NO_RULE;
    const o = (side.outcomes[probeOutcome(p)] ??= { count: 0, rules: {} });
    o.count++;
    o.rules[rule] = (o.rules[rule] ?? 0) + 1;
    const v = (side.rules[rule] ??= emptyCounts());
    if (p.verdict) v[p.verdict]++;
  }
  return side;
}

const bad = (v: VerdictCounts | null): number => (v ? v.mismatch + v.violation : 0);
const VERDICTS = ['match', 'mismatch', 'violation', 'skipped', 'unknown', 'flaky'] as const;
const kinds = (v: VerdictCounts): string => VERDICTS.filter((k) => v[k] > 0).join(',');
const countsText = (v: VerdictCounts | null): string =>
  v ? VERDICTS.filter((k) => v[k] > 0).map((k) => `${k} ${v[k]}`).join(', ') || 'no verdicts' : 'none';
const rulesText = (rules: Record<string, number>): string =>
  Object.entries(rules)
    .map(([r, n]) => `${r} x${n}`)
    .join(', ');

interface GroupInput {
  step: string;
  cls: AddressClass;
  op: string;
  a: ProbeRecord[] | undefined;
  b: ProbeRecord[] | undefined;
  /** Addresses each side probed with this op in this step (any class). */
  addrsA: Set<string>;
  addrsB: Set<string>;
  probes: ProbeChange[];
}

function compareGroup(g: GroupInput): GroupDiff | undefined {
  const a = g.a ? groupSide(g.a) : null;
  const b = g.b ? groupSide(g.b) : null;
  const oneSided = a === null || b === null;
  const explanation: string[] = [];
  const severities: (Severity | undefined)[] = g.probes.map((p) => p.severity);
  if (oneSided) {
    explanation.push(`only run ${a ? 'A' : 'B'} has probes here: ${plural(a ? a.probes : b!.probes, 'probe')}`);
    severities.push('coverage');
  }

  const outcomes: OutcomeChange[] = [];
  for (const o of new Set([...Object.keys(a?.outcomes ?? {}), ...Object.keys(b?.outcomes ?? {})])) {
    const oa = a?.outcomes[o] ?? null;
    const ob = b?.outcomes[o] ?? null;
    if ((oa === null) === (ob === null)) continue;
    const [mine, other] = oa ? [g.a!, g.addrsB] : [g.b!, g.addrsA];
    const seenAt = mine.filter((p) => probeOutcome(p) === o);
    const atSharedAddresses = seenAt.some((p) => other.has(p.addr));
    outcomes.push({ outcome: o, a: oa, b: ob, atSharedAddresses });
    if (oneSided) continue;
    const stat = (oa ?? ob)!;
    explanation.push(`${o} only in ${oa ? 'A' : 'B'}: ${plural(stat.count, 'probe')} (${rulesText(stat.rules)})${atSharedAddresses ? '' : ', at addresses the other run did not probe'}`);
    const counterpart = o === 'data' ? 'zeros' : o === 'zeros' ? 'data' : undefined;
    const otherSide = oa ? b : a;
    const content = counterpart !== undefined && otherSide?.outcomes[counterpart] !== undefined && seenAt.every((p) => p.expected?.outcome !== 'zeros');
    severities.push(!atSharedAddresses ? 'coverage' : content ? 'content' : 'change');
  }

  const rules: RuleChange[] = [];
  // A side the model did not judge (reports from before the model) has no rules to compare.
  const unjudged = [a, b].some((side) => side !== null && Object.keys(side.rules).every((k) => k === NO_RULE));
  for (const r of new Set([...Object.keys(a?.rules ?? {}), ...Object.keys(b?.rules ?? {})])) {
    const ra = a?.rules[r] ?? null;
    const rb = b?.rules[r] ?? null;
    if (ra && rb && kinds(ra) === kinds(rb)) continue;
    let severity: Severity;
    if (bad(ra) === 0 && bad(rb) > 0) severity = 'regression';
    else if (bad(ra) > 0 && bad(rb) === 0) severity = 'fix';
    else if (oneSided || unjudged) severity = 'coverage';
    // Probes of a rule that varied between repeats: shown apart, never a regression.
    else if ((ra?.flaky ?? 0) + (rb?.flaky ?? 0) > 0) severity = 'flaky';
    else if (ra === null || rb === null) severity = 'rule';
    else severity = 'change';
    rules.push({ rule: r, a: ra, b: rb, severity });
    if (!oneSided || severity === 'regression' || severity === 'fix') explanation.push(`${r}: A ${countsText(ra)} → B ${countsText(rb)}`);
    severities.push(severity);
  }
  for (const p of g.probes) explanation.push(p.explanation);

  const severity = worst(severities);
  if (severity === undefined) return undefined;
  return { kind: 'group', severity, step: g.step, class: g.cls, op: g.op, a, b, outcomes, rules, probes: g.probes, explanation };
}

export function compareStep(name: string, sa: StepReport, sb: StepReport): { diffs: Difference[]; groups: number; shared: number } {
  // A step that failed before it observed or probed anything has nothing to
  // compare but its error.
  if ((sa.error && sa.probes.length === 0) || (sb.error && sb.probes.length === 0)) {
    return { diffs: [...compareChecks(name, sa, sb), ...compareObservations(name, sa, sb)], groups: 0, shared: 0 };
  }
  const classA = stepClassifier(sa);
  const classB = stepClassifier(sb);
  const key = (cls: AddressClass, op: string) => `${cls}\u0000${op}`;
  const groupsA = new Map<string, ProbeRecord[]>();
  const groupsB = new Map<string, ProbeRecord[]>();
  const addrs = (probes: ProbeRecord[]) => {
    const m = new Map<string, Set<string>>();
    for (const p of probes) (m.get(p.op) ?? m.set(p.op, new Set()).get(p.op)!).add(p.addr);
    return m;
  };
  for (const [probes, classOf, groups] of [
    [sa.probes, classA, groupsA],
    [sb.probes, classB, groupsB],
  ] as const) {
    for (const p of probes) {
      const k = key(classOf(p), p.op);
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(p);
    }
  }
  const addrsA = addrs(sa.probes);
  const addrsB = addrs(sb.probes);

  // Exact comparisons, filed under B's class of the address. A step can
  // probe one (address, op) twice (a planned probe and the scenario's own
  // access there, e.g. without CAP_SYS_RAWIO): the n-th of A pairs with the
  // n-th of B.
  const exactKeys = (probes: ProbeRecord[]) => {
    const seen = new Map<string, number>();
    return probes.map((p) => {
      const k = `${p.addr}\u0000${p.op}`;
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      return `${k}\u0000${n}`;
    });
  };
  const keysA = exactKeys(sa.probes);
  const byAddrA = new Map(sa.probes.map((p, i) => [keysA[i], p]));
  const keysB = exactKeys(sb.probes);
  const exact = new Map<string, ProbeChange[]>();
  let shared = 0;
  for (const [i, pb] of sb.probes.entries()) {
    const pa = byAddrA.get(keysB[i]);
    if (!pa) continue;
    shared++;
    const change = compareProbe(pa, pb, classA(pa), classB(pb));
    if (change) {
      const k = key(classB(pb), pb.op);
      (exact.get(k) ?? exact.set(k, []).get(k)!).push(change);
    }
  }

  const ops = [...PROBE_OPS, ...new Set([...sa.probes, ...sb.probes].map((p) => p.op).filter((op) => !PROBE_OPS.includes(op)))];
  const diffs: Difference[] = [];
  let groups = 0;
  for (const cls of ADDRESS_CLASSES) {
    for (const op of ops) {
      const k = key(cls, op);
      const a = groupsA.get(k);
      const b = groupsB.get(k);
      if (!a && !b) continue;
      groups++;
      const d = compareGroup({ step: name, cls, op, a, b, addrsA: addrsA.get(op) ?? new Set(), addrsB: addrsB.get(op) ?? new Set(), probes: exact.get(k) ?? [] });
      if (d) diffs.push(d);
    }
  }

  diffs.push(...compareChecks(name, sa, sb), ...compareObservations(name, sa, sb));
  return { diffs, groups, shared };
}

function compareChecks(step: string, sa: StepReport, sb: StepReport): CheckDiff[] {
  const keyed = (s: StepReport) => {
    const seen = new Map<string, number>();
    const m = new Map<string, { rule: string; verdict: string; message: string }>();
    for (const c of s.checks ?? []) {
      const n = (seen.get(c.rule) ?? 0) + 1;
      seen.set(c.rule, n);
      m.set(n === 1 ? c.rule : `${c.rule}#${n}`, c);
    }
    return m;
  };
  const ka = keyed(sa);
  const kb = keyed(sb);
  const out: CheckDiff[] = [];
  for (const k of new Set([...ka.keys(), ...kb.keys()])) {
    const a = ka.get(k) ?? null;
    const b = kb.get(k) ?? null;
    if (a && b && a.verdict === b.verdict) continue;
    const severity: Severity = a && b ? verdictSeverity(a.verdict, b.verdict)! : isBad(b?.verdict) ? 'regression' : isBad(a?.verdict) ? 'fix' : 'coverage';
    const rule = (a ?? b)!.rule;
    const explanation = a && b ? `${rule} at ${step}: A ${a.verdict} (${a.message}) → B ${b.verdict} (${b.message})` : `${rule} at ${step}: checked only in run ${a ? 'A' : 'B'} (${(a ?? b)!.verdict}: ${(a ?? b)!.message})`;
    out.push({ kind: 'check', severity, step, rule, a: a && { verdict: a.verdict, message: a.message }, b: b && { verdict: b.verdict, message: b.message }, explanation });
  }
  return out;
}

function pluggedSize(s: StepReport): string | null {
  const size = deviceInfo(s.observations.memoryDevices ?? [])?.size;
  return typeof size === 'number' ? `0x${size.toString(16)}` : null;
}

function compareObservations(step: string, sa: StepReport, sb: StepReport): StepDiff[] {
  const out: StepDiff[] = [];
  const errA = sa.error ? `${sa.error.code}: ${sa.error.message}` : null;
  const errB = sb.error ? `${sb.error.code}: ${sb.error.message}` : null;
  if (errA !== errB && (errA === null || errB === null || sa.error!.code !== sb.error!.code)) {
    const severity: Severity = errA === null ? 'regression' : errB === null ? 'fix' : 'change';
    out.push({ kind: 'step', severity, step, what: 'error', a: errA, b: errB, explanation: `step ${step}: A ${errA ?? 'no error'} → B ${errB ?? 'no error'}` });
  }
  const facts: [StepDiff['what'], string, (s: StepReport) => string | null][] = [
    ['high-memory', 'high_memory end', (s) => s.observations.highMemoryEnd || null],
    ['driver', 'virtio_mem loaded/bound', (s) => `${s.observations.virtioMemLoaded ? 'loaded' : 'not loaded'}, ${s.observations.virtioMemBound ? 'bound' : 'not bound'}`],
    ['plugged-size', 'QMP plugged size', pluggedSize],
  ];
  if (sa.error || sb.error) return out;
  for (const [what, name, get] of facts) {
    const a = get(sa);
    const b = get(sb);
    if (a === b) continue;
    out.push({ kind: 'step', severity: a === null || b === null ? 'coverage' : 'change', step, what, a, b, explanation: `${name} at ${step}: A ${a ?? 'not measured'} → B ${b ?? 'not measured'}` });
  }
  return out;
}

