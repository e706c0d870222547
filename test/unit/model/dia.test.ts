// arch/x86/mm/init.c devmem_is_allowed() and kernel/resource.c
// iomem_is_exclusive()/resource_is_exclusive(): R-DIA-RAM, R-DIA-EXCL,
// R-EXCL-SYSRAM, R-EXCL-BUSY.
import { describe, expect, it } from 'vitest';
import { devmemIsAllowed, iomemIsExclusive, modelContext, type KernelFacts, type StepState } from '../../../src/model/index.js';
import { facts, step, STEPS } from './q35.js';

const dia = (f: KernelFacts, s: StepState, addr: number) => devmemIsAllowed(modelContext(f, s), addr / 4096);
const excl = (f: KernelFacts, s: StepState, addr: number) => iomemIsExclusive(modelContext(f, s), addr);

describe('devmem_is_allowed() on the q35 tree (6.1.192, Debian config)', () => {
  const f = facts('6.1');
  const s = STEPS.plugged512;

  it('R-DIA-RAM: low-MiB System RAM → 2 (zeros), System RAM above 1 MiB → 0', () => {
    expect(dia(f, s, 0x1000)).toMatchObject({ value: 2, rule: 'R-DIA-RAM' });
    expect(dia(f, s, 0x9f000)).toMatchObject({ value: 2, rule: 'R-DIA-RAM' }); // mixed still counts
    expect(dia(f, s, 0x100000)).toMatchObject({ value: 0, rule: 'R-DIA-RAM' });
    expect(dia(f, s, 0xb000000)).toMatchObject({ value: 0, rule: 'R-DIA-RAM' }); // Kernel code
  });

  it('R-DIA-RAM decides before R-DIA-EXCL: busy low-MiB RAM still gets zeros, not 1', () => {
    // System RAM is busy and IO_STRICT_DEVMEM=y makes it exclusive too, but the RAM test comes first.
    expect(excl(f, s, 0x1000).exclusive).toBe(true);
    expect(dia(f, s, 0x1000).value).toBe(2);
  });

  it('R-DIA-EXCL: busy non-RAM below 1 MiB → 1 (bypass), above → 0', () => {
    expect(dia(f, s, 0x0)).toMatchObject({ value: 1, rule: 'R-DIA-EXCL' }); // Reserved, busy
    expect(dia(f, s, 0xf0000)).toMatchObject({ value: 1, rule: 'R-DIA-EXCL' }); // System ROM
    expect(dia(f, s, 0xfec00000)).toMatchObject({ value: 0, rule: 'R-DIA-EXCL', via: ['R-DIA-EXCL', 'R-EXCL-BUSY'] });
    expect(dia(f, s, 0xfebf8000)).toMatchObject({ value: 0, rule: 'R-DIA-EXCL' }); // virtio-pci-modern claim
  });

  it('otherwise 1: idle MMIO, unclaimed BARs, holes, Reserved above 1 MiB', () => {
    for (const a of [0xa0000, 0xfebc1000, 0xfed1c000, 0x3ffe0000, 0x200000000, 0xfe000000]) {
      const d = dia(f, s, a);
      expect(d.value, a.toString(16)).toBe(1);
      expect(d.rule, a.toString(16)).toBeUndefined();
    }
  });

  it('the whole virtio-mem region is denied from probe on, plugged or not (R-DIA-RAM on "virtioN")', () => {
    expect(dia(f, STEPS.boundUnplugged, 0x100000000)).toMatchObject({ value: 0, rule: 'R-DIA-RAM' });
    expect(dia(f, STEPS.plugged512, 0x130000000)).toMatchObject({ value: 0, rule: 'R-DIA-RAM' });
    expect(dia(facts('5.10'), STEPS.boundUnplugged, 0x13ffff000)).toMatchObject({ value: 0, rule: 'R-DIA-RAM' });
  });

  it('before the driver and after a clean unload the region is allowed; after an unclean one it is not', () => {
    expect(dia(f, STEPS.beforeDriver, 0x100000000).value).toBe(1);
    expect(dia(f, STEPS.afterCleanUnload, 0x100000000).value).toBe(1);
    expect(dia(f, STEPS.afterUncleanUnload, 0x130000000).value).toBe(0);
  });
});

describe('iomem_is_exclusive()', () => {
  it('R-EXCL-BUSY needs IO_STRICT_DEVMEM (or EXCLUSIVE) on a busy resource', () => {
    const s = STEPS.plugged512;
    expect(excl(facts('6.1'), s, 0xfec00000)).toMatchObject({ exclusive: true, rule: 'R-EXCL-BUSY' });
    expect(excl(facts('6.1', { config: { IO_STRICT_DEVMEM: false } }), s, 0xfec00000).exclusive).toBe(false);
    expect(dia(facts('6.1', { config: { IO_STRICT_DEVMEM: false } }), s, 0xfec00000).value).toBe(1);
  });

  it('R-EXCL-BUSY needs strict_iomem_checks: iomem=relaxed turns it off, a later iomem=strict back on', () => {
    const s = STEPS.plugged512;
    expect(excl(facts('6.1', { cmdline: 'iomem=relaxed' }), s, 0xfec00000).exclusive).toBe(false);
    expect(excl(facts('6.1', { cmdline: 'iomem=relaxed iomem=strict' }), s, 0xfec00000).exclusive).toBe(true);
  });

  it('R-EXCL-SYSRAM (5.16+): the SYSTEM_RAM|EXCLUSIVE virtio-mem parent is exclusive even with iomem=relaxed', () => {
    const s = STEPS.boundUnplugged;
    expect(excl(facts('6.1', { cmdline: 'iomem=relaxed' }), s, 0x120000000)).toMatchObject({ exclusive: true, rule: 'R-EXCL-SYSRAM' });
    expect(excl(facts('6.12', { cmdline: 'iomem=relaxed' }), s, 0x120000000)).toMatchObject({ exclusive: true, rule: 'R-EXCL-SYSRAM' });
    // ... and with STRICT_DEVMEM=n, where strict_iomem_checks starts at 0.
    expect(excl(facts('6.1', { config: { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } }), s, 0x120000000).exclusive).toBe(true);
  });

  it('before 5.16: not strict → never exclusive; the 5.10 parent is neither busy nor EXCLUSIVE', () => {
    const s = STEPS.boundUnplugged;
    expect(excl(facts('5.10', { cmdline: 'iomem=relaxed' }), s, 0x120000000).exclusive).toBe(false);
    expect(excl(facts('5.10', { cmdline: 'iomem=relaxed' }), s, 0xfec00000).exclusive).toBe(false);
    expect(excl(facts('5.10'), s, 0x120000000).exclusive).toBe(false);
    expect(excl(facts('5.10'), s, 0xfec00000)).toMatchObject({ exclusive: true, rule: 'R-EXCL-BUSY' });
  });

  it('a plugged child is busy but not EXCLUSIVE: without IO_STRICT_DEVMEM only the 5.16+ parent makes it exclusive', () => {
    const f = facts('6.1', { config: { IO_STRICT_DEVMEM: false } });
    // The busy child has no EXCLUSIVE flag, but the walk meets the parent first: R-EXCL-SYSRAM.
    expect(excl(f, STEPS.plugged512, 0x100000000)).toMatchObject({ exclusive: true, rule: 'R-EXCL-SYSRAM' });
    expect(excl(facts('5.10', { config: { IO_STRICT_DEVMEM: false } }), STEPS.plugged512, 0x100000000).exclusive).toBe(false);
  });

  it('looks at any depth: a busy driver claim nested two levels down counts', () => {
    const s = step('c0000000-febfffff : PCI Bus 0000:00\n  febf8000-febfbfff : 0000:00:01.0\n    febf9000-febf9fff : virtio-pci-modern\n', false, [], 0x3ffe0000);
    expect(excl(facts('6.1'), s, 0xfebf9000).exclusive).toBe(true);
    expect(excl(facts('6.1'), s, 0xfebf8000).exclusive).toBe(false);
  });
});

describe('devmem_is_allowed() with nested RAM (region_intersects() descendants)', () => {
  const nested = step('00100000-3ffdffff : System RAM\n140000000-17fffffff : Soft Reserved\n  140000000-15fffffff : System RAM (kmem)\n', false, [], 0x180000000);

  it('6.1.192/6.12 see the nested RAM: R-DIA-RAM', () => {
    expect(dia(facts('6.1'), nested, 0x140000000)).toMatchObject({ value: 0, rule: 'R-DIA-RAM' });
    expect(dia(facts('6.12'), nested, 0x140000000)).toMatchObject({ value: 0, rule: 'R-DIA-RAM' });
  });

  it('5.10.223 and 6.1.106 miss it; the busy child still makes it exclusive with IO_STRICT_DEVMEM', () => {
    expect(dia(facts('5.10'), nested, 0x140000000)).toMatchObject({ value: 0, rule: 'R-DIA-EXCL' });
    expect(dia(facts('6.1-old'), nested, 0x140000000)).toMatchObject({ value: 0, rule: 'R-DIA-EXCL' });
  });

  it('... and allow it outright without IO_STRICT_DEVMEM', () => {
    const cfg = { config: { IO_STRICT_DEVMEM: false } };
    expect(dia(facts('5.10', cfg), nested, 0x140000000).value).toBe(1);
    expect(dia(facts('6.1', cfg), nested, 0x140000000).value).toBe(0);
  });
});
