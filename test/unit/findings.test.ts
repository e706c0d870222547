// The exit code every command takes from a report (format/findings.ts):
// 1 for anything the kernel contradicted, even in a run that then failed,
// 2 for bad input or set-up, 3 for a run that failed on its own, 0 otherwise.
import { describe, expect, it } from 'vitest';
import { findings, reportExitCode } from '../../src/format/findings.js';
import type { Report } from '../../src/format/types.js';

const safety = (status: 'holds' | 'violated' | 'not-exercised', id = 'S1') => ({ id, text: '', status, checks: status === 'not-exercised' ? 0 : 1, evidence: [] });
const report = (over: Partial<Report> & { summary?: Partial<Report['summary']> } = {}): Report =>
  ({
    schema: 'devmem-lab/report@1',
    status: 'completed',
    environment: {},
    steps: [],
    findings: [],
    ...over,
    safety: over.safety ?? [safety('holds')],
    summary: { steps: 1, probes: 10, matches: 10, mismatches: 0, violations: 0, skipped: 0, checks: { match: 2, mismatch: 0 }, byOp: {}, byResult: {}, ...over.summary },
  }) as Report;

describe('exit codes from a report', () => {
  it('a completed run where everything matched exits 0', () => {
    expect(reportExitCode(report())).toBe(0);
  });

  it('a safety violation alone exits 1, as does a mismatch or a step check', () => {
    expect(reportExitCode(report({ safety: [safety('holds'), safety('violated', 'S6')] }))).toBe(1);
    expect(reportExitCode(report({ summary: { mismatches: 1 } }))).toBe(1);
    expect(reportExitCode(report({ summary: { checks: { match: 1, mismatch: 1 } } }))).toBe(1);
  });

  it('a guest that panicked exits 1 with every probe matched, also when the safety list was never folded', () => {
    const panic = { kind: 'panic' as const, step: 'crash', line: 'Kernel panic - not syncing: sysrq triggered crash' };
    expect(reportExitCode(report({ status: 'failed', error: { code: 'E_GUEST_PANIC', kind: 'run', message: 'panic' }, findings: [panic], safety: [safety('violated', 'S7')] }))).toBe(1);
    expect(reportExitCode(report({ status: 'failed', error: { code: 'E_GUEST_PANIC', kind: 'run', message: 'panic' }, findings: [panic], safety: [] }))).toBe(1);
  });

  it('a run that did not complete exits 2 for bad input or set-up, 3 otherwise', () => {
    expect(reportExitCode(report({ status: 'failed', error: { code: 'E_SCENARIO', kind: 'input', message: '' } }))).toBe(2);
    expect(reportExitCode(report({ status: 'failed', error: { code: 'E_TOOL_MISSING', kind: 'environment', message: '' } }))).toBe(2);
    expect(reportExitCode(report({ status: 'failed', error: { code: 'E_SSH', kind: 'run', message: '' } }))).toBe(3);
    expect(reportExitCode(report({ status: 'interrupted' }))).toBe(3);
  });

  it('a report of an older schema without step checks is read, not thrown on', () => {
    const old = report();
    delete (old.summary as Partial<Report['summary']>).checks;
    expect(findings(old)).toBe(0);
    expect(reportExitCode(old)).toBe(0);
  });
});
