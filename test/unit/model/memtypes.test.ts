// R-MMAP-PAT without the guest's x86/pat_memtype_list (a kernel without
// DEBUG_FS): the reservations the lab's own holds made, and 'unknown' where
// the kernel may hold reservations the lab cannot see. Expected values come
// from arch/x86/mm/pat/memtype.c: reserve_pfn_range(), memtype_reserve(),
// memtype_check_conflict() and is_new_memtype_allowed().
import { describe, expect, it } from 'vitest';
import { DEFAULT_MMAP, mappingReservation, modelContext, predictMmap, type KernelFacts, type LabMapping, type StepState } from '../../../src/model/index.js';
import { facts, STEPS } from './q35.js';

const mm = (f: KernelFacts, s: StepState, addr: number, len = 4096, oSync = false) => predictMmap(modelContext(f, s), addr, len, { ...DEFAULT_MMAP, oSync });
const wb = (start: number) => ({ start, end: start + 0x1000, type: 'write-back' as const });
const hold = (name: string, start: number, revoked = false): LabMapping => ({ name, start, endExcl: start + 0x1000, reservation: wb(start), revoked });
const withHolds = (s: StepState, holds: LabMapping[]): StepState => ({ ...s, labMappings: holds });

// 0x140110000: inside the 64-bit PCI window, no resource below it.
const HOLE = 0x140110000;
// feb80000: BAR 0000:00:02.0 with no driver claim (allowed under STRICT_DEVMEM).
const BAR = 0xfeb80000;

describe('the reservation a /dev/mem mapping makes (track_pfn_remap() → reserve_pfn_range())', () => {
  const ctx = modelContext(facts('6.1'), STEPS.beforeDriver);
  it('unclaimed MMIO and the first MiB (pat_pagerange_is_ram() counts it as non-RAM) get a write-back entry', () => {
    expect(mappingReservation(ctx, HOLE, HOLE + 0x1000)).toEqual(wb(HOLE));
    expect(mappingReservation(ctx, 0x1000, 0x2000)).toEqual(wb(0x1000));
  });
  it('RAM above 1 MiB takes the RAM path and the ISA range is untracked: no entry', () => {
    expect(mappingReservation(ctx, 0x100000, 0x101000)).toBeUndefined();
    expect(mappingReservation(ctx, 0xc0000, 0xc1000)).toBeUndefined();
  });
  it('no PAT, no entries', () => {
    expect(mappingReservation(modelContext(facts('6.1', { config: { X86_PAT: false } }), STEPS.beforeDriver), HOLE, HOLE + 0x1000)).toBeUndefined();
  });
});

describe('R-MMAP-PAT predicted from the lab\'s holds (no memtype list)', () => {
  const f = facts('6.1');
  it('UC- over the lab\'s own live WB hold fails whatever else the kernel holds there: EAGAIN', () => {
    expect(mm(f, withHolds(STEPS.beforeDriver, [hold('hole', HOLE)]), HOLE, 4096, true)).toMatchObject({ errno: 'EAGAIN', rule: 'R-MMAP-PAT' });
    // Low-MiB RAM is covered by the "System RAM" resource, which the kernel may have ioremapped; the hold decides anyway.
    expect(mm(f, withHolds(STEPS.beforeDriver, [hold('low', 0x1000)]), 0x1000, 4096, true)).toMatchObject({ errno: 'EAGAIN', rule: 'R-MMAP-PAT' });
  });
  it('WB over the hold takes its type: mapped', () => {
    expect(mm(f, withHolds(STEPS.beforeDriver, [hold('hole', HOLE)]), HOLE)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
  });
  it('UC- on space no resource claims, with no hold there: nothing to conflict with', () => {
    const e = mm(f, withHolds(STEPS.beforeDriver, []), HOLE, 4096, true);
    expect(e).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    expect(e.unknown).toBeUndefined();
  });
  it('UC- on a BAR the kernel may have mapped: unknown, naming the missing list', () => {
    const e = mm(f, withHolds(STEPS.beforeDriver, []), BAR, 4096, true);
    expect(e.rule).toBe('R-MMAP-PAT');
    expect(e.unknown).toMatch(/x86\/pat_memtype_list.*0000:00:02\.0/);
  });
  it('one WB page is always answered (all entries over one page share a type); two pages may span two types', () => {
    expect(mm(f, STEPS.beforeDriver, BAR)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    expect(mm(f, STEPS.beforeDriver, BAR).unknown).toBeUndefined();
    expect(mm(f, STEPS.beforeDriver, BAR, 8192).unknown).toMatch(/pat_memtype_list/);
  });
  it('a revoked hold\'s reservation may or may not have been freed by the zap: unknown', () => {
    // iomem=relaxed: the busy virtio-pci-modern claim is not exclusive, so PAT decides.
    const relaxed = facts('6.1', { cmdline: 'iomem=relaxed' });
    const e = mm(relaxed, withHolds(STEPS.beforeDriver, [hold('bar', 0xfebf8000, true)]), 0xfebf8000, 4096, true);
    expect(e.unknown).toMatch(/revocation of held bar/);
  });
  it('the observed list, when the guest has one, decides instead', () => {
    const s = { ...withHolds(STEPS.beforeDriver, [hold('hole', HOLE)]), memtypes: [] };
    const e = mm(f, s, HOLE, 4096, true);
    expect(e).toMatchObject({ outcome: 'ok' });
    expect(e.unknown).toBeUndefined();
  });
});

// pat_x_mtrr_type(): a write-back request over non-RAM is answered from the
// MTRRs. Under SeaBIOS (src/fw/mtrr.c mtrr_setup()) the default type is
// write-back, 0-0x9ffff is write-back, and one uncachable variable range
// covers 0xc0000000-0xffffffff (PROC_MTRR). Seen on 6.1.192: a hold at
// 0xfffff000 makes "[mem 0xfffff000-0x100001000] uncached-minus".
describe('the type of a write-back reservation follows the MTRRs (pat_x_mtrr_type())', () => {
  const ctx = modelContext(facts('6.1'), STEPS.beforeDriver);
  const uc = (start: number, pages = 1) => ({ start, end: start + pages * 0x1000, type: 'uncached-minus' as const });
  it('under the uncachable variable range: uncached-minus', () => {
    expect(mappingReservation(ctx, 0xfffff000, 0x100000000)).toEqual(uc(0xfffff000));
    expect(mappingReservation(ctx, BAR, BAR + 0x1000)).toEqual(uc(BAR));
  });
  it('a range with any uncachable part: uncached-minus (uncachable wins MTRR precedence)', () => {
    expect(mappingReservation(ctx, 0xfffff000, 0x100001000)).toEqual(uc(0xfffff000, 2));
  });
  it('above 4 GiB and below 3 GiB no variable range applies: the default, write-back', () => {
    expect(mappingReservation(ctx, HOLE, HOLE + 0x1000)).toEqual(wb(HOLE));
    expect(mappingReservation(ctx, 0x40000000, 0x40001000)).toEqual(wb(0x40000000));
  });
  it('below 1 MiB the fixed ranges decide; a range leaving one fixed range is not predicted', () => {
    expect(mappingReservation(ctx, 0x1000, 0x2000)).toEqual(wb(0x1000));
    expect(mappingReservation(ctx, 0x9f000, 0xa1000)?.typeUnknown).toMatch(/fixed MTRRs/);
  });
  it('no /proc/mtrr (MTRRs disabled, where 6.1 and later kernels answer differently): the type is unknown', () => {
    const none = modelContext(facts('6.1', { mtrr: null }), STEPS.beforeDriver);
    expect(mappingReservation(none, HOLE, HOLE + 0x1000)?.typeUnknown).toMatch(/no \/proc\/mtrr/);
  });
  it('O_SYNC over the lab\'s own uncached-minus hold is answered (UC- over UC-); over a hold of unknown type it is unknown', () => {
    const edge: LabMapping = { name: 'edge', start: 0xfffff000, endExcl: 0x100000000, reservation: uc(0xfffff000), revoked: false };
    expect(mm(facts('6.1'), withHolds(STEPS.beforeDriver, [edge]), 0xfffff000, 4096, true)).toMatchObject({ outcome: 'ok' });
    const guess: LabMapping = { ...hold('hole', HOLE), reservation: { ...wb(HOLE), typeUnknown: 'the guest\'s MTRRs' } };
    expect(mm(facts('6.1', { mtrr: null }), withHolds(STEPS.beforeDriver, [guess]), HOLE, 4096, true).unknown).toMatch(/type of the lab's own reservation/);
  });
});
