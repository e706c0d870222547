// KCIDB output checked against the zod schema written from the KCIDB v5 I/O
// schema (src/report/kcidb-schema.ts), then test by test against what the
// fixture reports contain: paths, statuses, ids and misc written out by hand.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { compilerOf, kcidbJson, kcidbRenderer, pathSegment, toKcidb } from '../../src/report/kcidb.js';
import { KCIDB_JSON_SCHEMA, kcidbSchema, type Kcidb, type KcidbTest } from '../../src/report/kcidb-schema.js';
import { RENDERERS, RUN_FILES } from '../../src/report/renderers.js';
import { cellResult, summarizeMatrix } from '../../src/matrix/summary.js';
import { cmdMerge } from '../../src/cli/matrix-cmd.js';
import type { Report } from '../../src/format/types.js';

const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const FIXTURES = ['6.1-lifecycle', '6.1-arm64-lifecycle', '6.1-lifecycle-rerun', '5.10-lifecycle', '6.12-lifecycle', '6.1-iomem-relaxed', '6.1-lockdown-integrity', '6.1-touch-unplugged', '6.1-older-model', '6.1-guest-hang'];

/** The document as a KCIDB client reads it: parsed from the file's text. */
const doc = (input: Report | Report[]): Kcidb => JSON.parse(kcidbJson(input));
const byPath = (k: Kcidb, path: string): KcidbTest => {
  const found = k.tests!.filter((t) => t.path === path);
  expect(found, path).toHaveLength(1);
  return found[0];
};
const statuses = (k: Kcidb, prefix: string): Record<string, string> =>
  Object.fromEntries(k.tests!.filter((t) => t.path!.startsWith(prefix)).map((t) => [t.path!.slice(prefix.length), t.status!]));

describe('schema', () => {
  it.each(FIXTURES)('%s validates', (name) => {
    const r = kcidbSchema.safeParse(doc(load(name)));
    expect(r.success ? [] : r.error.issues).toEqual([]);
  });

  it('a merged pair validates: one checkout and build per kernel, tests of both runs, ids unique', () => {
    const k = doc([load('6.1-lifecycle'), load('6.12-lifecycle')]);
    expect(kcidbSchema.safeParse(k).success).toBe(true);
    expect(k.version).toEqual({ major: 5, minor: 3 });
    expect(k.checkouts).toHaveLength(2);
    expect(k.builds!.map((b) => b.id)).toEqual([
      'devmem_lab:build-1732895d674083183029bbb3f42416135ae121fcb7f7c6de65383460d835cac2',
      'devmem_lab:build-b32a4837f3a8f8a0f71b6268bac7ffaecb6a5ab4951f21a63c0e1f60da247e64',
    ]);
    const ids = k.tests!.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(k.tests!.map((t) => t.build_id))).toEqual(new Set(k.builds!.map((b) => b.id)));
    expect(new Set(k.builds!.map((b) => b.checkout_id))).toEqual(new Set(k.checkouts!.map((c) => c.id)));
  });

  it('two runs of one kernel image share its checkout and build', () => {
    const k = doc([load('6.1-lifecycle'), load('6.1-lifecycle-rerun')]);
    expect(k.checkouts).toHaveLength(1);
    expect(k.builds).toHaveLength(1);
    expect(k.tests!.filter((t) => t.path === 'devmem_lab.lifecycle.boot.ram.read').map((t) => t.id)).toEqual([
      'devmem_lab:2026-11-22T03-30-24-865Z-c6ddcd:boot.ram.read',
      'devmem_lab:2026-11-22T03-27-18-536Z-0af275:boot.ram.read',
    ]);
  });

  it('rejects what KCIDB rejects', () => {
    const good = doc(load('6.1-older-model'));
    const bad = (edit: (k: Kcidb) => void): boolean => {
      const k = structuredClone(good);
      edit(k);
      return kcidbSchema.safeParse(k).success;
    };
    expect(bad(() => {})).toBe(true);
    expect(bad((k) => (k.tests![0].origin = 'devmem-lab'))).toBe(false);
    expect(bad((k) => (k.tests![0].id = 'no-origin-prefix'))).toBe(false);
    expect(bad((k) => (k.tests![0].path = 'devmem_lab.plug 512M'))).toBe(false);
    expect(bad((k) => (k.tests![0].path = 'devmem_lab..x'))).toBe(false);
    expect(bad((k) => Object.assign(k.tests![0], { status: 'BROKEN' }))).toBe(false);
    expect(bad((k) => Object.assign(k.tests![0], { verdict: 'match' }))).toBe(false);
    expect(bad((k) => Object.assign(k.builds![0], { architecture: 'x86-64' }))).toBe(false);
    expect(bad((k) => Object.assign(k.tests![0], { start_time: '22 Nov 2026' }))).toBe(false);
    expect(bad((k) => Object.assign(k.version, { major: 4 }))).toBe(false);
    expect(bad((k) => Object.assign(k.checkouts![0], { comment: 'a\u0000b' }))).toBe(false);
  });

  it('exports the same as JSON Schema', () => {
    const s = KCIDB_JSON_SCHEMA as any;
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    const test = s.properties.tests.items;
    expect(test.additionalProperties).toBe(false);
    expect(test.required).toEqual(['id', 'build_id', 'origin']);
    expect(test.properties.path.pattern).toBe('^[a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*$');
    expect(test.properties.status.enum).toEqual(['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP']);
    expect(s.properties.checkouts.items.properties.origin.pattern).toBe('^[a-z0-9_]+$');
  });
});

describe('content', () => {
  it('checkout and build from the kernel: package, /proc/version, spec, config, x86_64', () => {
    const k = doc(load('5.10-lifecycle'));
    expect(k.checkouts![0]).toMatchObject({
      origin: 'devmem_lab',
      comment: 'linux-image-5.10.0-46-amd64-unsigned 5.10.262-1 (Debian bullseye)',
      misc: { kernel_spec: 'debian:bullseye', kernel_release: '5.10.0-46-amd64' },
    });
    expect(k.checkouts![0].id).toMatch(/^devmem_lab:checkout-[0-9a-f]{16}$/);
    expect(k.builds![0]).toMatchObject({
      id: 'devmem_lab:build-65d79b695132acf74c0643cb76229410f28c7952f319694a3f443613358e07e0',
      checkout_id: k.checkouts![0].id,
      architecture: 'x86_64',
      config_name: 'debian:bullseye',
      compiler: 'gcc-10 (Debian 10.2.1-6) 10.2.1 20210110',
      status: 'PASS',
      misc: { config: { CONFIG_STRICT_DEVMEM: 'y', CONFIG_IO_STRICT_DEVMEM: 'y', CONFIG_VIRTIO_MEM: 'm' }, device_options: { unpluggedInaccessible: 'off' } },
    });
  });

  it("an arm64 run's build is arm64, with the arm64 kernel's package and compiler", () => {
    const k = doc(load('6.1-arm64-lifecycle'));
    expect(k.builds![0]).toMatchObject({ architecture: 'arm64', config_name: 'debian:bookworm' });
    expect(k.builds![0].compiler).toMatch(/^gcc-12 \(Debian 12\.2\.0-14\S*\) 12\.2\.0$/);
    expect(k.checkouts![0].comment).toBe('linux-image-6.1.0-57-arm64-unsigned 6.1.192-3 (Debian bookworm)');
  });

  it('a test per step × address class × op, per check and per safety property; all pass in a clean run', () => {
    const k = doc(load('6.1-lifecycle'));
    // Classes by hand as in junit.test.ts: at boot nothing is plugged, so the
    // device region is only mapped there, and 0xfed20000 is beyond high_memory.
    const ops = (cls: string) => ['read', 'mmap_shared', 'mmap_private', 'touch_shared'].map((op) => `${cls}.${op}`);
    expect(Object.keys(statuses(k, 'devmem_lab.lifecycle.boot.')).filter((p) => !p.startsWith('check.'))).toEqual([
      ...['low_mib', 'ram', 'mmio_busy', 'mmio_free', 'beyond_high_memory'].flatMap(ops),
      'device_region_unplugged.mmap_shared',
      'device_region_unplugged.mmap_private',
    ]);
    // driver-loaded records R-VMEM-PARENT twice: the second is its own test.
    expect(statuses(k, 'devmem_lab.lifecycle.driver_loaded.check.')).toEqual({ r_vmem_parent: 'PASS', r_vmem_child: 'PASS', r_highmem_hotadd: 'PASS', r_vmem_parent_2: 'PASS' });
    expect(statuses(k, 'devmem_lab.lifecycle.safety.')).toEqual({ s1: 'PASS', s2: 'SKIP', s3: 'SKIP', s4: 'PASS', s5: 'PASS' });
    // 22 + 24 + 32 + 32 + 28 + 26 + 28 groups, 21 checks, 5 properties; no console findings, no fault.
    expect(k.tests).toHaveLength(192 + 21 + 5);
    expect(new Set(k.tests!.map((t) => t.status))).toEqual(new Set(['PASS', 'SKIP']));
    expect(k.tests!.filter((t) => t.path === 'devmem_lab.lifecycle.run')).toEqual([]);
    expect(byPath(k, 'devmem_lab.lifecycle.plug_512m.device_region_plugged.mmap_shared')).toMatchObject({
      id: 'devmem_lab:2026-11-22T03-30-24-865Z-c6ddcd:plug_512m.device_region_plugged.mmap_shared',
      misc: { step: 'plug-512M', address_class: 'device-region-plugged', op: 'mmap-shared', run_id: '2026-11-22T03-30-24-865Z-c6ddcd' },
    });
    expect(byPath(k, 'devmem_lab.lifecycle.safety.s1').misc).toMatchObject({ safety_properties: ['S1'], safety_status: 'holds' });
    expect(byPath(k, 'devmem_lab.lifecycle.safety.s1')).toMatchObject({ start_time: '2026-11-22T03:30:24.865Z', duration: 9.127 });
  });

  it('a mismatching group fails with its rules, expected and observed counts and the failing probe', () => {
    const k = doc(load('6.1-older-model'));
    // plug-512M's MMIO free reads: 0x77fff000 (PCI window, zeros, R-RW-COPY),
    // 0xfed00000 (HPET: data where the older model said EPERM) and
    // 0x140000000 (PCI window above the device, EFAULT by R-RW-RANGE).
    const t = byPath(k, 'devmem_lab.lifecycle.plug_512m.mmio_free.read');
    expect([t.id, t.status, t.start_time]).toEqual(['devmem_lab:2026-11-22T03-01-43-705Z-824b78:plug_512m.mmio_free.read', 'FAIL', '2026-11-22T03:01:53.828Z']);
    expect(t.misc!.verdicts).toEqual({ match: 2, mismatch: 1 });
    expect(t.misc!.expected).toEqual({ 'data by R-RW-COPY': 1, 'errno EPERM (pread) by R-RW-DENY': 1, 'errno EFAULT (pread) by R-RW-RANGE': 1 });
    expect(t.misc!.observed).toEqual({ zeros: 1, data: 1, 'errno:EFAULT': 1 });
    expect(t.misc!.failing).toEqual({ 'mismatch R-RW-DENY': 1 });
    expect([...(t.misc!.rules as string[])].sort()).toEqual(['R-RW-COPY', 'R-RW-DENY', 'R-RW-RANGE']);
    expect(t.log_excerpt).toContain('0xfed00000 read len 4096: mismatch; expected errno EPERM (pread) by R-RW-DENY; observed data, 4096 bytes');
    // 26 failing groups, all at the HPET page; its mappings fail from boot on.
    expect(k.tests!.filter((t) => t.status === 'FAIL')).toHaveLength(26);
    expect(byPath(k, 'devmem_lab.lifecycle.boot.mmio_free.read').status).toBe('PASS');
    expect(byPath(k, 'devmem_lab.lifecycle.boot.mmio_free.mmap_shared').status).toBe('FAIL');
    expect(statuses(k, 'devmem_lab.lifecycle.safety.')).toEqual({ s1: 'PASS', s2: 'SKIP', s3: 'SKIP', s4: 'SKIP', s5: 'SKIP' });
  });

  it('a violated safety property fails, naming the property, with its evidence', () => {
    const k = doc(load('6.1-touch-unplugged'));
    expect(statuses(k, 'devmem_lab.touch_unplugged.safety.')).toEqual({ s1: 'SKIP', s2: 'SKIP', s3: 'SKIP', s4: 'FAIL', s5: 'FAIL' });
    const s4 = byPath(k, 'devmem_lab.touch_unplugged.safety.s4');
    expect(s4.misc).toMatchObject({ safety_properties: ['S4'], safety_status: 'violated', checks: 2 });
    expect(s4.log_excerpt).toContain('block 5 at 0x100a00000');
    expect(Object.keys(statuses(k, 'devmem_lab.touch_unplugged.touch_block_5.')).length).toBeGreaterThan(0);
  });

  it('a failed run gives an ERROR test for the run and for the step that failed', () => {
    const k = doc(load('6.1-guest-hang'));
    const run = byPath(k, 'devmem_lab.lifecycle.run');
    expect(run).toMatchObject({
      id: 'devmem_lab:2026-11-22T03-25-03-602Z-55123b:run',
      status: 'ERROR',
      start_time: '2026-11-22T03:25:03.603Z',
      misc: { run_status: 'failed', fault_kind: 'guest-hang', fault_step: 'driver-loaded', fault_code: 'E_TIMEOUT' },
    });
    expect(run.comment).toMatch(/^guest-hang at driver-loaded: guest command did not finish within 4000 ms/);
    expect(run.log_excerpt).toContain('devmem-lab-init: ready');
    expect(byPath(k, 'devmem_lab.lifecycle.driver_loaded.action')).toMatchObject({ status: 'ERROR', start_time: '2026-11-22T03:25:12.668Z', duration: 4.039, misc: { error_code: 'E_TIMEOUT' } });
    expect(k.tests!.filter((t) => t.status === 'ERROR')).toHaveLength(2);
    // An interrupted run without a recorded fault still gets one.
    const r = load('6.1-lifecycle');
    r.status = 'interrupted';
    expect(byPath(doc(r), 'devmem_lab.lifecycle.run')).toMatchObject({ status: 'ERROR', misc: { run_status: 'interrupted' } });
  });

  it('skipped or unknown only is SKIP, a flaky probe DONE, an unknown verdict ERROR', () => {
    const r = load('6.1-lifecycle');
    const boot = r.steps[0];
    for (const p of boot.probes) {
      if (p.op === 'read') Object.assign(p, { verdict: 'skipped', verdictReason: 'agent refused: no -w' });
      if (p.op === 'mmap-private') Object.assign(p, { verdict: 'unknown' });
    }
    Object.assign(boot.probes.find((p) => p.op === 'touch-shared' && p.addr === '0x0')!, { verdict: 'flaky' });
    Object.assign(boot.probes.find((p) => p.op === 'mmap-shared' && p.addr === '0x0')!, { verdict: 'garbled' });
    const k = doc(r);
    expect(kcidbSchema.safeParse(k).success).toBe(true);
    expect(statuses(k, 'devmem_lab.lifecycle.boot.low_mib.')).toEqual({ read: 'SKIP', mmap_shared: 'ERROR', mmap_private: 'SKIP', touch_shared: 'DONE' });
    expect(byPath(k, 'devmem_lab.lifecycle.boot.ram.read').comment).toContain('not judged: agent refused: no -w');
  });

  it('console findings: a BUG fails the console test; NUL and long consoles stay within KCIDB', () => {
    const r = load('6.1-guest-hang');
    r.findings = [{ kind: 'bug', step: 'boot', line: 'BUG: \u0000 bad page' }, { kind: 'warning', line: 'WARNING: x' }];
    r.fault!.consoleTail = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const k = doc(r);
    expect(kcidbSchema.safeParse(k).success).toBe(true);
    expect(byPath(k, 'devmem_lab.lifecycle.console')).toMatchObject({ status: 'FAIL', misc: { findings: { bug: 1, warning: 1 } } });
    expect(byPath(k, 'devmem_lab.lifecycle.console').log_excerpt).toContain('BUG: \\x00 bad page');
    const tail = byPath(k, 'devmem_lab.lifecycle.run').log_excerpt!;
    expect(tail.length).toBeLessThanOrEqual(16384);
    expect(tail).toMatch(/\.\.\. and \d+ more lines \(report\.json has them all\)\n$/);
  });

  it('same report, same document; names become path segments', () => {
    expect(kcidbJson(load('6.1-iomem-relaxed'))).toBe(kcidbJson(load('6.1-iomem-relaxed')));
    expect(pathSegment('plug-512M')).toBe('plug_512m');
    expect(pathSegment('R-VMEM-PARENT')).toBe('r_vmem_parent');
    expect(pathSegment(' unplug to 256M! ')).toBe('unplug_to_256m');
    expect(pathSegment('---')).toBe('unnamed');
    expect(compilerOf('Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP')).toBe('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0');
    expect(compilerOf(undefined)).toBeUndefined();
    const r = load('6.1-lifecycle');
    r.steps[1].name = r.steps[0].name; // two steps called "boot"
    const k = doc(r);
    expect(new Set(k.tests!.map((t) => t.id)).size).toBe(k.tests!.length);
    expect(byPath(k, 'devmem_lab.lifecycle.boot_2.check.r_vmem_child').status).toBe('PASS');
  });
});

describe('renderer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-kcidb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is registered: --kcidb, kcidb.json in every run directory and over a matrix', () => {
    expect(RENDERERS).toContain(kcidbRenderer);
    expect(kcidbRenderer.option).toBe('kcidb');
    expect(RUN_FILES).toContain('kcidb.json');
    expect(kcidbRenderer.render(load('6.1-lifecycle'))).toBe(kcidbJson(load('6.1-lifecycle')));
    expect(JSON.parse(kcidbRenderer.renderMany!([]))).toEqual({ version: { major: 5, minor: 3 }, checkouts: [], builds: [], tests: [] });
  });

  it('merge --out DIR SHARD… writes kcidb.json over every cell', async () => {
    const names = ['6.1-lifecycle', '6.1-touch-unplugged'];
    const shards = names.map((name, index) => {
      const shard = join(dir, `shard-${index}`);
      mkdirSync(join(shard, 'cells', name), { recursive: true });
      writeFileSync(join(shard, 'cells', name, 'report.json'), JSON.stringify(load(name)));
      const cell = { id: name, kernel: 'debian:bookworm', cmdline: '', scenario: load(name).environment.scenario!, index };
      writeFileSync(join(shard, 'matrix.json'), JSON.stringify(summarizeMatrix([cellResult(cell, load(name), `cells/${name}/report.json`)])));
      return shard;
    });
    const out = join(dir, 'merged');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await cmdMerge(['--out', out, ...shards]);
    } finally {
      stdout.mockRestore();
    }
    const k = JSON.parse(readFileSync(join(out, 'kcidb.json'), 'utf8'));
    expect(kcidbSchema.safeParse(k).success).toBe(true);
    expect(k).toEqual(doc(names.map(load)));
    expect(k.builds).toHaveLength(1);
  });
});
