// S7 on real guests: /proc/self/mem (the ptrace path) on the copy-on-write
// page of a private /dev/mem mapping must fail quietly. Debian's 6.1 hits
// WARN "ioremap on RAM" in generic_access_phys() (docs/findings/
// generic-access-phys-cow-warn.md): S7 must be violated there with the
// stack trace in the report; the newest Debian kernel refuses the page
// before ioremap_prot() and S7 must hold. Both return EIO (R-PTRACE-RAM).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

const probe = (r: Report) => r.steps.find((s) => s.name === 'cow-low-ram')!.probes.find((p) => p.op === 'cow-procmem')!;
const s7 = (r: Report) => r.safety.find((e) => e.id === 'S7')!;

describe('cow-ptrace (real QEMU guests)', () => {
  let old: Report;
  let newest: Report;

  beforeAll(async () => {
    old = (await labRun('cow-ptrace', { kernel: 'debian:bookworm' })).report;
    newest = (await labRun('cow-ptrace', { kernel: 'debian:newest' })).report;
  }, 1_200_000);

  it('the read fails EIO on both kernels, as R-PTRACE-RAM predicts', () => {
    for (const r of [old, newest]) {
      expect(r.status).toBe('completed');
      expect(probe(r).observed).toMatchObject({ result: 'errno', errno: 'EIO', syscall: 'pread' });
      expect(probe(r)).toMatchObject({ verdict: 'match', expected: { rule: 'R-PTRACE-RAM' } });
    }
  });

  it('6.1: S7 violated by WARN "ioremap on RAM", with the call trace through generic_access_phys()', () => {
    expect(old.environment.kernel?.release).toMatch(/^6\.1\./);
    expect(s7(old).status).toBe('violated');
    const ev = s7(old).evidence.find((e) => e.includes('WARNING'))!;
    expect(ev).toMatch(/^cow-low-ram: ioremap on RAM at 0x[0-9a-f]+ - 0x[0-9a-f]+\n/);
    expect(ev).toMatch(/WARNING: .*arch\/x86\/mm\/ioremap\.c:\d+ __ioremap_caller/);
    expect(ev).toMatch(/generic_access_phys\+/);
    expect(ev).toMatch(/mem_rw\+/);
    const f = old.findings.find((x) => x.kind === 'warning')!;
    expect(f).toMatchObject({ step: 'cow-low-ram', message: expect.stringMatching(/^ioremap on RAM at /) });
    expect(f.trace!.some((l) => l.includes('__access_remote_vm'))).toBe(true);
  });

  it('7.x: S7 holds, the console has no WARN', () => {
    expect(newest.environment.kernel?.release).toMatch(/^[7-9]\./);
    expect(s7(newest).status).toBe('holds');
    expect(newest.findings).toEqual([]);
  });
});
