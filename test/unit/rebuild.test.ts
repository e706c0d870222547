import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bisectCode, runExitCode } from '../../src/cli/main.js';
import { rebuildReport } from '../../src/report/rebuild.js';
import type { Report } from '../../src/format/types.js';

const dir = mkdtempSync(join(tmpdir(), 'rebuild-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lifecycle = JSON.parse(readFileSync(new URL('../fixtures/reports/6.1-lifecycle.json', import.meta.url), 'utf8')) as Report;

describe('rebuilding a killed run from events.jsonl', () => {
  it('keeps the saved steps and adds the probes of the step that was cut off', async () => {
    // A run killed during its third step: report.json has two steps, events.jsonl more.
    const saved: Report = { ...lifecycle, status: 'running', steps: lifecycle.steps.slice(0, 2), fault: undefined };
    writeFileSync(join(dir, 'report.json'), JSON.stringify(saved));
    const third = lifecycle.steps[2];
    const events = [
      { t: 1, type: 'step-start', step: third.name, index: 2, total: 7 },
      ...third.probes.slice(0, 10).map((probe, i) => ({ t: 2 + i, type: 'probe', step: third.name, probe })),
    ];
    writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n{"t":99,"type":"pro');
    const { report, rebuilt } = await rebuildReport(dir);
    expect(rebuilt).toBe(true);
    expect(report.status).toBe('interrupted');
    expect(report.steps.map((s) => s.name)).toEqual(lifecycle.steps.slice(0, 3).map((s) => s.name));
    expect(report.steps[2].probes.length).toBe(10);
    expect(report.summary.probes).toBe(lifecycle.steps[0].probes.length + lifecycle.steps[1].probes.length + 10);
    expect(report.fault).toMatchObject({ kind: 'interrupted', step: third.name });
  });

  it('reads past a step\'s probes-planned event: the rebuilt step has the probes that arrived', async () => {
    const saved: Report = { ...lifecycle, status: 'running', steps: lifecycle.steps.slice(0, 2), fault: undefined };
    writeFileSync(join(dir, 'report.json'), JSON.stringify(saved));
    const third = lifecycle.steps[2];
    const events = [
      { t: 1, type: 'step-start', step: third.name, index: 2, total: 7 },
      { t: 2, type: 'probes-planned', step: third.name, total: 388 },
      ...third.probes.slice(0, 10).map((probe, i) => ({ t: 3 + i, type: 'probe', step: third.name, probe })),
    ];
    writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const { report } = await rebuildReport(dir);
    expect(report.steps.map((s) => s.name)).toEqual(lifecycle.steps.slice(0, 3).map((s) => s.name));
    expect(report.steps[2].probes).toEqual(third.probes.slice(0, 10));
    expect(report.summary.probes).toBe(lifecycle.steps[0].probes.length + lifecycle.steps[1].probes.length + 10);
  });

  it('leaves a finished report alone', async () => {
    writeFileSync(join(dir, 'report.json'), JSON.stringify(lifecycle));
    expect((await rebuildReport(dir)).rebuilt).toBe(false);
  });
});

describe('exit codes', () => {
  it('maps a report to 0/1/2/3 and to git bisect run codes', () => {
    expect(runExitCode(lifecycle)).toBe(0);
    const bad = { ...lifecycle, summary: { ...lifecycle.summary, mismatches: 1 } };
    expect(runExitCode(bad)).toBe(1);
    expect(runExitCode({ ...lifecycle, status: 'failed', error: { code: 'E_QEMU_EXITED', kind: 'run', message: '' } })).toBe(3);
    expect(runExitCode({ ...lifecycle, status: 'failed', error: { code: 'E_TOOL_MISSING', kind: 'environment', message: '' } })).toBe(2);
    expect([0, 1, 2, 3].map(bisectCode)).toEqual([0, 1, 255, 125]);
  });

  it('findings win over a failure that came later: the kernel contradicted the model either way', () => {
    const failed = { ...lifecycle, status: 'failed' as const, error: { code: 'E_RESIZE_TIMEOUT', kind: 'run', message: '' } };
    expect(runExitCode({ ...failed, summary: { ...lifecycle.summary, mismatches: 2 } })).toBe(1);
    expect(runExitCode({ ...failed, summary: { ...lifecycle.summary, checks: { match: 3, mismatch: 1 } } })).toBe(1);
    expect(runExitCode({ ...failed, safety: [{ ...lifecycle.safety[0], status: 'violated' }] })).toBe(1);
    expect(bisectCode(runExitCode({ ...failed, summary: { ...lifecycle.summary, violations: 1 } }))).toBe(1);
    expect(runExitCode(failed)).toBe(3);
  });
});
