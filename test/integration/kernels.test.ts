// Kernels from other places than the host's suite, each run through the
// whole lifecycle in a real QEMU guest: Debian bullseye's 5.10 (fetched with
// private apt state; its virtio-mem driver predates unplugged-inaccessible),
// the newest Debian kernel (debian:newest: 7.x in the split package layout)
// and a minimal 6.1 built from linux-source-6.1 (built once, ~6 minutes on
// 2 cores, then reused from the cache). Each must match the model. Last,
// Debian's 6.12 under lockdown, which loads only verified modules.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { resolveScenario } from '../../src/scenario/file.js';
import { labRun, qemuChildren, removeScratch } from './helpers.js';

const LIFECYCLE = await resolveScenario('lifecycle');

const CASES = [
  { kernel: 'debian:bullseye', release: /^5\.10\./, unpluggedInaccessible: 'off', hookMs: 900_000 },
  // The newest released Debian kernel (7.x, split into linux-binary, linux-modules and linux-base packages).
  { kernel: 'debian:newest', release: /^[7-9]\.\d+/, unpluggedInaccessible: 'on', hookMs: 900_000 },
  // The first run builds the kernel (about 6 minutes on 2 cores).
  { kernel: 'build:linux-source-6.1', release: /^6\.1\./, unpluggedInaccessible: 'on', hookMs: 2_400_000 },
] as const;

describe.each(CASES)('lifecycle on $kernel (real QEMU guest)', (c) => {
  let report: Report;
  let shmDir: string;

  beforeAll(async () => {
    ({ report, dir: shmDir } = await labRun(LIFECYCLE, { kernel: c.kernel }));
  }, c.hookMs);

  afterAll(removeScratch);

  it('boots the kernel it resolved and completes every step', () => {
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('completed');
    expect(report.environment.kernel?.release).toMatch(c.release);
    expect(report.environment.guest?.version).toContain(report.environment.kernel!.release);
    expect(report.steps.map((s) => s.name)).toEqual(LIFECYCLE.steps.map((s) => s.name));
  });

  it('gives the device the unplugged-inaccessible setting its driver accepts, and records why', () => {
    const env = report.environment as { kernel?: { deviceOptions?: { unpluggedInaccessible: string; why: string } }; profile?: { virtioMem?: { unpluggedInaccessible?: string } } };
    expect(env.kernel?.deviceOptions).toMatchObject({ unpluggedInaccessible: c.unpluggedInaccessible, why: expect.stringContaining('virtio_mem_features') });
    expect(env.profile?.virtioMem?.unpluggedInaccessible).toBe(c.unpluggedInaccessible);
    expect(report.environment.qemu?.argv.join(' ')).toContain(`unplugged-inaccessible=${c.unpluggedInaccessible}`);
  });

  it('plugs memory: the driver bound and the device grew', () => {
    expect(report.steps.some((s) => s.observations.virtioMemBound)).toBe(true);
    expect(report.steps.some((s) => /System RAM \(virtio_mem\)/.test(s.observations.iomem))).toBe(true);
  });

  it('matches the model: no mismatches, no violations, every step check holds', () => {
    const bad = report.steps.flatMap((s) => s.probes.filter((p) => p.verdict === 'mismatch' || p.verdict === 'violation').map((p) => `${s.name} ${p.op} ${p.addr}: ${p.verdict}`));
    expect(bad).toEqual([]);
    expect(report.summary.mismatches).toBe(0);
    expect(report.summary.violations).toBe(0);
    expect(report.summary.checks.mismatch).toBe(0);
    expect(report.safety.filter((e) => e.status === 'violated')).toEqual([]);
    expect(report.summary.probes).toBeGreaterThanOrEqual(500);
  });

  it('leaves no QEMU process and nothing in /dev/shm', () => {
    expect(qemuChildren()).toBe('');
    expect(shmDir).toMatch(/^\/dev\/shm\/devmem-lab-/);
    expect(existsSync(shmDir)).toBe(false);
  });
});

// Debian's 6.12 ships its modules as .ko.xz, each signed (an ECDSA signature
// and the "~Module signature appended~\n" marker). Under lockdown the kernel
// loads only modules whose signature verifies, so this run fails at boot
// unless the image unpacks them byte for byte.
describe('debian:bookworm@6.12 with lockdown=integrity (real QEMU guest)', () => {
  let report: Report;

  beforeAll(async () => {
    ({ report } = await labRun(LIFECYCLE, { kernel: 'debian:bookworm@6.12', extraCmdline: ['lockdown=integrity'] }));
  }, 900_000);

  afterAll(removeScratch);

  it('loads its signed modules and matches the model', () => {
    expect(report.error).toBeUndefined();
    expect(report.environment.kernel?.release).toMatch(/^6\.12\./);
    expect(report.environment.guest?.lockdown).toBe('integrity');
    expect(report.steps.some((s) => s.observations.virtioMemBound)).toBe(true);
    expect(report.summary.mismatches).toBe(0);
    expect(report.summary.violations).toBe(0);
    expect(report.summary.checks.mismatch).toBe(0);
    expect(report.coverage!.find((c) => c.rule === 'R-OPEN-LOCKDOWN')?.status).toBe('exercised');
  });
});

// A kernel without STRICT_DEVMEM, which only 5.10–5.15 can pair with
// virtio-mem (5.16+: VIRTIO_MEM depends on EXCLUSIVE_SYSTEM_RAM), built from
// bullseye's source package (downloaded with private apt; about 3 minutes to
// build on 2 cores, then cached). /dev/mem then reads any page below
// high_memory: the model must still match, the PAT check refuses mmap of
// RAM (R-MMAP-PAT-NOSTRICT), and the safety checks must catch what the
// kernel lets through — reads of the bound device region (S1) and of
// unplugged blocks still below high_memory (S4, seen from the host).
describe('build:bullseye/linux-source-5.10 without STRICT_DEVMEM (real QEMU guest)', () => {
  let report: Report;

  beforeAll(async () => {
    ({ report } = await labRun(LIFECYCLE, { kernel: 'build:bullseye/linux-source-5.10+STRICT_DEVMEM=n,IO_STRICT_DEVMEM=n' }));
  }, 2_400_000);

  afterAll(removeScratch);

  it('matches the model, with mmap of RAM refused by PAT alone', () => {
    expect(report.error).toBeUndefined();
    expect(report.environment.kernel?.release).toMatch(/^5\.10\./);
    expect(report.environment.model?.config).toMatchObject({ STRICT_DEVMEM: false, X86_PAT: true });
    expect(report.summary.mismatches).toBe(0);
    expect(report.summary.checks.mismatch).toBe(0);
    expect(report.coverage!.find((c) => c.rule === 'R-MMAP-PAT-NOSTRICT')?.status).toBe('exercised');
    const plugged = report.steps.find((s) => s.name === 'plug-512M')!;
    expect(plugged.probes.find((p) => p.op === 'mmap-shared' && p.addr === '0x100000000')!.observed).toMatchObject({ result: 'errno', errno: 'EINVAL', syscall: 'mmap' });
  });

  it('flags what the kernel lets through: S1 for reads of the bound region, S4 for touched unplugged blocks', () => {
    const status = Object.fromEntries(report.safety.map((e) => [e.id, e.status]));
    expect(status).toMatchObject({ S1: 'violated', S4: 'violated' });
    const plugged = report.steps.find((s) => s.name === 'plug-512M')!;
    expect(plugged.probes.find((p) => p.op === 'read' && p.addr === '0x100000000')).toMatchObject({ verdict: 'violation', observed: { result: 'ok', bytes: 4096 } });
    // The blocks the guest read after they were unplugged, and only those, are populated on the host.
    const s4 = report.safety.find((e) => e.id === 'S4')!.evidence.join('\n');
    expect(s4).toMatch(/unplug-to-256M: populated pages in unplugged blocks: block 128 at 0x110000000/);
    expect(report.steps.find((s) => s.name === 'plug-512M')!.probes.filter((p) => p.verdict === 'violation').every((p) => p.op === 'read')).toBe(true);
  });
});
