// Hypothesis (c) of the explore work, refuted: a private /dev/mem mapping of
// MMIO that was written (copy-on-write) and then unmapped frees its PAT
// reservation on Debian's 6.1, because get_pat_info() falls back to
// vm_pgoff for COW mappings (04c35ab3bdae "x86/mm/pat: fix VM_PAT handling
// in COW mappings", in Debian's 5.10.262 and 6.1.192 sources). S6 must hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

describe('pat-cow on debian:bookworm (real QEMU guest)', () => {
  let r: Report;
  beforeAll(async () => {
    r = (await labRun('pat-cow', { kernel: 'debian:bookworm' })).report;
  }, 600_000);

  it('the COW write succeeds and the reservation is gone after munmap: S6 and S7 hold', () => {
    expect(r.status).toBe('completed');
    const p = r.steps[1].probes.find((x) => x.op === 'cow-write')!;
    expect(p).toMatchObject({ verdict: 'match', observed: { result: 'ok', bytes: 4096 }, expected: { rule: 'R-MMAP-OK' } });
    const s6 = r.safety.find((e) => e.id === 'S6')!;
    expect(s6.status).toBe('holds');
    expect(s6.evidence.join('\n')).toMatch(/released cow-write 0x[0-9a-f]+ .*: its reservation is gone/);
    expect(r.safety.find((e) => e.id === 'S7')!.status).toBe('holds');
  });
});
