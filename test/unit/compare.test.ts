import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareReports, hasRegressions, isIdentical, renderCompareText, type GroupDiff, type ReportDiff } from '../../src/compare/index.js';
import { isBad, probeOutcome, stepClassifier } from '../../src/report/classes.js';
import type { Report } from '../../src/report/types.js';

const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const groups = (d: ReportDiff): GroupDiff[] => d.differences.filter((x): x is GroupDiff => x.kind === 'group');
const exactKey = (step: string, addr: string, op: string) => `${step} ${addr} ${op}`;

/** Independently: the (step, addr, op) both runs probed where outcome, verdict or rule differ. */
function exactChanges(a: Report, b: Report): Set<string> {
  const out = new Set<string>();
  for (const sb of b.steps) {
    const sa = a.steps.find((s) => s.name === sb.name);
    if (!sa) continue;
    for (const pb of sb.probes) {
      const pa = sa.probes.find((p) => p.addr === pb.addr && p.op === pb.op);
      if (!pa) continue;
      if (probeOutcome(pa) !== probeOutcome(pb) || pa.verdict !== pb.verdict || pa.expected?.rule !== pb.expected?.rule) out.add(exactKey(sb.name, pb.addr, pb.op));
    }
  }
  return out;
}
const reportedChanges = (d: ReportDiff): Set<string> => new Set(groups(d).flatMap((g) => g.probes.map((p) => exactKey(g.step, p.addr, p.op))));

describe('two runs of one kernel', () => {
  const a = load('6.1-lifecycle');
  const b = load('6.1-lifecycle-rerun');

  it('compare equal although KASLR moved the kernel and its probes', () => {
    const addrs = (r: Report) => new Set(r.steps.flatMap((s) => s.probes.map((p) => `${s.name} ${p.addr} ${p.op}`)));
    const [pa, pb] = [addrs(a), addrs(b)];
    const shared = [...pa].filter((k) => pb.has(k)).length;
    expect(shared).toBeLessThan(pa.size); // the runs did not probe the same pages …
    const d = compareReports(a, b);
    expect(d.compared.sharedProbes).toBe(shared); // … and the shared ones were compared exactly
    expect(d.differences).toEqual([]);
    expect(isIdentical(d)).toBe(true);
    expect(hasRegressions(d)).toBe(false);
    expect(renderCompareText(d)).toContain('no differences');
  });

  it('ignore bytes and timings', () => {
    const c = structuredClone(a);
    for (const s of c.steps) {
      s.durationMs += 1234;
      s.startedAt = '2030-01-01T00:00:00.000Z';
      for (const p of s.probes) if (p.observed.fnv) p.observed.fnv = '0000000000000000';
    }
    c.summary.durationMs = 1;
    c.environment.runId = 'another';
    expect(compareReports(a, c).differences).toEqual([]);
  });
});

describe('6.1 against 6.12', () => {
  const a = load('6.1-lifecycle');
  const b = load('6.12-lifecycle');
  const d = compareReports(a, b);

  it('reports exactly the probe changes at shared addresses', () => {
    expect(d.compared.steps).toBe(7);
    expect(d.compared.sharedProbes).toBeGreaterThan(0);
    expect(reportedChanges(d)).toEqual(exactChanges(a, b));
  });

  it('finds a regression exactly when B has a bad verdict A did not', () => {
    const bad = (r: Report) => r.steps.some((s) => s.probes.some((p) => isBad(p.verdict)) || (s.checks ?? []).some((c) => c.verdict === 'mismatch')) || r.safety.some((s) => s.status === 'violated');
    expect(hasRegressions(d)).toBe(bad(b) && !bad(a));
  });

  it('every check only one run made is a coverage difference', () => {
    const checksA = a.steps.reduce((n, s) => n + (s.checks?.length ?? 0), 0);
    const checksB = b.steps.reduce((n, s) => n + (s.checks?.length ?? 0), 0);
    const checkDiffs = d.differences.filter((x) => x.kind === 'check');
    if (checksB === 0) {
      expect(checkDiffs).toHaveLength(checksA);
      expect(checkDiffs.every((x) => x.severity === 'coverage' && x.b === null)).toBe(true);
    }
  });

  it('is symmetric: B against A has the same differences, sides swapped', () => {
    const r = compareReports(b, a);
    expect(r.differences.length).toBe(d.differences.length);
    expect(r.counts.regression).toBe(d.counts.fix);
    expect(r.counts.fix).toBe(d.counts.regression);
    expect(r.counts.change).toBe(d.counts.change);
  });

  it('explains every group difference by the rules on each side', () => {
    for (const g of groups(d)) {
      for (const p of g.probes) expect(p.explanation).toMatch(/A .*\(R-[A-Z-]+, \w+.*→ B .*\(R-[A-Z-]+/);
    }
  });
});

describe('a real behaviour change: iomem=relaxed', () => {
  const a = load('6.1-lifecycle');
  const b = load('6.1-iomem-relaxed');
  const d = compareReports(a, b);

  it('shows each changed probe with the rule on each side, as a change, not a regression', () => {
    const expected = exactChanges(a, b);
    expect(expected.size).toBeGreaterThan(0);
    expect(reportedChanges(d)).toEqual(expected);
    expect(hasRegressions(d)).toBe(false);
    const busyRead = groups(d).find((g) => g.step === 'plug-512M' && g.class === 'mmio-busy' && g.op === 'read')!;
    expect(busyRead.severity).toBe('change');
    expect(busyRead.outcomes.find((o) => o.outcome === 'errno:EPERM')!.a!.rules).toHaveProperty('R-RW-DENY');
    expect(busyRead.rules.map((r) => r.rule).sort()).toEqual(['R-RW-COPY', 'R-RW-DENY']);
    for (const p of busyRead.probes) {
      expect(p.a.rule).toBe('R-RW-DENY');
      expect(p.b.rule).toBe('R-RW-COPY');
    }
  });
});

describe('regressions', () => {
  it('a real one: the older model mismatched HPET, reported first with its rule', () => {
    const d = compareReports(load('6.1-lifecycle'), load('6.1-older-model'));
    expect(hasRegressions(d)).toBe(true);
    const firstNonRegression = d.differences.findIndex((x) => x.severity !== 'regression');
    expect(d.differences.slice(0, d.counts.regression).every((x) => x.severity === 'regression')).toBe(true);
    expect(firstNonRegression === -1 || firstNonRegression === d.counts.regression).toBe(true);
    const g = d.differences[0] as GroupDiff;
    expect(g.kind).toBe('group');
    expect(g.probes[0].addr).toBe('0xfed00000');
    expect(['R-MMAP-DENY', 'R-RW-DENY']).toContain(g.probes[0].b.rule);
    expect(g.probes[0].b.verdict).toBe('mismatch');
    expect(g.probes[0].a.verdict).toBe('match');
    // The other way round it is a fix.
    const back = compareReports(load('6.1-older-model'), load('6.1-lifecycle'));
    expect(hasRegressions(back)).toBe(false);
    expect(back.counts.fix).toBe(d.counts.regression);
  });

  it('a synthetic one: one probe flipped to mismatch comes first, named by its group and rule', () => {
    const a = load('6.1-lifecycle');
    const b = structuredClone(a);
    const step = b.steps.find((s) => s.name === 'unplug-to-256M')!;
    const victim = step.probes.find((p) => p.op === 'mmap-private' && stepClassifier(step)(p) === 'device-region-unplugged')!;
    victim.verdict = 'mismatch';
    victim.verdictReason = 'flipped by the test';
    const d = compareReports(a, b);
    expect(d.counts.regression).toBe(1);
    expect(d.differences).toHaveLength(1);
    const g = d.differences[0] as GroupDiff;
    expect([g.kind, g.severity, g.step, g.class, g.op]).toEqual(['group', 'regression', 'unplug-to-256M', 'device-region-unplugged', 'mmap-private']);
    expect(g.probes).toHaveLength(1);
    expect(g.probes[0]).toMatchObject({ addr: victim.addr, severity: 'regression', a: { verdict: 'match', rule: victim.expected!.rule }, b: { verdict: 'mismatch', rule: victim.expected!.rule } });
    expect(g.rules).toEqual([expect.objectContaining({ rule: victim.expected!.rule, severity: 'regression' })]);
    const text = renderCompareText(d);
    expect(text).toMatch(/1 regression/);
    const first = text.split('\n').find((l) => /^[A-Z]+ /.test(l))!;
    expect(first).toMatch(/^REGRESSION +unplug-to-256M \/ device-region-unplugged \/ mmap-private/);
    expect(text).toContain(`${victim.expected!.rule}, mismatch: flipped by the test`);
  });

  it('a violation outranks everything else, even among many changes', () => {
    const a = load('6.1-lifecycle');
    const b = structuredClone(load('6.1-iomem-relaxed'));
    const p = b.steps[6].probes.find((x) => x.op === 'read')!;
    p.verdict = 'violation';
    const d = compareReports(a, b);
    expect(d.differences[0].severity).toBe('regression');
    expect((d.differences[0] as GroupDiff).step).toBe(b.steps[6].name);
    expect(d.counts.change).toBeGreaterThan(0);
  });

  it('an outcome that changed with the same verdict is a change; data turning to zeros where the model said data is content', () => {
    const a = load('6.1-lifecycle');
    const b = structuredClone(a);
    const s = b.steps.find((x) => x.name === 'plug-512M')!;
    const hole = s.probes.find((x) => x.addr === '0xfed20000' && x.op === 'read')!; // zeros, R-RW-COPY
    hole.observed = { ...hole.observed, zero: false };
    const low = s.probes.find((x) => x.addr === '0x0' && x.op === 'mmap-shared')!; // mapped, R-MMAP-OK
    low.observed = { result: 'errno', errno: 'EAGAIN', syscall: 'mmap' };
    const d = compareReports(a, b);
    const bySev = Object.fromEntries(groups(d).map((g) => [`${g.class}/${g.op}`, g.severity]));
    expect(bySev).toEqual({ 'low-mib/mmap-shared': 'change', 'unclaimed-hole/read': 'content' });
    expect(hasRegressions(d)).toBe(false);
  });
});

describe('a run the model did not judge', () => {
  it('compares as coverage only where it behaved alike', () => {
    const a = load('6.1-lifecycle');
    const b = structuredClone(load('6.1-lifecycle-rerun'));
    for (const s of b.steps) {
      delete s.checks;
      for (const p of s.probes) {
        delete p.expected;
        delete p.verdict;
      }
    }
    const d = compareReports(a, b);
    expect(d.differences.length).toBeGreaterThan(0);
    expect(d.differences.every((x) => x.severity === 'coverage')).toBe(true);
  });
});

describe('safety, checks and faults', () => {
  it('an S4 violation in B is a regression', () => {
    const d = compareReports(load('6.1-lifecycle'), load('6.1-touch-unplugged'));
    const s4 = d.differences.find((x) => x.kind === 'safety' && x.id === 'S4')!;
    expect(s4).toMatchObject({ severity: 'regression', a: 'holds', b: 'violated' });
    expect(s4.explanation).toContain('block 5');
    expect(d.differences[0].severity).toBe('regression');
    // Steps only one run has are coverage.
    expect(d.differences.filter((x) => x.kind === 'step' && x.what === 'only-in-b').map((x) => (x as { step: string }).step)).toEqual(['touch-block-5']);
  });

  it('a step check turning to mismatch is a regression', () => {
    const a = load('6.1-lifecycle');
    const b = structuredClone(a);
    const c = b.steps[2].checks![0];
    c.verdict = 'mismatch';
    const d = compareReports(a, b);
    expect(d.differences).toEqual([expect.objectContaining({ kind: 'check', severity: 'regression', step: b.steps[2].name, rule: c.rule })]);
  });

  it('a run that failed is a regression led by its status and fault', () => {
    const d = compareReports(load('6.1-lifecycle'), load('6.1-guest-hang'));
    expect(d.differences.slice(0, 3).map((x) => `${x.kind}:${(x as { what?: string }).what}`)).toEqual(['run:status', 'run:fault', 'step:error']);
    // The step that never probed adds no per-group noise.
    expect(groups(d).filter((g) => g.step === 'driver-loaded')).toEqual([]);
  });
});
