// Kernels built from tinyconfig plus only what the lab needs
// (qemu-config/minimal-6.1.config), with and without debugfs and
// CROSS_MEMORY_ATTACH: every built-in scenario on each, in real guests.
// A config the model reads must never produce a mismatch: without
// CROSS_MEMORY_ATTACH process_vm_readv is ENOSYS, without debugfs there is
// no PAT memtype list and the model predicts the lab's own reservations (or
// says 'unknown'). Last, a locked-down guest whose virtio_mem.ko is unsigned:
// the run must end at once, saying why. Each build takes about 6 minutes on
// 2 cores the first time, then comes from the cache.
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveKernel } from '../../src/kernel/resolve.js';
import type { Report } from '../../src/format/types.js';
import { builtinScenarioNames } from '../../src/scenario/file.js';
import { labRun, removeScratch, scratch } from './helpers.js';

afterAll(removeScratch);

const SCENARIOS = ['lifecycle', 'revoke', 'unclean-unload', 'touch-unplugged', 'capabilities'] as const;
/**
 * The other built-ins: each exists to show a kernel bug (S6, S7) or to refute
 * one, so what they violate is the kernel's business and is judged in their
 * own tests; here they must complete with no mismatch on either config.
 */
const OTHER_SCENARIOS = ['cow-ptrace', 'pat-leak', 'pat-leak-plugged', 'pat-split', 'pat-move', 'pat-move-head', 'pat-move-tail', 'pat-grow', 'pat-fork', 'pat-cow', 'pat-rebind', 'pat-split-edge', 'pat-split-edge-revoked'] as const;
const BUILDS = [
  { kernel: 'build:linux-source-6.1', debugfs: false, cma: false },
  { kernel: 'build:linux-source-6.1+DEBUG_FS=y,CROSS_MEMORY_ATTACH=y', debugfs: true, cma: true },
] as const;

const notMatched = (r: Report) =>
  r.steps.flatMap((s) => [
    ...s.probes.filter((p) => p.verdict === 'mismatch').map((p) => `${s.name} ${p.op} ${p.addr}: ${p.verdictReason}`),
    ...(s.checks ?? []).filter((c) => c.verdict !== 'match').map((c) => `${s.name} ${c.rule}: ${c.message}`),
  ]);

it('covers every built-in scenario', async () => {
  expect([...SCENARIOS, ...OTHER_SCENARIOS].sort()).toEqual(await builtinScenarioNames());
});

describe.each(BUILDS)('$kernel: every built-in scenario (real QEMU guests)', (b) => {
  const reports = new Map<string, Report>();

  beforeAll(async () => {
    for (const s of [...SCENARIOS, ...OTHER_SCENARIOS]) reports.set(s, (await labRun(s, { kernel: b.kernel })).report);
  }, 2_400_000);

  it.each(OTHER_SCENARIOS)('%s: completes with no mismatch', (s) => {
    const r = reports.get(s)!;
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('completed');
    expect(notMatched(r)).toEqual([]);
    expect(r.environment.model?.config).toMatchObject({ DEBUG_FS: b.debugfs, CROSS_MEMORY_ATTACH: b.cma });
  });

  it.each(SCENARIOS)('%s: completes with no mismatch', (s) => {
    const r = reports.get(s)!;
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('completed');
    expect(notMatched(r)).toEqual([]);
    expect(r.environment.model?.config).toMatchObject({ DEBUG_FS: b.debugfs, CROSS_MEMORY_ATTACH: b.cma });
    // touch-unplugged exists to break S4 (and with it S5); nothing else may be violated.
    const violated = r.safety.filter((e) => e.status === 'violated').map((e) => e.id);
    expect(violated).toEqual(s === 'touch-unplugged' ? ['S4', 'S5'] : []);
    expect(r.summary.violations).toBe(0);
  });

  it('revoke: process_vm_readv of a held mapping is ENOSYS without CROSS_MEMORY_ATTACH, EFAULT with it', () => {
    const r = reports.get('revoke')!;
    const vmreadv = r.steps.flatMap((s) => s.probes.filter((p) => p.op.startsWith('held-vmreadv-')));
    expect(vmreadv.length).toBeGreaterThan(0);
    for (const p of vmreadv) {
      expect(p.observed).toMatchObject({ result: 'errno', errno: b.cma ? 'EFAULT' : 'ENOSYS', syscall: 'process_vm_readv' });
      expect(p.verdict).toBe('match');
    }
  });

  it('revoke: an O_SYNC mapping over the held MMIO hole is refused (UC- over its WB reservation), with or without the memtype list', () => {
    const r = reports.get('revoke')!;
    const hold = r.steps.find((s) => s.name === 'hold')!;
    expect(hold.observations.patMemtypes !== undefined).toBe(b.debugfs);
    const hole = hold.probes.find((p) => p.op === 'hold-shared' && p.why === 'hold mmio-hole')!;
    const sync = hold.probes.find((p) => p.op === 'mmap-sync-shared' && p.addr === hole.addr)!;
    expect(sync.observed).toMatchObject({ result: 'errno', errno: 'EAGAIN', syscall: 'mmap' });
    expect(sync).toMatchObject({ verdict: 'match', expected: { rule: 'R-MMAP-PAT' } });
  });

  it("says 'unknown', naming the missing list, only where the kernel's reservations decide", () => {
    // The first five scenarios: pat-rebind's unknowns name a claim no snapshot shows (on any config), judged in its own test.
    const unknown = SCENARIOS.map((n) => reports.get(n)!).flatMap((r) => r.steps.flatMap((s) => s.probes.filter((p) => p.verdict === 'unknown')));
    if (b.debugfs) expect(unknown).toEqual([]);
    // Without the list: after rmmod the revoked device holds reach PAT, and whether the zap freed their reservations is the kernel's secret.
    for (const p of unknown) expect(p.verdictReason).toMatch(/pat_memtype_list/);
  });
});

/** Drops the appended signature: data, signature, struct module_signature (sig_len: last 4 bytes, big-endian), marker. */
function stripSignature(path: string): void {
  const buf = readFileSync(path);
  const marker = '~Module signature appended~\n';
  expect(buf.subarray(-marker.length).toString()).toBe(marker);
  const sigLen = buf.readUInt32BE(buf.length - marker.length - 4);
  truncateSync(path, buf.length - marker.length - 12 - sigLen);
}

describe('lockdown=integrity with an unsigned virtio_mem.ko (real QEMU guest)', () => {
  let report: Report;
  let ms = 0;

  beforeAll(async () => {
    // The minimal build's image and config, with a copy of its modules whose virtio_mem.ko lost its signature.
    const k = await resolveKernel('build:linux-source-6.1');
    const dir = scratch('devmem-lab-unsigned-');
    const mods = join(dir, 'lib', 'modules', k.release);
    mkdirSync(join(dir, 'lib', 'modules'), { recursive: true });
    cpSync(k.modulesDir, mods, { recursive: true, dereference: true });
    const find = (d: string): string => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) {
          const f = find(p);
          if (f) return f;
        } else if (n === 'virtio_mem.ko') return p;
      }
      return '';
    };
    stripSignature(find(mods));
    copyFileSync(k.image, join(dir, 'bzImage'));
    copyFileSync(k.config, join(dir, 'config'));
    const t0 = Date.now();
    ({ report } = await labRun('lifecycle', { kernel: `path:${join(dir, 'bzImage')}`, kernelOptions: { modules: join(dir, 'lib', 'modules', k.release), config: join(dir, 'config') }, extraCmdline: ['lockdown=integrity'] }));
    ms = Date.now() - t0;
  }, 2_400_000);

  it('ends right after the refused modprobe, with a fault that names the cause', () => {
    expect(report.status).toBe('failed');
    expect(report.fault).toMatchObject({ kind: 'precondition', code: 'E_DRIVER_NOT_LOADED', step: 'driver-loaded' });
    expect(report.fault!.message).toMatch(/modprobe virtio_mem failed \(exit \d+: .*Operation not permitted/);
    expect(report.error?.hint).toMatch(/^R-MODULE-LOCKDOWN: lockdown=integrity and virtio_mem\.ko carries no signature/);
    expect(report.steps.map((s) => s.name)).toEqual(['boot', 'driver-loaded']);
    expect(ms).toBeLessThan(30_000);
  });

  it('predicted the refusal: R-MODULE-LOCKDOWN matches, so the run has no findings and exits 3', async () => {
    expect(report.environment.model?.virtioMemSigned).toBe(false);
    const check = report.steps[1].checks!.find((c) => c.rule === 'R-MODULE-LOCKDOWN')!;
    expect(check.verdict).toBe('match');
    expect(report.summary.mismatches + report.summary.violations + report.summary.checks.mismatch).toBe(0);
    const { runExitCode } = await import('../../src/cli/main.js');
    expect(runExitCode(report)).toBe(3);
  });
});
