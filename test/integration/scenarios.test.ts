// The scenarios that reach the rules between steps, and the boot-option
// variants, on real guests (Debian's default kernel): every probe and step
// check must match the model and every exercised safety property hold.
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

const run = async (scenario: string, extraCmdline: string[] = []): Promise<Report> => (await labRun(scenario, { extraCmdline })).report;

function expectAllMatch(r: Report) {
  expect(r.error).toBeUndefined();
  const bad = r.steps.flatMap((s) => [
    ...s.probes.filter((p) => p.verdict !== 'match').map((p) => `${s.name} ${p.op} ${p.addr}: ${p.verdict} ${p.verdictReason}`),
    ...(s.checks ?? []).filter((c) => c.verdict !== 'match').map((c) => `${s.name} ${c.rule}: ${c.message}`),
  ]);
  expect(bad).toEqual([]);
  expect(r.safety.filter((e) => e.status === 'violated')).toEqual([]);
}

const exercised = (r: Report) => new Set(r.coverage!.filter((c) => c.status === 'exercised').map((c) => c.rule));

describe('scenarios on debian:bookworm (real guests)', () => {
  it('revoke: held mappings are revoked by the driver claim; ptrace never reaches them', async () => {
    const r = await run('revoke');
    expectAllMatch(r);
    const status = Object.fromEntries(r.safety.map((e) => [e.id, e.status]));
    expect(status).toMatchObject({ S1: 'holds', S2: 'holds', S3: 'holds', S4: 'holds', S5: 'holds' });
    for (const rule of ['R-REVOKE', 'R-PTRACE-REVOKED', 'R-PTRACE-RO', 'R-PTRACE-MMIO', 'R-PTRACE-RAM', 'R-PTRACE-VMREADV', 'R-KCORE-OFFLINE', 'R-KCORE-HOLE', 'R-MMAP-PAT']) {
      expect(exercised(r)).toContain(rule);
    }
    // The kernel's own answer for the held device mapping after the claim.
    const touch = r.steps.find((s) => s.name === 'driver-loaded')!.probes.find((p) => p.op === 'held-touch-shared' && p.addr === '0x100000000')!;
    expect(touch.observed).toMatchObject({ result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR' });
    // PageOffline subblocks of the partly plugged block read as zeros through kcore (5.14+).
    const offline = r.steps.find((s) => s.name === 'plug-500M')!.probes.find((p) => p.op === 'kcore' && p.why.includes('unplugged subblock'))!;
    expect(offline.observed).toMatchObject({ result: 'ok', zero: true });
    // An O_SYNC (UC-) mapping over the held write-back reservation of the device page: EAGAIN.
    const hold = r.steps.find((s) => s.name === 'hold')!;
    expect(hold.observations.patMemtypes).toMatch(/0x0000000100000000-0x0000000100001000\] write-back/);
    expect(hold.probes.find((p) => p.op === 'mmap-sync-shared' && p.addr === '0x100000000')!.observed).toMatchObject({ result: 'errno', errno: 'EAGAIN', syscall: 'mmap' });
  }, 600_000);

  it('unclean-unload: the parent is kept, the reload fails EBUSY', async () => {
    const r = await run('unclean-unload');
    expectAllMatch(r);
    expect(exercised(r)).toContain('R-VMEM-UNLOAD-BUSY');
    const reload = r.steps.find((s) => s.name === 'modprobe-ebusy')!;
    expect(reload.observations.virtioMemBound).toBe(false);
    expect(reload.observations.dmesg.join('\n')).toMatch(/could not reserve device region/);
    // What the host wrote into the plugged block through the backend is what the guest read through /proc/kcore.
    const cross = r.steps.find((s) => s.name === 'host-pattern')!;
    expect(cross.checks!.find((c) => c.rule === 'HOST-GUEST-CROSSCHECK')?.verdict).toBe('match');
    expect(cross.observations.action).toMatchObject({ agree: true, guest: { result: 'ok', zero: false } });
  }, 600_000);

  it('capabilities: without CAP_SYS_RAWIO /dev/mem and /proc/kcore refuse to open', async () => {
    const r = await run('capabilities');
    expectAllMatch(r);
    for (const rule of ['R-OPEN-CAP', 'R-KCORE-OPEN']) expect(exercised(r)).toContain(rule);
    const refused = r.steps.slice(1).map((s) => (s.observations.action.access as { observed: { errno?: string; syscall?: string } }).observed);
    expect(refused).toEqual([
      expect.objectContaining({ errno: 'EPERM', syscall: 'open' }),
      expect.objectContaining({ errno: 'EPERM', syscall: 'open' }),
      expect.objectContaining({ errno: 'EPERM', syscall: 'open' }),
    ]);
  }, 600_000);

  it.each([['iomem=relaxed'], ['iomem=strict'], ['lockdown=integrity'], ['lockdown=confidentiality']])('lifecycle with %s matches the model', async (opt) => {
    const r = await run('lifecycle', [opt]);
    expectAllMatch(r);
    expect(r.environment.guest?.cmdline).toContain(opt);
    if (opt.startsWith('lockdown')) expect(exercised(r)).toContain('R-OPEN-LOCKDOWN');
  }, 600_000);
});
