// One report from the N reports of a repeated run (--repeat N): each probe,
// step check and safety property keeps its outcomes across the repeats; one
// whose outcome differs between them is `flaky` (counted, never a finding),
// the others keep the verdict of their stable outcome. Probes pair by step,
// op, address and length, and by occurrence among equals (as compare pairs
// them); a probe only some repeats reached is judged on those.
import type { ProbeRecord } from '../probe/types.js';
import { summarize, type Report, type RepeatOutcome, type SafetyEntry, type StepReport } from './types.js';

/** What the agent saw, as far as a verdict can depend on it (contents' hashes vary with memory and are left out). */
export function outcomeKey(p: ProbeRecord): string {
  const o = p.observed;
  const parts: string[] = [o.result];
  if (o.result === 'errno') parts.push(`${o.syscall ?? '?'} ${o.errno ?? '?'}`);
  if (o.result === 'signal') parts.push(`${o.signal ?? '?'}${o.sigCode ? ` ${o.sigCode}` : ''}`);
  if (o.bytes !== undefined) parts.push(`${o.bytes} bytes`);
  if (o.zero !== undefined && p.expected?.outcome === 'zeros') parts.push(o.zero ? 'all zero' : 'not all zero');
  return parts.join(' ');
}

const tally = <T>(items: T[], key: (t: T) => string, verdict: (t: T) => string): RepeatOutcome[] => {
  const out = new Map<string, RepeatOutcome>();
  for (const it of items) {
    const k = `${key(it)}\u0000${verdict(it)}`;
    const cur = out.get(k) ?? { outcome: key(it), verdict: verdict(it), count: 0 };
    cur.count++;
    out.set(k, cur);
  }
  return [...out.values()];
};

const varied = (outcomes: RepeatOutcome[], runs: number): string =>
  `outcome varied across ${runs} repeats: ${outcomes.map((o) => `${o.outcome} (${o.verdict}) ×${o.count}`).join(', ')}`;

/** Items grouped by a key, each with its occurrence among equals. */
function byOccurrence<T>(items: T[], key: (t: T) => string): Map<string, T> {
  const seen = new Map<string, number>();
  const out = new Map<string, T>();
  for (const it of items) {
    const k = key(it);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    out.set(`${k}#${n}`, it);
  }
  return out;
}

const probeKey = (p: ProbeRecord) => `${p.op} ${p.addr} ${p.len}`;

function mergeProbes(steps: StepReport[]): ProbeRecord[] {
  const maps = steps.map((s) => byOccurrence(s.probes, probeKey));
  return [...maps[0].entries()].map(([k, base]) => {
    const all = maps.map((m) => m.get(k)).filter((p): p is ProbeRecord => p !== undefined);
    const outcomes = tally(all, outcomeKey, (p) => p.verdict ?? 'none');
    const merged: ProbeRecord = { ...base, repeats: { runs: all.length, outcomes } };
    if (outcomes.length > 1) {
      merged.verdict = 'flaky';
      merged.verdictReason = varied(outcomes, all.length);
    }
    return merged;
  });
}

type Check = NonNullable<StepReport['checks']>[number];

function mergeChecks(steps: StepReport[]): Check[] | undefined {
  if (!steps[0].checks) return undefined;
  const maps = steps.map((s) => byOccurrence(s.checks ?? [], (c) => c.rule));
  return [...maps[0].entries()].map(([k, base]) => {
    const all = maps.map((m) => m.get(k)).filter((c): c is Check => c !== undefined);
    const outcomes = tally(all, (c) => c.verdict, (c) => c.verdict);
    return outcomes.length > 1 ? { ...base, verdict: 'flaky' as const, message: `${varied(outcomes, all.length)}; first: ${base.message}`, repeats: { runs: all.length, outcomes } } : base;
  });
}

function mergeSafety(reports: Report[]): SafetyEntry[] {
  return reports[0].safety.map((base) => {
    const all = reports.map((r) => r.safety.find((s) => s.id === base.id)).filter((s): s is SafetyEntry => s !== undefined);
    const exercised = all.filter((s) => s.status !== 'not-exercised');
    const statuses = new Set(exercised.map((s) => s.status));
    const checks = all.reduce((n, s) => n + s.checks, 0);
    const evidence = [...new Set(all.flatMap((s) => s.evidence))].slice(0, 20);
    const outcomes = tally(all, (s) => s.status, (s) => s.status);
    if (statuses.size > 1) return { ...base, status: 'flaky' as const, checks, evidence, repeats: { runs: all.length, outcomes } };
    return { ...base, status: exercised[0]?.status ?? 'not-exercised', checks, evidence, repeats: { runs: all.length, outcomes } };
  });
}

/**
 * The merged report of `reports` (the repeats, in order). Steps are those
 * of the first repeat; the run completed only if every repeat did (else the
 * first failure's error and fault, with its repeat named); console findings
 * of every repeat are kept, each with its repeat.
 */
export function mergeRepeats(reports: Report[], opts: { boots: 'restored' | 'fresh' }): Report {
  if (reports.length === 0) throw new Error('mergeRepeats: no reports');
  const [first] = reports;
  const steps: StepReport[] = first.steps.map((s) => {
    const same = reports.map((r) => r.steps.find((x) => x.name === s.name)).filter((x): x is StepReport => x !== undefined);
    return { ...s, probes: mergeProbes(same), checks: mergeChecks(same) };
  });
  const failed = reports.findIndex((r) => r.status !== 'completed');
  const durationMs = reports.reduce((n, r) => n + r.summary.durationMs, 0);
  const merged: Report = {
    ...first,
    status: failed < 0 ? 'completed' : reports[failed].status,
    environment: { ...first.environment, repeats: { runs: reports.length, boots: opts.boots, runIds: reports.map((r) => r.environment.runId ?? '') } },
    steps,
    safety: mergeSafety(reports),
    findings: reports.flatMap((r, i) => r.findings.map((f) => ({ ...f, repeat: i + 1 }))),
    summary: summarize(steps, durationMs),
  };
  delete merged.error;
  delete merged.fault;
  if (failed >= 0) {
    const r = reports[failed];
    if (r.error) merged.error = { ...r.error, message: `repeat ${failed + 1}: ${r.error.message}` };
    if (r.fault) merged.fault = r.fault;
  }
  return merged;
}
