// A repeated run's report (format/repeats.ts): what varied between repeats
// is flaky and counted apart, what did not keeps its verdict, and compare
// never calls a flaky result a regression. The reports are written by hand.
import { describe, expect, it } from 'vitest';
import { compareReports } from '../../src/compare/index.js';
import { findings, reportExitCode } from '../../src/format/findings.js';
import { mergeRepeats } from '../../src/format/repeats.js';
import type { Report, SafetyEntry, StepReport } from '../../src/format/types.js';
import type { ProbeObserved, ProbeRecord } from '../../src/probe/types.js';

const probe = (id: number, addr: string, observed: ProbeObserved, verdict: ProbeRecord['verdict']): ProbeRecord => ({
  id,
  op: 'read',
  addr,
  len: 4096,
  why: 'test',
  observed,
  expected: { outcome: 'errno', errno: 'EPERM', syscall: 'pread', rule: 'R-DIA-RAM', via: ['R-DIA-RAM'], why: 'System RAM' },
  verdict,
});
const eperm: ProbeObserved = { result: 'errno', errno: 'EPERM', syscall: 'pread' };
const ok: ProbeObserved = { result: 'ok', bytes: 4096, fnv: '1' };
const step = (probes: ProbeRecord[], checks: StepReport['checks'] = [{ rule: 'R-VMEM-PARENT', verdict: 'match', message: 'parent present' }]): StepReport => ({
  name: 'plug',
  action: 'resize to 512 MiB',
  startedAt: '',
  durationMs: 10,
  observations: { iomem: '', dmesg: [], memoryDevices: [], virtioMemBound: true, virtioMemLoaded: true, highMemoryEnd: '', action: {} },
  probes,
  checks,
});
const safety = (status: SafetyEntry['status']): SafetyEntry[] => [{ id: 'S1', text: 't', status, checks: status === 'not-exercised' ? 0 : 1, evidence: [status] }];
const report = (steps: StepReport[], s: SafetyEntry[] = safety('holds'), runId = 'r'): Report =>
  ({ schema: 'devmem-lab/report@1', status: 'completed', environment: { runId }, steps, safety: s, findings: [], summary: { steps: 1, probes: 0, matches: 0, mismatches: 0, violations: 0, skipped: 0, checks: { match: 0, mismatch: 0 }, byOp: {}, byResult: {}, rules: {}, rulesVia: {}, durationMs: 10 } }) as Report;

describe('mergeRepeats', () => {
  // Probe 2 at 0x2000 read ok once out of three: it is the only one that varied.
  const runs = [
    report([step([probe(1, '0x1000', eperm, 'match'), probe(2, '0x2000', eperm, 'match')])], safety('holds'), 'a'),
    report([step([probe(1, '0x1000', eperm, 'match'), probe(2, '0x2000', ok, 'mismatch')])], safety('holds'), 'b'),
    report([step([probe(1, '0x1000', eperm, 'match'), probe(2, '0x2000', eperm, 'match')])], safety('holds'), 'c'),
  ];
  const merged = mergeRepeats(runs, { boots: 'restored' });

  it('marks exactly the probe whose outcome varied flaky, with each outcome counted', () => {
    const [p1, p2] = merged.steps[0].probes;
    expect(p1.verdict).toBe('match');
    expect(p1.repeats).toEqual({ runs: 3, outcomes: [{ outcome: 'errno pread EPERM', verdict: 'match', count: 3 }] });
    expect(p2.verdict).toBe('flaky');
    expect(p2.repeats).toEqual({
      runs: 3,
      outcomes: [
        { outcome: 'errno pread EPERM', verdict: 'match', count: 2 },
        { outcome: 'ok 4096 bytes', verdict: 'mismatch', count: 1 },
      ],
    });
    expect(p2.verdictReason).toBe('outcome varied across 3 repeats: errno pread EPERM (match) ×2, ok 4096 bytes (mismatch) ×1');
  });

  it('counts flaky apart: not a mismatch, not a finding, exit 0', () => {
    expect(merged.summary).toMatchObject({ probes: 2, matches: 1, mismatches: 0, flaky: 1 });
    expect(findings(merged)).toBe(0);
    expect(reportExitCode(merged)).toBe(0);
    expect(merged.environment.repeats).toEqual({ runs: 3, boots: 'restored', runIds: ['a', 'b', 'c'] });
  });

  it('a mismatch in every repeat stays a mismatch (the stable outcome decides)', () => {
    const bad = [1, 2].map(() => report([step([probe(1, '0x1000', ok, 'mismatch')])]));
    const m = mergeRepeats(bad, { boots: 'fresh' });
    expect(m.steps[0].probes[0].verdict).toBe('mismatch');
    expect(reportExitCode(m)).toBe(1);
  });

  it('a step check or a safety property that varied is flaky too', () => {
    const a = report([step([], [{ rule: 'R-VMEM-PARENT', verdict: 'match', message: 'ok' }])], safety('holds'));
    const b = report([step([], [{ rule: 'R-VMEM-PARENT', verdict: 'mismatch', message: 'no parent' }])], safety('violated'));
    const m = mergeRepeats([a, b], { boots: 'restored' });
    expect(m.steps[0].checks![0].verdict).toBe('flaky');
    expect(m.safety[0].status).toBe('flaky');
    expect(m.summary.checks).toEqual({ match: 0, mismatch: 0, flaky: 1 });
    expect(reportExitCode(m)).toBe(0);
    // Exercised in one repeat only: that repeat's status stands.
    expect(mergeRepeats([report([step([])], safety('not-exercised')), report([step([])], safety('violated'))], { boots: 'restored' }).safety[0].status).toBe('violated');
  });

  it('compare does not call a flaky result a regression', () => {
    const before = report([step([probe(1, '0x1000', eperm, 'match'), probe(2, '0x2000', eperm, 'match')])]);
    const d = compareReports(before, merged);
    expect(d.counts.regression).toBe(0);
    expect(d.counts.flaky).toBeGreaterThan(0);
  });
});
