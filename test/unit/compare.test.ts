import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareReports, hasRegressions, isIdentical, renderCompareText, type GroupDiff, type ReportDiff } from '../../src/compare/index.js';
import type { Report } from '../../src/format/types.js';

const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const groups = (d: ReportDiff): GroupDiff[] => d.differences.filter((x): x is GroupDiff => x.kind === 'group');
const STEPS = ['boot', 'driver-loaded', 'plug-512M', 'unplug-to-256M', 'unplug-to-0', 'rmmod', 'modprobe'];
const MAP_OPS = ['mmap-shared', 'mmap-private', 'touch-shared'];
const ALL_OPS = ['read', ...MAP_OPS];

describe('two runs of one kernel', () => {
  const a = load('6.1-lifecycle');
  const b = load('6.1-lifecycle-rerun');

  it('compare equal although KASLR moved the kernel and its probes', () => {
    // Each run probed 406 (step, page, op); the kernel code page (0x3b600000 in
    // A, 0x2b400000 in B) moved, 4 ops in each of the 7 steps: 406 - 28 shared.
    const d = compareReports(a, b);
    expect(d.compared).toEqual({ steps: 7, groups: 192, sharedProbes: 378 });
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

describe('one (address, op) probed twice in a step', () => {
  // The capabilities scenario's access without CAP_SYS_RAWIO (open: EPERM)
  // lands on a page the step's own plan also maps (with CAP_SYS_RAWIO: ok).
  it('pairs the first with the first and the second with the second', () => {
    const a = load('6.1-lifecycle');
    const twice = (r: Report, order: 'planned-first' | 'access-first') => {
      const c = structuredClone(r);
      const s = c.steps[0];
      const planned = s.probes.find((p) => p.op === 'mmap-shared')!;
      const access = { ...structuredClone(planned), observed: { result: 'errno' as const, errno: 'EPERM', syscall: 'open' }, expected: { ...planned.expected!, outcome: 'errno' as const, errno: 'EPERM', syscall: 'open', rule: 'R-OPEN-CAP' } };
      s.probes = order === 'planned-first' ? [...s.probes, access] : [access, ...s.probes];
      return c;
    };
    expect(compareReports(twice(a, 'planned-first'), twice(a, 'planned-first')).differences).toEqual([]);
    // Paired the other way round, each side's EPERM meets the other's mapping: a change.
    expect(compareReports(twice(a, 'planned-first'), twice(a, 'access-first')).counts.change).toBeGreaterThan(0);
  });
});

describe('6.1 against 6.12: same behaviour, checks only in A', () => {
  // The 6.12 report was written before step checks were recorded; 6.1 has 21
  // (summary.checks.match). Both kernels have the region_intersects() fix and
  // the virtio-mem EXCLUSIVE parent, so no probe behaves differently.
  const d = compareReports(load('6.1-lifecycle'), load('6.12-lifecycle'));

  it('has exactly the 21 checks of A as coverage differences and nothing else', () => {
    // 6.12 probed no Local APIC page: 378 probes, 28 of them at its own kernel code page.
    expect(d.compared).toMatchObject({ steps: 7, sharedProbes: 350 });
    expect(d.counts).toEqual({ regression: 0, change: 0, fix: 0, flaky: 0, arch: 0, rule: 0, content: 0, coverage: 21 });
    expect(d.differences.map((x) => x.kind)).toEqual(Array(21).fill('check'));
    expect(d.differences.every((x) => x.severity === 'coverage' && x.kind === 'check' && x.a?.verdict === 'match' && x.b === null)).toBe(true);
    const at = (step: string) => d.differences.filter((x) => x.kind === 'check' && x.step === step).map((x) => (x as { rule: string }).rule);
    expect(at('boot')).toEqual(['R-VMEM-UNLOAD-CLEAN']);
    expect(at('driver-loaded')).toEqual(['R-VMEM-PARENT', 'R-VMEM-CHILD', 'R-HIGHMEM-HOTADD', 'R-VMEM-PARENT']);
    expect(at('rmmod')).toEqual(['R-VMEM-UNLOAD-CLEAN', 'R-HIGHMEM-HOTADD', 'R-VMEM-UNLOAD-CLEAN']);
    expect(hasRegressions(d)).toBe(false);
  });

  it('is coverage, not a fix, the other way round', () => {
    const r = compareReports(load('6.12-lifecycle'), load('6.1-lifecycle'));
    expect(r.counts).toEqual({ regression: 0, change: 0, fix: 0, flaky: 0, arch: 0, rule: 0, content: 0, coverage: 21 });
    expect(r.differences.every((x) => x.kind === 'check' && x.a === null && x.b?.verdict === 'match')).toBe(true);
  });
});

describe('a real behaviour change: iomem=relaxed', () => {
  // With iomem=relaxed strict_iomem_checks is 0, so iomem_is_exclusive() no
  // longer makes busy, non-EXCLUSIVE MMIO exclusive (R-EXCL-BUSY): devmem_is_allowed()
  // is 1 there instead of 0. The busy MMIO both runs probed is the
  // virtio-pci-modern claim at 0xfebf8000 and the Local APIC at 0xfee00000
  // (the IOAPIC page was not probed). Everything else stays: System RAM
  // (R-DIA-RAM), the virtio-mem region (the parent is SYSTEM_RAM), and the
  // HPET page, which was allowed already (HPET 0 is IORESOURCE_MEM, not busy).
  // Reads at boot and driver-loaded are EFAULT in both runs: the pages lie
  // beyond high_memory (0x3ffe0000) until plug-512M raises it (R-RW-RANGE).
  const a = load('6.1-lifecycle');
  const b = load('6.1-iomem-relaxed');
  const d = compareReports(a, b);
  const expectedGroups = STEPS.flatMap((step) => (step === 'boot' || step === 'driver-loaded' ? MAP_OPS : ALL_OPS).map((op) => `${step} / mmio-busy / ${op}`));

  it('changes exactly the busy MMIO groups, as changes, not regressions', () => {
    expect(expectedGroups).toHaveLength(26);
    expect(d.counts).toEqual({ regression: 0, change: 26, fix: 0, flaky: 0, arch: 0, rule: 0, content: 0, coverage: 0 });
    expect(d.compared).toEqual({ steps: 7, groups: 192, sharedProbes: 378 });
    expect(d.differences.every((x) => x.kind === 'group' && x.severity === 'change')).toBe(true);
    expect(groups(d).map((g) => `${g.step} / ${g.class} / ${g.op}`)).toEqual(expectedGroups);
    expect(hasRegressions(d)).toBe(false);
  });

  it('names each changed probe with the rule on each side', () => {
    for (const g of groups(d)) {
      const where = `${g.step} ${g.op}`;
      expect(g.probes.map((p) => p.addr), where).toEqual(['0xfebf8000', '0xfee00000']);
      for (const p of g.probes) {
        expect(p.severity, where).toBe('change');
        expect(p.a, where).toMatchObject({ outcome: 'errno:EPERM', verdict: 'match', rule: g.op === 'read' ? 'R-RW-DENY' : 'R-MMAP-DENY' });
        expect(p.b, where).toMatchObject({ verdict: 'match', rule: g.op === 'read' ? 'R-RW-COPY' : g.op === 'touch-shared' ? 'R-TOUCH' : 'R-MMAP-OK' });
        expect(p.explanation, where).toMatch(/^0x[0-9a-f]+ [a-z-]+: A .*\(R-(RW|MMAP)-DENY, match\) → B .*\(R-(RW-COPY|MMAP-OK|TOUCH), match\)$/);
      }
    }
  });

  it('reads the virtio-pci BAR as data and the Local APIC page as zeros once allowed', () => {
    const read = groups(d).find((g) => g.step === 'plug-512M' && g.op === 'read')!;
    expect(read.probes.map((p) => [p.addr, p.b.outcome])).toEqual([['0xfebf8000', 'data'], ['0xfee00000', 'zeros']]);
    expect(read.outcomes.map((o) => [o.outcome, o.a?.count ?? 0, o.b?.count ?? 0])).toEqual([['errno:EPERM', 2, 0], ['data', 0, 1], ['zeros', 0, 1]]);
    expect(read.rules.map((r) => [r.rule, r.a?.match ?? 0, r.b?.match ?? 0])).toEqual([['R-RW-DENY', 2, 0], ['R-RW-COPY', 0, 2]]);
    const map = groups(d).find((g) => g.step === 'boot' && g.op === 'mmap-shared')!;
    expect(map.probes.map((p) => p.b.outcome)).toEqual(['mapped', 'mapped']);
  });

  it('leaves System RAM, the virtio-mem region and HPET alone', () => {
    const changed = new Set(groups(d).flatMap((g) => g.probes.map((p) => p.addr)));
    for (const addr of ['0x2006f000', '0x10ffff000', '0x11ffff000', '0x120000000', '0xfed00000']) expect(changed.has(addr), addr).toBe(false);
    expect(groups(d).filter((g) => g.class !== 'mmio-busy')).toEqual([]);
  });

  it('is symmetric: B against A has the same differences, sides swapped', () => {
    const r = compareReports(b, a);
    expect(r.counts).toEqual(d.counts);
    const plug = groups(r).find((g) => g.step === 'plug-512M' && g.op === 'read')!;
    expect(plug.probes.map((p) => [p.a.rule, p.b.rule])).toEqual([['R-RW-COPY', 'R-RW-DENY'], ['R-RW-COPY', 'R-RW-DENY']]);
  });
});

describe('5.10 against 6.1: the same verdicts by other paths', () => {
  // On 5.10 the virtio-mem parent "virtio0" is IORESOURCE_SYSTEM_RAM without
  // EXCLUSIVE, and region_intersects() looks at top-level resources only, so
  // it never sees the nested "System RAM (virtio_mem)". But virtio0 itself is
  // top-level SYSTEM_RAM: every page of the device region still intersects
  // System RAM and devmem_is_allowed() is 0 (R-DIA-RAM), as on 6.1. With the
  // default (strict) command line busy MMIO is denied (R-EXCL-BUSY) on both,
  // so no probe both runs made behaves differently. The 5.10 run booted with
  // nokaslr (kernel code at 0x1000000) and has an extra PCI function, which
  // moved the 00:01.0 virtio-pci BAR to 0xfebf4000: 6.1's kernel code page and
  // 0xfebf8000 (4 ops × 7 steps each) are not shared, 406 - 56 = 350 are.
  // The 5.10 report was written by a newer lab: 12 lseek checks at boot and
  // safety property S6, which 6.1's report does not have.
  const d = compareReports(load('5.10-lifecycle'), load('6.1-lifecycle'));

  it('finds no behaviour difference at the probes both runs made', () => {
    expect(d.a.kernel).toBe('5.10.0-46-amd64');
    expect(d.b.kernel).toBe('6.1.0-56-amd64');
    expect(d.compared).toEqual({ steps: 7, groups: 192, sharedProbes: 350 });
    expect(groups(d)).toEqual([]);
    expect(hasRegressions(d)).toBe(false);
  });

  it('has only what one report checked as coverage: S6 and the lseek checks', () => {
    expect(d.counts).toEqual({ regression: 0, change: 0, fix: 0, flaky: 0, arch: 0, rule: 0, content: 0, coverage: 13 });
    expect(d.differences[0]).toMatchObject({ kind: 'safety', id: 'S6', severity: 'coverage', a: 'not-exercised', b: null });
    const checks = d.differences.slice(1);
    expect(checks.every((x) => x.kind === 'check' && x.step === 'boot' && x.severity === 'coverage' && x.a?.verdict === 'match' && x.b === null)).toBe(true);
    const rules = checks.map((x) => (x as { rule: string }).rule);
    expect(rules.filter((r) => r === 'R-LSEEK-POS')).toHaveLength(5);
    expect(rules.filter((r) => r === 'R-LSEEK-OVERFLOW')).toHaveLength(3);
    expect(rules.filter((r) => r === 'R-LSEEK-WHENCE')).toHaveLength(4);
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
    // 0x120000000: 256 MiB are plugged from 0x100000000, so this page of the device region is not.
    const victim = step.probes.find((p) => p.op === 'mmap-private' && p.addr === '0x120000000')!;
    expect(victim.expected!.rule).toBe('R-MMAP-DENY');
    victim.verdict = 'mismatch';
    victim.verdictReason = 'flipped by the test';
    const d = compareReports(a, b);
    expect(d.counts.regression).toBe(1);
    expect(d.differences).toHaveLength(1);
    const g = d.differences[0] as GroupDiff;
    expect([g.kind, g.severity, g.step, g.class, g.op]).toEqual(['group', 'regression', 'unplug-to-256M', 'device-region-unplugged', 'mmap-private']);
    expect(g.probes).toHaveLength(1);
    expect(g.probes[0]).toMatchObject({ addr: '0x120000000', severity: 'regression', a: { verdict: 'match', rule: 'R-MMAP-DENY' }, b: { verdict: 'mismatch', rule: 'R-MMAP-DENY' } });
    expect(g.rules).toEqual([expect.objectContaining({ rule: 'R-MMAP-DENY', severity: 'regression' })]);
    const text = renderCompareText(d);
    expect(text).toMatch(/1 regression/);
    const first = text.split('\n').find((l) => /^[A-Z]+ /.test(l))!;
    expect(first).toMatch(/^REGRESSION +unplug-to-256M \/ device-region-unplugged \/ mmap-private/);
    expect(text).toContain('R-MMAP-DENY, mismatch: flipped by the test');
  });

  it('a violation outranks everything else, even among many changes', () => {
    const a = load('6.1-lifecycle');
    const b = structuredClone(load('6.1-iomem-relaxed'));
    const p = b.steps.find((s) => s.name === 'modprobe')!.probes.find((x) => x.op === 'read' && x.addr === '0x0')!;
    p.verdict = 'violation';
    const d = compareReports(a, b);
    // The 26 busy-MMIO changes of iomem=relaxed stay; the violation leads them.
    expect(d.counts).toMatchObject({ regression: 1, change: 26 });
    const g = d.differences[0] as GroupDiff;
    expect([g.kind, g.severity, g.step, g.class, g.op]).toEqual(['group', 'regression', 'modprobe', 'low-mib', 'read']);
    expect(g.probes.map((x) => [x.addr, x.a.verdict, x.b.verdict])).toEqual([['0x0', 'match', 'violation']]);
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
    const c = b.steps.find((s) => s.name === 'plug-512M')!.checks!.find((x) => x.rule === 'R-VMEM-CHILD')!;
    c.verdict = 'mismatch';
    const d = compareReports(a, b);
    expect(d.differences).toEqual([expect.objectContaining({ kind: 'check', severity: 'regression', step: 'plug-512M', rule: 'R-VMEM-CHILD', a: expect.objectContaining({ verdict: 'match' }), b: expect.objectContaining({ verdict: 'mismatch' }) })]);
  });

  it('a run that failed is a regression led by its status and fault', () => {
    const d = compareReports(load('6.1-lifecycle'), load('6.1-guest-hang'));
    expect(d.differences.slice(0, 3).map((x) => `${x.kind}:${(x as { what?: string }).what}`)).toEqual(['run:status', 'run:fault', 'step:error']);
    // The step that never probed adds no per-group noise.
    expect(groups(d).filter((g) => g.step === 'driver-loaded')).toEqual([]);
  });
});
