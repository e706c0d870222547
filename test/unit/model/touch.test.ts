// R-TOUCH (mmap_mem() → remap_pfn_range() fills every PTE) and R-REVOKE
// (kernel/resource.c __request_region() → revoke_iomem(), mm/memory.c do_fault()).
import { describe, expect, it } from 'vitest';
import {
  claimRevokes,
  claimsFromIomemDiff,
  livePieces,
  modelContext,
  predictHeldTouch,
  predictTouch,
  type Claim,
  type HeldMapping,
} from '../../../src/model/index.js';
import { facts, step, STEPS } from './q35.js';

describe('R-TOUCH: a fresh mapping read end to end', () => {
  it('returns real contents wherever mmap succeeds, including low-MiB RAM (not zeros)', () => {
    const ctx = modelContext(facts('6.1'), STEPS.plugged512);
    expect(predictTouch(ctx, 0x1000, 4096, { private: false, oSync: false })).toMatchObject({ outcome: 'data', bytes: 4096, rule: 'R-TOUCH', via: ['R-MMAP-OK', 'R-TOUCH'] });
    expect(predictTouch(ctx, 0xfebc1000, 4096, { private: true, oSync: false })).toMatchObject({ outcome: 'data', rule: 'R-TOUCH' });
  });

  it('a refused mmap is the touch probe\'s outcome', () => {
    const ctx = modelContext(facts('6.1'), STEPS.plugged512);
    expect(predictTouch(ctx, 0x100000000, 4096, { private: false, oSync: false })).toMatchObject({ outcome: 'errno', errno: 'EPERM', syscall: 'mmap', rule: 'R-MMAP-DENY' });
  });
});

// A mapping of the device region made before the driver bound (allowed then).
const held: HeldMapping = { start: 0x100000000, end: 0x100000fff, private: false };
const parentClaim: Claim = { start: 0x100000000, end: 0x13fffffff, name: 'virtio5', kind: 'request' };

describe('R-REVOKE: claims on the iomem root', () => {
  it('virtio-mem claiming its parent revokes a held mapping of the region: SIGBUS/BUS_ADRERR at the first byte', () => {
    const r = predictHeldTouch(facts('6.1'), held, [{ claim: parentClaim, after: STEPS.boundUnplugged }]);
    expect(r).toMatchObject({ outcome: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0, rule: 'R-REVOKE' });
  });

  it('also in 5.10 (revoke_devmem(), 5.8+): the 5.10 parent is SYSTEM_RAM, so dia(start) is 0', () => {
    expect(predictHeldTouch(facts('5.10'), held, [{ claim: parentClaim, after: STEPS.boundUnplugged }]).rule).toBe('R-REVOKE');
  });

  it('private mappings are zapped too (unmap_mapping_range(..., even_cows=1))', () => {
    expect(predictHeldTouch(facts('6.1'), { ...held, private: true }, [{ claim: parentClaim, after: STEPS.boundUnplugged }]).outcome).toBe('signal');
  });

  it('needs IO_STRICT_DEVMEM: without it revoke_iomem() is an empty stub and the touch still reads', () => {
    const f = facts('6.1', { config: { IO_STRICT_DEVMEM: false } });
    expect(claimRevokes(f, STEPS.boundUnplugged, parentClaim).revokes).toBe(false);
    expect(predictHeldTouch(f, held, [{ claim: parentClaim, after: STEPS.boundUnplugged }])).toMatchObject({ outcome: 'data', bytes: 4096, rule: 'R-TOUCH' });
  });

  it('insert_resource() and releases never revoke', () => {
    expect(claimRevokes(facts('6.1'), STEPS.boundUnplugged, { ...parentClaim, kind: 'insert' }).revokes).toBe(false);
    expect(claimRevokes(facts('6.1'), STEPS.afterCleanUnload, { ...parentClaim, kind: 'release' }).revokes).toBe(false);
  });

  it('a claim that does not overlap the mapping leaves it alone', () => {
    const elsewhere: Claim = { start: 0x120000000, end: 0x127ffffff, name: 'System RAM (virtio_mem)', kind: 'request' };
    expect(predictHeldTouch(facts('6.1'), held, [{ claim: elsewhere, after: STEPS.plugged512 }]).rule).toBe('R-TOUCH');
  });

  it('faults at the first zapped page: bytes touched before it are reported', () => {
    const m: HeldMapping = { start: 0xfffff000, end: 0x100000fff, private: false };
    expect(predictHeldTouch(facts('6.1'), m, [{ claim: parentClaim, after: STEPS.boundUnplugged }])).toMatchObject({ outcome: 'signal', bytes: 4096 });
  });

  describe('an MMIO claim (pci_request_region() inside a BAR)', () => {
    const bar = 'c0000000-febfffff : PCI Bus 0000:00\n  febc1000-febc1fff : 0000:00:1f.2\n';
    const after = step(bar.replace('0000:00:1f.2\n', '0000:00:1f.2\n    febc1000-febc1fff : ahci\n'), false, [], 0x3ffe0000);
    const claim: Claim = { start: 0xfebc1000, end: 0xfebc1fff, name: 'ahci', kind: 'request' };
    const m: HeldMapping = { start: 0xfebc1000, end: 0xfebc1fff, private: false };

    it('revokes with strict iomem checks (the new busy claim makes both ends exclusive)', () => {
      expect(predictHeldTouch(facts('6.1'), m, [{ claim, after }]).rule).toBe('R-REVOKE');
    });

    it('with iomem=relaxed both ends stay allowed and nothing is revoked', () => {
      expect(claimRevokes(facts('6.1', { cmdline: 'iomem=relaxed' }), after, claim)).toMatchObject({ revokes: false });
      expect(predictHeldTouch(facts('6.1', { cmdline: 'iomem=relaxed' }), m, [{ claim, after }]).rule).toBe('R-TOUCH');
    });

    it('either end being denied is enough: a claim from the first MiB up past it revokes', () => {
      const t = step('000c0000-001fffff : PCI Bus 0000:00\n  000c0000-001fffff : bigdrv\n', false, [], 0x3ffe0000);
      const c: Claim = { start: 0xc0000, end: 0x1fffff, name: 'bigdrv', kind: 'request' };
      // start pfn 0xc0 is exclusive but below 1 MiB (dia 1); end pfn 0x1ff is exclusive above it (dia 0).
      expect(claimRevokes(facts('6.1'), t, c).revokes).toBe(true);
    });

    it('... including the start: with iomem=relaxed a claim whose first page shares System RAM revokes', () => {
      const t = step('00100000-3ffdf7ff : System RAM\n3ffdf800-3fffffff : Reserved\n  3ffdf800-3ffeffff : mydrv\n', false, [], 0x3ffdf800);
      const c: Claim = { start: 0x3ffdf800, end: 0x3ffeffff, name: 'mydrv', kind: 'request' };
      expect(claimRevokes(facts('6.1', { cmdline: 'iomem=relaxed' }), t, c).revokes).toBe(true);
    });

    // revoke_iomem() → unmap_mapping_range(inode->i_mapping, res->start, resource_size(res), 1):
    // only the claimed pages lose their PTEs.
    it('a mapping straddling the claimed BAR keeps the pages outside it mapped', () => {
      const straddle: HeldMapping = { start: 0xfebc1000, end: 0xfebc2fff, private: false };
      expect(livePieces(facts('6.1'), straddle, [{ claim, after }])).toEqual([{ start: 0xfebc2000, end: 0xfebc2fff }]);
      const around: HeldMapping = { start: 0xfebc0000, end: 0xfebc2fff, private: false };
      expect(livePieces(facts('6.1'), around, [{ claim, after }])).toEqual([
        { start: 0xfebc0000, end: 0xfebc0fff },
        { start: 0xfebc2000, end: 0xfebc2fff },
      ]);
      expect(livePieces(facts('6.1'), m, [{ claim, after }])).toEqual([]);
      // Nothing is revoked with iomem=relaxed: every page keeps its PTE.
      expect(livePieces(facts('6.1', { cmdline: 'iomem=relaxed' }), straddle, [{ claim, after }])).toEqual([{ start: 0xfebc1000, end: 0xfebc2fff }]);
    });

    it('a claim inside the first MiB never revokes: dia() is 1 there even for exclusive pages', () => {
      const low = step('000c0000-000dffff : PCI Bus 0000:00\n  000c0000-000c0fff : legacy-rom\n', false, [], 0x3ffe0000);
      const lowClaim: Claim = { start: 0xc0000, end: 0xc0fff, name: 'legacy-rom', kind: 'request' };
      expect(claimRevokes(facts('6.1'), low, lowClaim)).toMatchObject({ revokes: false });
    });
  });
});

describe('claimsFromIomemDiff()', () => {
  it('driver probe: the parent appears as a request', () => {
    expect(claimsFromIomemDiff(STEPS.beforeDriver.iomem, STEPS.boundUnplugged.iomem)).toEqual([
      { start: 0x100000000, end: 0x13fffffff, name: 'virtio5', kind: 'request' },
    ]);
  });

  it('plug: added memory is a request; growth of a merged line is a request of the new part only', () => {
    expect(claimsFromIomemDiff(STEPS.boundUnplugged.iomem, STEPS.unplugTo256.iomem)).toEqual([
      { start: 0x100000000, end: 0x10fffffff, name: 'System RAM (virtio_mem)', kind: 'request' },
    ]);
    expect(claimsFromIomemDiff(STEPS.unplugTo256.iomem, STEPS.plugged512.iomem)).toEqual([
      { start: 0x110000000, end: 0x11fffffff, name: 'System RAM (virtio_mem)', kind: 'request' },
    ]);
  });

  it('unplug and clean unload are releases', () => {
    expect(claimsFromIomemDiff(STEPS.plugged512.iomem, STEPS.unplugTo256.iomem)).toEqual([
      { start: 0x110000000, end: 0x11fffffff, name: 'System RAM (virtio_mem)', kind: 'release' },
    ]);
    expect(claimsFromIomemDiff(STEPS.boundUnplugged.iomem, STEPS.afterCleanUnload.iomem).map((c) => c.kind)).toEqual(['release']);
  });

  it('a plug step revokes a mapping held in the added block (hot-add goes through __request_region())', () => {
    const m: HeldMapping = { start: 0x110000000, end: 0x110000fff, private: false };
    const claims = claimsFromIomemDiff(STEPS.unplugTo256.iomem, STEPS.plugged512.iomem);
    expect(predictHeldTouch(facts('6.1'), m, claims.map((claim) => ({ claim, after: STEPS.plugged512 }))).rule).toBe('R-REVOKE');
  });

  it('an unknown new line is taken as insert_resource() and marked a guess', () => {
    const before = step('00100000-3ffdffff : System RAM\n', false, [], 0).iomem;
    const after = step('00100000-3ffdffff : System RAM\n40000000-4fffffff : Something\n', false, [], 0).iomem;
    expect(claimsFromIomemDiff(before, after)).toEqual([{ start: 0x40000000, end: 0x4fffffff, name: 'Something', kind: 'insert', guess: true }]);
  });
});
