// S6 and S7 on real guests, no virtio-mem involved: a two-page /dev/mem
// mapping of unclaimed MMIO whose second page is mprotect()ed PROT_NONE
// (splitting the VMA) and then unmapped must leave no PAT reservation and
// no "freeing invalid memtype" line. Debian's 6.1 leaks the first page's
// reservation and logs the bad free (docs/findings/pat-split-leak.md); the
// newest Debian kernel (7.x) must be clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

const status = (r: Report) => Object.fromEntries(r.safety.map((e) => [e.id, e.status]));

describe('pat-split (real QEMU guests)', () => {
  let old: Report;
  let newest: Report;

  beforeAll(async () => {
    old = (await labRun('pat-split', { kernel: 'debian:bookworm' })).report;
    newest = (await labRun('pat-split', { kernel: 'debian:newest' })).report;
  }, 1_200_000);

  it('6.1: the first page keeps a write-back reservation after munmap, and the kernel logs an invalid free for it', () => {
    expect(old.status).toBe('completed');
    expect(status(old)).toMatchObject({ S6: 'violated', S7: 'violated' });
    const hold = (old.steps[1].observations.action as { held: { addr: string }[] }).held[0].addr;
    const page = Number.parseInt(hold, 16);
    const leak = old.safety.find((e) => e.id === 'S6')!.evidence.find((e) => e.includes('outlived'))!;
    expect(leak).toBe(`split-release: released mmio-two-pages (${hold}) left [mem ${hold}-0x${(page + 0xfff).toString(16)}] write-back: the reservation outlived its mapping`);
    const bad = old.findings.filter((f) => f.kind === 'bookkeeping');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ step: 'split-release', line: expect.stringMatching(new RegExp(`freeing invalid memtype \\[mem 0x0*${hold.slice(2)}-0x0*${(page + 0xfff).toString(16)}\\]`)) });
    expect(old.summary.mismatches + old.summary.checks.mismatch).toBe(0);
  });

  it('7.x: both hold', () => {
    expect(newest.status).toBe('completed');
    expect(newest.environment.kernel?.release).toMatch(/^[7-9]\./);
    expect(status(newest)).toMatchObject({ S6: 'holds', S7: 'holds' });
    expect(newest.findings).toEqual([]);
  });
});
