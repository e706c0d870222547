// compare across architectures: Debian 6.1 lifecycle on x86_64 (q35) against
// the same scenario on arm64 (QEMU virt), both real runs (fixtures).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareReports, type GroupDiff } from '../../src/compare/index.js';
import type { Report } from '../../src/format/types.js';

const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const x86 = load('6.1-lifecycle');
const arm = load('6.1-arm64-lifecycle');
const group = (d: ReturnType<typeof compareReports>, step: string, cls: string, op: string) =>
  d.differences.find((x): x is GroupDiff => x.kind === 'group' && x.step === step && x.class === cls && x.op === op);

describe('compare x86_64 and arm64 runs of one scenario', () => {
  const diff = compareReports(x86, arm);
  it('names both architectures and calls no difference a regression or a change: each side matched its own model', () => {
    expect(diff.a.arch).toBe('x86_64');
    expect(diff.b.arch).toBe('arm64');
    expect(diff.counts.regression).toBe(0);
    expect(diff.counts.change).toBe(0);
    expect(diff.counts.arch).toBeGreaterThan(0);
    expect(diff.differences.filter((d) => d.severity !== 'arch')).toEqual([]);
  });
  it('explains a read of address 0 by the rule of each side: x86 reads the first MiB (R-RW-COPY), arm64 refuses what is not memblock memory (R-A64-RW-MEMBLOCK, EFAULT)', () => {
    const g = group(diff, 'boot', 'low-mib', 'read')!;
    expect(g.severity).toBe('arch');
    expect(g.explanation[0]).toMatch(/^explained by the architectures' rules: x86_64 .*R-RW-COPY.*; arm64 R-A64-RW-MEMBLOCK/);
    const at0 = g.probes.find((p) => p.addr === '0x0')!;
    expect(at0.a.outcome).toBe('data');
    expect(at0.b.outcome).toBe('errno:EFAULT');
  });
  it('a probe that contradicts its own architecture\'s model is not explained away: it stays a regression', () => {
    const broken: Report = JSON.parse(JSON.stringify(arm));
    const boot = broken.steps.find((s) => s.name === 'boot')!;
    const p = boot.probes.find((q) => q.op === 'read' && q.addr === '0x0')!;
    p.observed = { result: 'data', bytes: 4096 } as never;
    p.verdict = 'mismatch';
    const d = compareReports(x86, broken);
    expect(group(d, 'boot', 'low-mib', 'read')?.severity).toBe('regression');
    expect(d.counts.regression).toBeGreaterThan(0);
  });
  it('two runs of one architecture are never explained by architecture', () => {
    expect(compareReports(x86, load('6.1-lifecycle-rerun')).counts.arch).toBe(0);
    expect(compareReports(arm, arm).differences).toEqual([]);
  });
});
