// arm64 guests: Debian bookworm's arm64 kernel on QEMU virt (cortex-a57),
// lifecycle, revoke and unclean-unload, judged by the arm64 model. Besides
// "no mismatch", each case checks outcomes written by hand from the arm64
// source (Debian 6.1.192, docs/arm64.md) and the machine: these are what
// the x86 rules would get wrong.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareReports } from '../../src/compare/index.js';
import type { Report } from '../../src/format/types.js';
import { matrixCells } from '../../src/matrix/cells.js';
import { runMatrix } from '../../src/matrix/run.js';
import { labRun, qemuChildren, removeScratch } from './helpers.js';

type Probe = Report['steps'][number]['probes'][number];
const probe = (r: Report, step: string, op: string, addr: string): Probe | undefined =>
  r.steps.find((s) => s.name === step)?.probes.find((p) => p.op === op && p.addr === addr);

describe.each(['lifecycle', 'revoke', 'unclean-unload'])('%s on Debian bookworm arm64 (real QEMU virt guest)', (scenario) => {
  let report: Report;
  beforeAll(async () => {
    ({ report } = await labRun(scenario, { kernel: 'debian:bookworm', profile: 'arm64' }));
  }, 900_000);
  afterAll(removeScratch);

  it('boots an arm64 kernel on QEMU virt and completes every step', () => {
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('completed');
    expect(report.environment.kernel?.release).toMatch(/^6\.1\.0-\d+-arm64$/);
    expect(report.environment.guest?.arch).toBe('arm64');
    // CONFIG_ARM64_PA_BITS=48 in Debian's arm64 config.
    expect(report.environment.guest?.physBits).toBe(48);
    const argv = report.environment.qemu?.argv.join(' ') ?? '';
    expect(argv).toContain('virt,accel=tcg');
    // aarch64 QEMU has no such property.
    expect(argv).not.toContain('unplugged-inaccessible');
    expect(qemuChildren()).toBe('');
  });

  it('matches the arm64 model: no mismatch, no violation, every step check holds', () => {
    const bad = report.steps.flatMap((s) => s.probes.filter((p) => p.verdict === 'mismatch' || p.verdict === 'violation').map((p) => `${s.name} ${p.op} ${p.addr}: ${p.verdictReason}`));
    expect(bad).toEqual([]);
    expect(report.summary.checks.mismatch).toBe(0);
    expect(report.safety.filter((e) => e.status === 'violated')).toEqual([]);
  });

  it('is judged by arm64 rules only: no PAT, no first-MiB exception, no high_memory', () => {
    const rules = new Set(report.steps.flatMap((s) => s.probes.map((p) => p.expected?.rule)));
    for (const x86 of ['R-DIA-RAM', 'R-RW-ZERO', 'R-RW-RANGE', 'R-MMAP-PAT', 'R-MMAP-PHYSBITS', 'R-HIGHMEM-HOTADD']) expect(rules.has(x86 as never)).toBe(false);
    expect([...rules].some((r) => r?.startsWith('R-A64-'))).toBe(true);
  });

  it('reads and maps as the arm64 source says, at the boot step', () => {
    // Boot RAM at 0x40000000: page_is_ram() → devmem_is_allowed() 0 → EPERM, for read() and mmap() alike.
    expect(probe(report, 'boot', 'read', '0x40000000')?.observed).toMatchObject({ result: 'errno', errno: 'EPERM' });
    expect(probe(report, 'boot', 'mmap-shared', '0x40000000')?.observed).toMatchObject({ result: 'errno', errno: 'EPERM' });
    // Flash at 0: not memblock memory, so read() fails the range check (EFAULT); mmap() of it is allowed and touching it reads the flash.
    expect(probe(report, 'boot', 'read', '0x0')?.observed).toMatchObject({ result: 'errno', errno: 'EFAULT' });
    expect(probe(report, 'boot', 'mmap-shared', '0x0')?.observed).toMatchObject({ result: 'ok' });
    // The page after the PL011's 4 KiB: nothing backs it, and the bus's external abort is a SIGBUS (do_sea()).
    expect(probe(report, 'boot', 'touch-shared', '0x9001000')?.observed).toMatchObject({ result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_OBJERR' });
  });
});

describe('lifecycle on arm64 with iomem=relaxed (real QEMU virt guest)', () => {
  let report: Report;
  beforeAll(async () => {
    ({ report } = await labRun('lifecycle', { kernel: 'debian:bookworm', profile: 'arm64', extraCmdline: ['iomem=relaxed'] }));
  }, 900_000);
  afterAll(removeScratch);

  it('matches the arm64 model with the relaxed exclusivity', () => {
    expect(report.status).toBe('completed');
    expect(report.summary.mismatches).toBe(0);
    expect(report.summary.checks.mismatch).toBe(0);
  });

  it('boot RAM is refused by page_is_ram() now that busy resources are not exclusive; the PL011 claimed by its driver maps', () => {
    // lib/devmem_is_allowed.c: iomem_is_exclusive() is false for busy resources without strict checks, then page_is_ram() → 0.
    const ram = probe(report, 'boot', 'read', '0x40000000');
    expect(ram?.observed).toMatchObject({ result: 'errno', errno: 'EPERM' });
    expect(ram?.expected?.rule).toBe('R-RW-DENY');
    expect(ram?.expected?.via).toContain('R-A64-DIA-RAM');
    expect(probe(report, 'boot', 'mmap-shared', '0x9000000')?.observed).toMatchObject({ result: 'ok' });
  });
});

describe('a matrix over both architectures, and compare across them (real guests)', () => {
  const out = mkdtempSync(join(tmpdir(), 'devmem-lab-arch-matrix-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const cells = matrixCells(['debian:bookworm'], [''], ['lifecycle'], ['x86_64', 'arm64']);

  it('runs the x86_64 and the arm64 cell of one kernel spec and scenario, each with 0 findings', async () => {
    expect(cells.map((c) => c.id)).toEqual(['debian_bookworm__default__lifecycle', 'arm64__debian_bookworm__default__lifecycle']);
    const m = await runMatrix({ cells, out, jobs: 1, accel: 'tcg' });
    expect(m.totals).toMatchObject({ cells: 2, completed: 2, failed: 0, mismatches: 0, violations: 0, checkMismatches: 0 });
    const read = (id: string): Report => JSON.parse(readFileSync(join(out, 'cells', id, 'report.json'), 'utf8'));
    expect(read(cells[0].id).environment.kernel?.release).toMatch(/-amd64$/);
    expect(read(cells[1].id).environment.kernel?.release).toMatch(/-arm64$/);
  }, 900_000);

  it('compare explains every x86_64/arm64 difference by the rules of each side', () => {
    const read = (id: string): Report => JSON.parse(readFileSync(join(out, 'cells', id, 'report.json'), 'utf8'));
    const diff = compareReports(read(cells[0].id), read(cells[1].id));
    expect(diff.differences.length).toBeGreaterThan(0);
    expect(diff.differences.filter((d) => d.severity !== 'arch').map((d) => `${d.severity}: ${d.kind}`)).toEqual([]);
  });
});
