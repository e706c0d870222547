// S6, memtype coherence: the guest's x86/pat_memtype_list judged against what
// the lab mapped. The kernel side: munmap → unmap_vmas() → untrack_pfn() →
// free_pfn_range() → memtype_free() drops a VM_PAT mapping's reservation
// (arch/x86/mm/pat/memtype.c); memtype_reserve() never inserts an entry whose
// type conflicts with one it overlaps.
import { describe, expect, it } from 'vitest';
import { checkS6, type LabMapping, type MemtypeEntry } from '../../../src/model/index.js';

const wb = (start: number): MemtypeEntry => ({ start, end: start + 0x1000, type: 'write-back' });
const m = (name: string, start: number, revoked = false): LabMapping => ({ name, start, endExcl: start + 0x1000, reservation: wb(start), revoked });
const violated = (ev: ReturnType<typeof checkS6>) => ev.filter((e) => e.violated).map((e) => e.evidence);

describe('checkS6', () => {
  it('a held mapping is covered by its write-back reservation; without one its live PTEs have none', () => {
    expect(violated(checkS6('hold', [wb(0x120000000)], [m('dev', 0x120000000)], []))).toEqual([]);
    expect(violated(checkS6('hold', [], [m('dev', 0x120000000)], []))).toEqual(['hold: held dev (0x120000000) has live PTEs but no write-back reservation covers 0x120000000-0x120000fff']);
    // A revoked mapping has no PTEs left to cover.
    expect(violated(checkS6('loaded', [], [m('dev', 0x120000000, true)], []))).toEqual([]);
  });
  // mm/memory.c unmap_single_vma() calls untrack_pfn(vma, 0, 0) on every zap
  // of a VM_PFNMAP VMA (5.10–6.12): a revocation of part of the mapping
  // frees the reservation of the whole VMA unless the range is RAM, while
  // the PTEs outside the claim stay.
  it('a mapping revoked in part still needs its reservation over the pages the claim left mapped', () => {
    const straddle: LabMapping = {
      name: 'bar',
      start: 0x200003000,
      endExcl: 0x200005000,
      reservation: { start: 0x200003000, end: 0x200005000, type: 'write-back' },
      revoked: true,
      live: [{ start: 0x200004000, endExcl: 0x200005000 }],
    };
    expect(violated(checkS6('bind', [], [straddle], []))).toEqual([
      'bind: held bar (0x200003000, revoked in part) has live PTEs but no write-back reservation covers 0x200004000-0x200004fff: the revocation freed the reservation of the pages it left mapped',
    ]);
    const kept: MemtypeEntry = { start: 0x200003000, end: 0x200005000, type: 'write-back' };
    expect(checkS6('bind', [kept], [straddle], [])).toEqual([
      { property: 'S6', exercised: true, violated: false, evidence: 'bind: held bar (revoked in part) still maps 0x200004000-0x200004fff, covered by [mem 0x200003000-0x200004fff] write-back' },
    ]);
  });
  // reserve_pfn_range() answers a UC- request over a write-back reservation
  // with -EINVAL (mmap_mem(): EAGAIN); an O_SYNC mapping that succeeds over a
  // page still mapped write-back means the reservation was gone.
  it('an O_SYNC mapping that succeeded over a page a hold still maps write-back: two cache modes at once', () => {
    const straddle: LabMapping = { name: 'bar', start: 0x200003000, endExcl: 0x200005000, reservation: { start: 0x200003000, end: 0x200005000, type: 'write-back' }, revoked: true, live: [{ start: 0x200004000, endExcl: 0x200005000 }] };
    const uc = { what: 'probe 7 (mmap-sync-shared)', start: 0x200004000, endExcl: 0x200005000, type: 'uncached-minus' as const };
    expect(violated(checkS6('sync', [], [straddle], [], [uc]))).toContain('sync: probe 7 (mmap-sync-shared) mapped 0x200004000 uncached-minus while held bar maps it write-back: one page with two cache modes');
    // Over the revoked page (no PTEs left), or of the hold's own type, nothing aliases.
    const onRevoked = { ...uc, start: 0x200003000, endExcl: 0x200004000 };
    expect(violated(checkS6('sync', [{ start: 0x200003000, end: 0x200005000, type: 'write-back' }], [straddle], [], [onRevoked, { ...uc, type: 'write-back' }]))).toEqual([]);
  });
  it("an entry of another type over a released mapping's page is the kernel's own (a driver's ioremap), not a leak", () => {
    const ioremap: MemtypeEntry = { start: 0x20000b000, end: 0x20000c000, type: 'uncached-minus' };
    expect(violated(checkS6('release', [ioremap], [], [m('bar', 0x20000b000, true)]))).toEqual([]);
  });
  it('a reservation left after its mapping was released is a leak; a freed one holds', () => {
    const leak = violated(checkS6('release', [wb(0x120000000)], [], [m('dev', 0x120000000, true)]));
    expect(leak).toEqual(['release: released dev (0x120000000, revoked before its release) left [mem 0x120000000-0x120000fff] write-back: the reservation outlived its mapping']);
    const ok = checkS6('release', [wb(0x140110000)], [], [m('ctl', 0x140000000)]);
    expect(ok).toMatchObject([{ property: 'S6', exercised: true, violated: false }]);
  });
  it("the kernel's own entries elsewhere are not judged; one the lab still holds over the same page is not a leak", () => {
    expect(violated(checkS6('release', [wb(0xfebf8000), wb(0x140000000)], [m('again', 0x140000000)], [m('ctl', 0x140000000)]))).toEqual([]);
  });
  it('two overlapping entries of different types are a conflict', () => {
    const uc: MemtypeEntry = { start: 0xfebf8000, end: 0xfebf9000, type: 'uncached-minus' };
    expect(violated(checkS6('boot', [wb(0xfebf8000), uc], [], []))).toEqual(['boot: conflicting reservations [mem 0xfebf8000-0xfebf8fff] write-back and [mem 0xfebf8000-0xfebf8fff] uncached-minus overlap']);
  });
  it('a reservation whose type the model cannot tell (no MTRRs seen) is covered by write-back or uncached-minus, nothing else', () => {
    const guess: LabMapping = { ...m('hole', 0x140110000), reservation: { ...wb(0x140110000), typeUnknown: "the guest's MTRRs" } };
    const ucm: MemtypeEntry = { start: 0x140110000, end: 0x140111000, type: 'uncached-minus' };
    expect(violated(checkS6('hold', [ucm], [guess], []))).toEqual([]);
    expect(violated(checkS6('hold', [{ ...ucm, type: 'write-combining' }], [guess], []))).toEqual([
      'hold: held hole (0x140110000) has live PTEs but no write-back or uncached-minus reservation covers 0x140110000-0x140110fff',
    ]);
  });
  it('no list, nothing judged', () => {
    expect(checkS6('boot', undefined, [m('dev', 0x120000000)], [])).toMatchObject([{ exercised: false }]);
  });
});
