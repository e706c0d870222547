// S6 and S7 on real guests for the mremap() and fork() release paths, no
// virtio-mem involved (docs/findings/pat-mremap-leak.md,
// docs/findings/pat-fork-refuted.md). A two-page /dev/mem mapping of
// unclaimed MMIO has one write-back reservation. Moving only its first
// page away (move_vma() clears VM_PAT on the old VMA, the new one frees a
// range that matches neither end of the entry) leaks the whole entry and
// logs "freeing invalid memtype" on Debian's 6.1; moving only its last
// page (an end match: the entry shrinks) leaks the first page silently.
// Growing it is refused (EFAULT) and changes nothing.
// Moving all of it, and a fork whose child keeps the mapping past the
// parent's munmap, free everything. The newest Debian kernel (7.x,
// refcounted pfnmap tracking) frees everything on every path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

const status = (r: Report) => Object.fromEntries(r.safety.filter((e) => e.id === 'S6' || e.id === 'S7').map((e) => [e.id, e.status]));
const held = (r: Report) => (r.steps[1].observations.action as { held: { addr: string }[] }).held[0].addr;
const end = (addr: string, pages: number) => `0x${(Number.parseInt(addr, 16) + pages * 0x1000 - 1).toString(16)}`;
const leak = (r: Report) => r.safety.find((e) => e.id === 'S6')!.evidence.find((e) => e.includes('outlived'));

describe('pat-move*, pat-grow, pat-fork (real QEMU guests)', () => {
  const old: Record<string, Report> = {};
  const newest: Record<string, Report> = {};
  const names = ['pat-move', 'pat-move-head', 'pat-move-tail', 'pat-grow', 'pat-fork'];

  beforeAll(async () => {
    for (const n of names) old[n] = (await labRun(n, { kernel: 'debian:bookworm' })).report;
    for (const n of ['pat-move-head', 'pat-move-tail']) newest[n] = (await labRun(n, { kernel: 'debian:newest' })).report;
  }, 1_200_000);

  it('6.1: moving the first page away leaks both pages\' reservation and logs an invalid free of the first page', () => {
    const r = old['pat-move-head'];
    expect(r.status).toBe('completed');
    expect(status(r)).toEqual({ S6: 'violated', S7: 'violated' });
    const a = held(r);
    expect(leak(r)).toBe(`move-head-release: released mmio-two-pages (${a}) left [mem ${a}-${end(a, 2)}] write-back: the reservation outlived its mapping`);
    const bad = r.findings.filter((f) => f.kind === 'bookkeeping');
    expect(bad).toHaveLength(1);
    expect(bad[0].line).toMatch(new RegExp(`freeing invalid memtype \\[mem 0x0*${a.slice(2)}-0x0*${end(a, 1).slice(2)}\\]`));
  });

  it('6.1: moving the last page away leaves the first page reserved, with nothing in the log', () => {
    const r = old['pat-move-tail'];
    expect(status(r)).toEqual({ S6: 'violated', S7: 'holds' });
    const a = held(r);
    expect(leak(r)).toBe(`move-tail-release: released mmio-two-pages (${a}) left [mem ${a}-${end(a, 1)}] write-back: the reservation outlived its mapping`);
    expect(r.findings).toEqual([]);
  });

  it('6.1: moving the whole mapping, and a fork whose child keeps it, free everything', () => {
    for (const n of ['pat-move', 'pat-fork']) {
      expect(old[n].status, n).toBe('completed');
      expect(status(old[n]), n).toEqual({ S6: 'holds', S7: 'holds' });
      expect((old[n].steps[2].observations.action as { released: { result: { result: string } }[] }).released[0].result.result, n).toBe('ok');
    }
  });

  it('6.1: a /dev/mem mapping cannot grow (vma_to_resize(): EFAULT for VM_PFNMAP), and its munmap frees the reservation', () => {
    const r = old['pat-grow'];
    expect(r.status).toBe('completed');
    expect((r.steps[2].observations.action as { released: { result: unknown }[] }).released[0].result).toEqual({ result: 'errno', errno: 'EFAULT', syscall: 'mremap' });
    expect(status(r)).toEqual({ S6: 'holds', S7: 'holds' });
  });

  it('7.x: both partial moves free everything', () => {
    for (const r of Object.values(newest)) {
      expect(r.environment.kernel?.release).toMatch(/^[7-9]\./);
      expect(status(r)).toEqual({ S6: 'holds', S7: 'holds' });
      expect(r.findings).toEqual([]);
    }
  });
});
