// KTAP output read back by an independent TAP parser (tap-parser, the one
// node-tap uses) and checked line by line against the kernel's KTAP v1
// rules (Documentation/dev-tools/ktap.rst). tap-parser reads TAP 14, whose
// subtests are indented four spaces; KTAP indents two and opens every
// subtest with its own version line. toTap14() only doubles the indentation
// and renames the version line, so what the parser sees is the renderer's
// structure unchanged.
import { readFileSync } from 'node:fs';
import { Parser } from 'tap-parser';
import { describe, expect, it } from 'vitest';
import { ktapRenderer, toKtap } from '../../src/report/ktap.js';
import { RENDERERS, RUN_FILES } from '../../src/report/renderers.js';
import { summarize, type Report, type StepReport } from '../../src/format/types.js';
import { stepClassifier } from '../../src/format/classes.js';
import type { ProbeRecord } from '../../src/probe/types.js';

const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const FIXTURES = ['6.1-lifecycle', '6.1-arm64-lifecycle', '6.1-lifecycle-rerun', '5.10-lifecycle', '6.12-lifecycle', '6.1-iomem-relaxed', '6.1-lockdown-integrity', '6.1-touch-unplugged', '6.1-older-model', '6.1-guest-hang'];

const toTap14 = (ktap: string): string =>
  ktap
    .split('\n')
    .map((l) => {
      const m = /^( *)(.*)$/.exec(l)!;
      return ' '.repeat(m[1].length * 2) + (m[2] === 'KTAP version 1' ? 'TAP version 14' : m[2]);
    })
    .join('\n');

interface Point {
  ok: boolean;
  id: number;
  /** The description, without a directive tap-parser does not know (KTAP's ERROR). */
  name: string;
  skip: string | boolean;
  todo: string | boolean;
  /** Diagnostic lines right before the result line. */
  diag: string[];
  sub?: Block;
}
interface Block {
  plan?: { start: number; end: number };
  points: Point[];
  /** Diagnostic lines that a subtest opened after, before any result line claimed them. */
  comments: string[];
  complete?: { ok: boolean; count: number; pass: number; fail: number; skip: number; todo: number };
}

// tap-parser's event log as a tree: a 'child' event is the subtest that the next 'assert' closes.
function block(events: unknown[]): Block {
  const b: Block = { points: [], comments: [] };
  let child: Block | undefined;
  let diag: string[] = [];
  for (const [type, data] of events as [string, any][]) {
    if (type === 'plan') b.plan = { start: data.start, end: data.end };
    else if (type === 'comment') {
      if (data !== '# Subtest\n') diag.push(String(data).replace(/^# ?/, '').replace(/\n$/, ''));
    } else if (type === 'child') {
      b.comments.push(...diag);
      diag = [];
      child = block(data);
    } else if (type === 'assert') {
      b.points.push({ ok: data.ok, id: data.id, name: String(data.name).split(' # ')[0], skip: data.skip, todo: data.todo, diag, sub: child });
      child = undefined;
      diag = [];
    } else if (type === 'complete') b.complete = { ok: data.ok, count: data.count, pass: data.pass, fail: data.fail, skip: data.skip, todo: data.todo };
  }
  return b;
}

function parse(ktap: string): { root: Block; extra: string[] } {
  const extra: string[] = [];
  const p = new Parser({ strict: true });
  p.on('extra', (e: string) => extra.push(e));
  p.end(toTap14(ktap));
  return { root: block(Parser.parse(toTap14(ktap))), extra };
}

/** Every level: the plan counts the result lines, ids run 1..N. */
function checkPlans(b: Block, path = 'root'): number {
  expect(b.plan, path).toEqual({ start: 1, end: b.points.length });
  expect(b.points.map((p) => p.id), path).toEqual(b.points.map((_, i) => i + 1));
  let n = b.points.length;
  for (const p of b.points) if (p.sub) n += checkPlans(p.sub, `${path} > ${p.name}`);
  return n;
}

const find = (b: Block, ...names: string[]): Point => {
  let p: Point | undefined;
  let cur: Block | undefined = b;
  for (const n of names) {
    p = cur?.points.find((x) => x.name === n);
    if (!p) throw new Error(`no test ${names.join(' > ')} (stuck at ${n}: ${cur?.points.map((x) => x.name).join(', ')})`);
    cur = p.sub;
  }
  return p!;
};

// ---- a small report by hand -----------------------------------------------

const IOMEM = ['00000000-00000fff : Reserved', '00001000-0009fbff : System RAM', '00100000-3ffdffff : System RAM', 'fed00000-fed003ff : HPET 0'].join('\n');
const probe = (id: number, op: ProbeRecord['op'], addr: string, rest: Partial<ProbeRecord>): ProbeRecord => ({
  id,
  op,
  addr,
  len: 4096,
  why: 'test',
  observed: { result: 'ok', bytes: 4096, zero: false },
  expected: { outcome: 'data', rule: 'R-RW-COPY', via: [], why: 'RAM' },
  verdict: 'match',
  ...rest,
});
function step(name: string, probes: ProbeRecord[], checks: StepReport['checks'] = []): StepReport {
  return {
    name,
    action: 'resize 512M',
    startedAt: '2026-11-22T03:30:32.060Z',
    durationMs: 373,
    observations: { iomem: IOMEM, dmesg: [], memoryDevices: [], virtioMemBound: true, virtioMemLoaded: true, highMemoryEnd: '3ffe0000', action: {} },
    probes,
    checks,
  };
}
function report(steps: StepReport[], over: Partial<Report> = {}): Report {
  return {
    schema: 'devmem-lab/report@1',
    status: 'completed',
    environment: {
      runId: 'RUN-1',
      startedAt: '2026-11-22T03:30:24.865Z',
      scenario: 'lifecycle',
      kernel: { spec: 'debian:bookworm', source: 'linux-image-6.1.0-56-amd64-unsigned 6.1.192-2', release: '6.1.0-56-amd64', imageSha256: 'ab'.repeat(32), config: {} },
    },
    steps,
    safety: [
      { id: 'S1', text: 'no access to a bound device region', status: 'holds', checks: 3, evidence: ['fine'] },
      { id: 'S2', text: 'revoked mappings stay revoked', status: 'not-exercised', checks: 0, evidence: [] },
    ],
    summary: summarize(steps, 1234),
    findings: [],
    ...over,
  };
}
const SMALL = (): Report =>
  report([
    step(
      'plug-512M',
      [
        probe(1, 'read', '0x50000', { verdict: 'skipped', verdictReason: 'agent refused: no -w' }),
        probe(2, 'read', '0x2000000', {}),
        probe(3, 'mmap-shared', '0x2000000', { expected: { outcome: 'ok', rule: 'R-MMAP-RAM', via: [], why: 'RAM' } }),
        probe(4, 'read', '0xfed00000', { expected: { outcome: 'errno', errno: 'EPERM', syscall: 'pread', rule: 'R-RW-DENY', via: [], why: 'HPET' }, verdict: 'mismatch', verdictReason: 'expected pread EPERM, got ok' }),
        probe(5, 'read', '0x10000000000', { expected: { outcome: 'errno', errno: 'EFAULT', rule: 'R-HIGHMEM', via: [], why: '?', unknown: 'high_memory' }, verdict: 'unknown', verdictReason: 'the model lacks high_memory' }),
      ],
      [{ rule: 'R-HIGHMEM-END', verdict: 'match', message: 'high_memory 0x3ffe0000' }],
    ),
  ]);

describe('KTAP of a small report', () => {
  it('is exactly the document the KTAP layout describes', () => {
    expect(toKtap(SMALL())).toBe(
      [
        'KTAP version 1',
        '1..1',
        '  KTAP version 1',
        '  1..2',
        '    KTAP version 1',
        '    1..6',
        '    ok 1 low-mib / read # SKIP not judged: agent refused: no -w x1',
        '    ok 2 ram / read',
        '    ok 3 ram / mmap-shared',
        '    # 1 of 1 MMIO free read probes: mismatch R-RW-DENY x1',
        '    # 0xfed00000 read len 4096: mismatch; expected errno EPERM (pread) by R-RW-DENY; observed data, 4096 bytes',
        '    not ok 4 mmio-free / read',
        '    ok 5 beyond-high-memory / read # SKIP not judged: the model lacks high_memory x1',
        '    ok 6 check / R-HIGHMEM-END',
        '  # action resize 512M, 5 probes, 1 checks',
        '  # 1 of 6 failed: mmio-free / read',
        '  not ok 1 plug-512M',
        '    KTAP version 1',
        '    1..2',
        '    ok 1 S1',
        '    ok 2 S2 # SKIP not exercised',
        '  ok 2 safety',
        '# kernel 6.1.0-56-amd64 (linux-image-6.1.0-56-amd64-unsigned 6.1.192-2), scenario lifecycle, run RUN-1, status completed',
        '# 1 steps, 5 probes: 2 match, 1 mismatch, 0 violation, 1 skipped, 1 unknown',
        '# 1 of 2 failed: plug-512M',
        'not ok 1 6.1.0-56-amd64 / lifecycle / default cmdline',
        '',
      ].join('\n'),
    );
  });

  it('tap-parser reads the same tree: plans, nesting, pass/fail/skip counts and the failing probe', () => {
    const { root, extra } = parse(toKtap(SMALL()));
    expect(extra).toEqual([]);
    expect(checkPlans(root)).toBe(1 + 2 + 6 + 2);
    expect(root.complete).toMatchObject({ ok: false, count: 1, fail: 1 });
    const run = root.points[0];
    expect(run).toMatchObject({ ok: false, name: '6.1.0-56-amd64 / lifecycle / default cmdline' });
    expect(run.sub!.points.map((p) => [p.name, p.ok])).toEqual([['plug-512M', false], ['safety', true]]);
    const st = find(root, run.name, 'plug-512M').sub!;
    expect(st.complete).toMatchObject({ count: 6, pass: 5, fail: 1, skip: 2, todo: 0 });
    expect(st.points.filter((p) => !p.ok).map((p) => p.name)).toEqual(['mmio-free / read']);
    const bad = find(root, run.name, 'plug-512M', 'mmio-free / read');
    expect(bad.diag).toEqual(['1 of 1 MMIO free read probes: mismatch R-RW-DENY x1', '0xfed00000 read len 4096: mismatch; expected errno EPERM (pread) by R-RW-DENY; observed data, 4096 bytes']);
    expect(find(root, run.name, 'plug-512M', 'low-mib / read').skip).toBe('not judged: agent refused: no -w x1');
    expect(find(root, run.name, 'safety', 'S2').skip).toBe('not exercised');
  });

  it('a matching report is ok all the way up', () => {
    const r = SMALL();
    Object.assign(r.steps[0].probes[3], { verdict: 'match', observed: { result: 'errno', errno: 'EPERM', syscall: 'pread' } });
    const { root } = parse(toKtap(r));
    expect(root.complete).toMatchObject({ ok: true, count: 1, pass: 1, fail: 0 });
    expect(toKtap(r)).not.toContain('not ok');
  });

  it('a flaky probe is "not ok … # TODO flaky" with a flaky diagnostic, and does not fail its step', () => {
    const r = SMALL();
    r.steps[0].probes[3].verdict = 'match';
    (r.steps[0].probes[1] as { verdict: string }).verdict = 'flaky';
    const text = toKtap(r);
    expect(text).toContain('    # 1 of 1 RAM read probes flaky\n    # flaky 0x2000000 read len 4096: flaky; expected data by R-RW-COPY; observed data, 4096 bytes\n    not ok 2 ram / read # TODO flaky\n');
    expect(text).not.toMatch(/SKIP flaky/);
    const { root } = parse(text);
    const st = find(root, root.points[0].name, 'plug-512M');
    expect(st.ok).toBe(true);
    // tap-parser counts the line in `fail` but, being TODO, not against `ok`.
    expect(st.sub!.complete).toMatchObject({ ok: true, todo: 1 });
    expect(find(root, root.points[0].name, 'plug-512M', 'ram / read').todo).toBe('flaky');
    expect(root.complete).toMatchObject({ ok: true, fail: 0 });
  });

  it('a verdict the renderer does not know is an ERROR, never a pass', () => {
    const r = SMALL();
    r.steps[0].probes[3].verdict = 'match';
    (r.steps[0].probes[2] as { verdict: string }).verdict = 'half-match';
    const text = toKtap(r);
    expect(text).toContain('    not ok 3 ram / mmap-shared # ERROR unrecognized verdict half-match\n');
    const { root } = parse(text);
    expect(find(root, root.points[0].name, 'plug-512M', 'ram / mmap-shared').ok).toBe(false);
    expect(root.complete).toMatchObject({ ok: false, fail: 1 });
  });

  it('failing probes are capped like JUnit: the rest are counted', () => {
    const probes = Array.from({ length: 5 }, (_, i) => probe(i + 1, 'read', `0x${(0x2000000 + i * 4096).toString(16)}`, { verdict: 'mismatch' }));
    const text = toKtap(report([step('boot', probes)]), { maxProbesPerFailure: 2 });
    const { root } = parse(text);
    const g = find(root, root.points[0].name, 'boot', 'ram / read');
    expect(g.diag).toEqual([
      '5 of 5 RAM read probes: mismatch R-RW-COPY x5',
      '0x2000000 read len 4096: mismatch; expected data by R-RW-COPY; observed data, 4096 bytes',
      '0x2001000 read len 4096: mismatch; expected data by R-RW-COPY; observed data, 4096 bytes',
      '... and 3 more failing probes (report.json has them all)',
    ]);
  });

  it('names lose "#", newlines and a trailing "{"; diagnostics lose control characters', () => {
    const r = SMALL();
    r.steps[0].name = 'plug #2\nnow {';
    r.steps[0].checks = [{ rule: 'R-X', verdict: 'mismatch', message: 'line one\nline\x07two' }];
    const text = toKtap(r);
    expect(text).toContain('  not ok 1 plug _2 now\n');
    expect(text).toContain('    # R-X mismatch: line one\n    # line\\x07two\n    not ok 6 check / R-X\n');
    const { root, extra } = parse(text);
    expect(extra).toEqual([]);
    expect(root.points[0].sub!.points[0].name).toBe('plug _2 now');
  });
});

describe('KTAP of real runs', () => {
  it.each(FIXTURES)('%s: every line is KTAP, every plan counts its tests', (name) => {
    const text = toKtap(load(name));
    const lines = text.split('\n').slice(0, -1);
    expect(lines.slice(0, 2)).toEqual(['KTAP version 1', '1..1']);
    lines.forEach((l, i) => {
      const indent = /^ */.exec(l)![0].length;
      expect(indent % 2, l).toBe(0);
      expect(l.slice(indent), l).toMatch(/^(KTAP version 1|1\.\.\d+|(ok|not ok) \d+ [^#]+( # (SKIP|TODO|ERROR)( .*)?)?|#( .*)?)$/);
      if (l.trim() === 'KTAP version 1') expect(lines[i + 1]).toMatch(new RegExp(`^ {${indent}}1\\.\\.\\d+$`));
    });
    const { root, extra } = parse(text);
    expect(extra).toEqual([]);
    checkPlans(root);
  });

  it.each(FIXTURES)("%s: what tap-parser counts is what report.json holds: steps, failing groups, checks, safety properties", (name) => {
    const r = load(name);
    const { root } = parse(toKtap(r));
    expect(root.complete?.count).toBe(1);
    const run = root.points[0];
    const stepPoints = run.sub!.points.slice(0, r.steps.length);
    expect(stepPoints.map((p) => p.name)).toEqual(r.steps.map((st) => st.name.replace(/#/g, '')));
    r.steps.forEach((st, i) => {
      const points = stepPoints[i].sub?.points ?? [];
      // Groups with a mismatch or violation, counted from report.json's probes by (address class, op).
      const classOf = stepClassifier(st);
      const badGroups = new Set(st.probes.filter((p) => p.verdict === 'mismatch' || p.verdict === 'violation').map((p) => `${classOf(p)} / ${p.op}`));
      const checks = points.filter((p) => p.name.startsWith('check / '));
      expect(checks, st.name).toHaveLength((st.checks ?? []).length);
      expect(checks.filter((p) => !p.ok).length, st.name).toBe((st.checks ?? []).filter((c) => c.verdict === 'mismatch').length);
      const groups = points.filter((p) => !p.name.startsWith('check / ') && p.name !== 'action');
      expect(new Set(groups.filter((p) => !p.ok && !p.todo).map((p) => p.name)), st.name).toEqual(badGroups);
      expect(groups.length, st.name).toBe(new Set(st.probes.map((p) => `${classOf(p)} / ${p.op}`)).size);
    });
    const safety = run.sub!.points.find((p) => p.name === 'safety')!;
    const entries = r.safety ?? [];
    expect(safety.sub?.points.length ?? 0).toBe(entries.length);
    expect((safety.sub?.points ?? []).filter((p) => !p.ok).length).toBe(entries.filter((e) => e.status === 'violated').length);
    expect((safety.sub?.points ?? []).filter((p) => p.skip).length).toBe(entries.filter((e) => e.status === 'not-exercised').length);
    const clean = r.status === 'completed' && r.summary.mismatches + r.summary.violations === 0 && (r.summary.checks?.mismatch ?? 0) === 0 && !entries.some((e) => e.status === 'violated') && !(r.findings ?? []).some((f) => f.kind !== 'warning');
    expect(run.ok).toBe(clean);
  });

  it('the older model: 26 failing groups, all at the HPET page, with rule and outcomes', () => {
    const { root } = parse(toKtap(load('6.1-older-model')));
    const run = root.points[0];
    const failing = run.sub!.points.flatMap((s) => (s.sub?.points ?? []).filter((p) => !p.ok).map((p) => `${s.name} / ${p.name}`));
    expect(failing).toEqual([
      'boot / mmio-free / mmap-shared', 'boot / mmio-free / mmap-private', 'boot / mmio-free / touch-shared',
      'driver-loaded / mmio-free / mmap-shared', 'driver-loaded / mmio-free / mmap-private', 'driver-loaded / mmio-free / touch-shared',
      'plug-512M / mmio-free / read', 'plug-512M / mmio-free / mmap-shared', 'plug-512M / mmio-free / mmap-private', 'plug-512M / mmio-free / touch-shared',
      'unplug-to-256M / mmio-free / read', 'unplug-to-256M / mmio-free / mmap-shared', 'unplug-to-256M / mmio-free / mmap-private', 'unplug-to-256M / mmio-free / touch-shared',
      'unplug-to-0 / mmio-free / read', 'unplug-to-0 / mmio-free / mmap-shared', 'unplug-to-0 / mmio-free / mmap-private', 'unplug-to-0 / mmio-free / touch-shared',
      'rmmod / mmio-free / read', 'rmmod / mmio-free / mmap-shared', 'rmmod / mmio-free / mmap-private', 'rmmod / mmio-free / touch-shared',
      'modprobe / mmio-free / read', 'modprobe / mmio-free / mmap-shared', 'modprobe / mmio-free / mmap-private', 'modprobe / mmio-free / touch-shared',
    ]);
    expect(run.sub!.points.map((p) => [p.name, p.ok])).toEqual([
      ['boot', false], ['driver-loaded', false], ['plug-512M', false], ['unplug-to-256M', false], ['unplug-to-0', false], ['rmmod', false], ['modprobe', false], ['safety', true],
    ]);
    expect(find(root, run.name, 'plug-512M', 'mmio-free / read').diag).toContain('0xfed00000 read len 4096: mismatch; expected errno EPERM (pread) by R-RW-DENY; observed data, 4096 bytes');
  });

  it('the 6.1 lifecycle passes: 7 steps and the safety properties, nothing fails', () => {
    const { root } = parse(toKtap(load('6.1-lifecycle')));
    const run = root.points[0];
    expect(run).toMatchObject({ ok: true, name: '6.1.0-56-amd64 / lifecycle / default cmdline' });
    expect(run.sub!.points.map((p) => p.name)).toEqual(['boot', 'driver-loaded', 'plug-512M', 'unplug-to-256M', 'unplug-to-0', 'rmmod', 'modprobe', 'safety']);
    expect(find(root, run.name, 'boot').sub!.points).toHaveLength(22 + 1); // 22 groups, 1 check (as JUnit counts them)
    expect(find(root, run.name, 'safety').sub!.points.map((p) => [p.name, p.skip])).toEqual([['S1', false], ['S2', 'not exercised'], ['S3', 'not exercised'], ['S4', false], ['S5', false]]);
  });

  it('violated safety properties fail with their evidence', () => {
    const { root } = parse(toKtap(load('6.1-touch-unplugged')));
    const s4 = find(root, root.points[0].name, 'safety', 'S4');
    expect(s4.ok).toBe(false);
    expect(s4.diag.join('\n')).toContain('block 5 at 0x100a00000');
    expect(root.points[0].ok).toBe(false);
  });

  it('a run that did not complete is not ok, with its fault as an ERROR test', () => {
    const text = toKtap(load('6.1-guest-hang'));
    expect(text).toMatch(/^  not ok 4 fault # ERROR guest-hang at driver-loaded: guest command did not finish within 4000 ms/m);
    expect(text).toMatch(/^    not ok 1 action # ERROR E_TIMEOUT: /m);
    const { root } = parse(text);
    const run = root.points[0];
    expect(run.ok).toBe(false);
    expect(run.diag.at(-1)).toMatch(/^the run did not complete: guest-hang at driver-loaded: /);
    expect(run.sub!.points.map((p) => [p.name, p.ok])).toEqual([['boot', true], ['driver-loaded', false], ['safety', true], ['fault', false]]);
    expect(find(root, run.name, 'fault').diag).toContain('  devmem-lab-init: ready');
  });

  it('many runs: one top-level document, one subtest per run', () => {
    const names = ['6.1-iomem-relaxed', '6.1-lockdown-integrity', '6.12-lifecycle'];
    const text = ktapRenderer.renderMany!(names.map(load));
    expect(text.split('\n').slice(0, 2)).toEqual(['KTAP version 1', '1..3']);
    expect(text.match(/^KTAP version 1$/gm)).toHaveLength(1);
    const { root } = parse(text);
    checkPlans(root);
    expect(root.points.map((p) => [p.name, p.ok])).toEqual([
      ['6.1.0-56-amd64 / lifecycle / iomem=relaxed', true],
      ['6.1.0-56-amd64 / lifecycle / lockdown=integrity', true],
      ['6.12.117+deb12-amd64 / lifecycle / default cmdline', true],
    ]);
    expect(ktapRenderer.renderMany!([])).toBe('KTAP version 1\n1..0\n');
  });

  it('is a registered renderer: --ktap, ktap.txt in every run directory', () => {
    expect(RENDERERS).toContain(ktapRenderer);
    expect(ktapRenderer.option).toBe('ktap');
    expect(RUN_FILES).toContain('ktap.txt');
  });
});
