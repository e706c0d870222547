// compareReports(a, b): what changed in the kernel's behaviour between two
// runs, each difference with the model rule behind it on either side.
// Steps are matched by name. Within a step, probes are compared twice:
// per (address class, op) aggregate — outcome classes seen and verdicts per
// rule — because the planner's addresses move with KASLR and the iomem
// layout; and exactly per (address, op) where both runs probed the same
// page. Bytes (fnv), timings and run ids are never compared.
import { isBad, readableReport, runName } from '../format/classes.js';
import type { Report, StepReport } from '../format/types.js';
import {
  COMPARE_SCHEMA,
  SEVERITIES,
  type Difference,
  type ReportDiff,
  type RunDiff,
  type RunLabel,
  type SafetyDiff,
  type Severity,
} from './types.js';
import { compareStep, RANK } from './step-diff.js';
import { archOf, explainArchitectures } from './arch.js';


function label(r: Report): RunLabel {
  return {
    name: runName(r),
    runId: r.environment.runId,
    kernel: r.environment.kernel?.release,
    scenario: r.environment.scenario,
    cmdline: r.environment.guest?.cmdline,
    arch: archOf(r),
    status: r.status,
  };
}

/** Steps by name; a repeated name gets "#2", "#3" so repeats pair in order. */
function stepsByName(r: Report): Map<string, StepReport> {
  const seen = new Map<string, number>();
  const out = new Map<string, StepReport>();
  for (const s of r.steps) {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    out.set(n === 1 ? s.name : `${s.name}#${n}`, s);
  }
  return out;
}

/** A verdict change between two single probes, if any. */
function compareSafety(a: Report, b: Report): SafetyDiff[] {
  const out: SafetyDiff[] = [];
  const ma = new Map(a.safety.map((s) => [s.id, s]));
  const mb = new Map(b.safety.map((s) => [s.id, s]));
  for (const id of new Set([...ma.keys(), ...mb.keys()])) {
    const sa = ma.get(id);
    const sb = mb.get(id);
    if (sa && sb && sa.status === sb.status) continue;
    const va = sa?.status ?? null;
    const vb = sb?.status ?? null;
    const severity: Severity = va === 'flaky' || vb === 'flaky' ? 'flaky' : vb === 'violated' ? 'regression' : va === 'violated' ? 'fix' : 'coverage';
    out.push({
      kind: 'safety',
      severity,
      id,
      text: (sa ?? sb)!.text,
      a: va,
      b: vb,
      evidence: { a: sa?.evidence ?? [], b: sb?.evidence ?? [] },
      explanation: `${id}: A ${va ?? 'not reported'} → B ${vb ?? 'not reported'}${vb === 'violated' ? ` (${sb!.evidence.filter((e) => /violat|populated|stray|beyond|disagree/i.test(e)).slice(0, 2).join('; ') || sb!.evidence.slice(-1).join('')})` : ''}`,
    });
  }
  return out;
}

function compareRun(a: Report, b: Report): RunDiff[] {
  const out: RunDiff[] = [];
  if (a.status !== b.status) {
    const severity: Severity = a.status === 'completed' ? 'regression' : b.status === 'completed' ? 'fix' : 'change';
    out.push({ kind: 'run', severity, what: 'status', a: a.status, b: b.status, explanation: `run status: A ${a.status} → B ${b.status}` });
  }
  const fa = a.fault ? `${a.fault.kind}${a.fault.step ? ` at ${a.fault.step}` : ''}` : null;
  const fb = b.fault ? `${b.fault.kind}${b.fault.step ? ` at ${b.fault.step}` : ''}` : null;
  if (fa !== fb) {
    const severity: Severity = fa === null ? 'regression' : fb === null ? 'fix' : 'change';
    out.push({ kind: 'run', severity, what: 'fault', a: fa, b: fb, explanation: `fault: A ${fa ?? 'none'} → B ${fb ?? 'none'}${b.fault ? ` (${b.fault.message})` : ''}` });
  }
  const kindsOf = (r: Report) => [...new Set((r.findings ?? []).map((f) => f.kind))].sort().join(',');
  const ka = kindsOf(a);
  const kb = kindsOf(b);
  if (ka !== kb) {
    const newKinds = kb.split(',').filter((k) => k && !ka.split(',').includes(k));
    const severity: Severity = newKinds.some((k) => k !== 'warning') ? 'regression' : newKinds.length > 0 ? 'change' : 'fix';
    const lines = (b.findings ?? []).filter((f) => newKinds.includes(f.kind)).map((f) => f.line);
    out.push({ kind: 'run', severity, what: 'findings', a: ka || null, b: kb || null, explanation: `console findings: A ${ka || 'none'} → B ${kb || 'none'}${lines.length ? `: ${lines.slice(0, 2).join(' | ')}` : ''}` });
  }
  return out;
}

/** The behaviour diff of run A (the baseline) and run B. */
export function compareReports(baseline: Report, other: Report): ReportDiff {
  const a = readableReport(baseline);
  const b = readableReport(other);
  const stepsA = stepsByName(a);
  const stepsB = stepsByName(b);
  const order = [...stepsA.keys(), ...[...stepsB.keys()].filter((k) => !stepsA.has(k))];
  const diffs: Difference[] = [...compareRun(a, b), ...compareSafety(a, b)];
  let groups = 0;
  let shared = 0;
  let steps = 0;
  for (const name of order) {
    const sa = stepsA.get(name);
    const sb = stepsB.get(name);
    if (sa && sb) {
      steps++;
      const r = compareStep(name, sa, sb);
      diffs.push(...r.diffs);
      groups += r.groups;
      shared += r.shared;
    } else {
      const only = sa ? 'a' : 'b';
      const s = (sa ?? sb)!;
      const badHere = s.probes.filter((p) => isBad(p.verdict)).length;
      const severity: Severity = only === 'b' && badHere > 0 ? 'regression' : only === 'a' && badHere > 0 ? 'fix' : 'coverage';
      diffs.push({
        kind: 'step',
        severity,
        step: name,
        what: only === 'a' ? 'only-in-a' : 'only-in-b',
        a: sa ? sa.action : null,
        b: sb ? sb.action : null,
        explanation: `step ${name} (${s.action}) only in run ${only.toUpperCase()}: ${s.probes.length} probes${badHere ? `, ${badHere} mismatches or violations` : ''}`,
      });
    }
  }
  // Stable sort: severity first, the order of discovery (run, safety, steps in order) within it.
  const differences = explainArchitectures(a, b, diffs).map((d, i) => [d, i] as const).sort((x, y) => RANK[x[0].severity] - RANK[y[0].severity] || x[1] - y[1]).map(([d]) => d);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const d of differences) counts[d.severity]++;
  return { schema: COMPARE_SCHEMA, a: label(a), b: label(b), counts, differences, compared: { steps, groups, sharedProbes: shared } };
}

export function hasRegressions(diff: ReportDiff): boolean {
  return diff.counts.regression > 0;
}

/** Whether two runs behaved alike: no difference of any severity. */
export function isIdentical(diff: ReportDiff): boolean {
  return diff.differences.length === 0;
}
