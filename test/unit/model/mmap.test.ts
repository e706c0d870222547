// drivers/char/mem.c mmap_mem(), arch/x86/mm/mmap.c valid_mmap_phys_addr_range(),
// arch/x86/mm/pat/memtype.c phys_mem_access_prot_allowed()/reserve_pfn_range():
// R-MMAP-PHYSBITS, R-MMAP-DENY, R-MMAP-PAT-NOSTRICT, R-MMAP-PAT (+ R-MMAP-ARGS, R-MMAP-OK).
import { describe, expect, it } from 'vitest';
import { DEFAULT_MMAP, modelContext, predictMmap, type KernelFacts, type MemtypeEntry, type StepState } from '../../../src/model/index.js';
import { facts, MiB, step, STEPS } from './q35.js';

const mm = (f: KernelFacts, s: StepState, addr: number, len = 4096, oSync = false) => predictMmap(modelContext(f, s), addr, len, { ...DEFAULT_MMAP, oSync });

describe('mmap() argument checks before /dev/mem', () => {
  it('R-MMAP-ARGS: unaligned offset (sys_mmap()) and zero length (do_mmap()) → EINVAL', () => {
    expect(mm(facts('6.1'), STEPS.plugged512, 0x1800)).toMatchObject({ errno: 'EINVAL', syscall: 'mmap', rule: 'R-MMAP-ARGS' });
    expect(mm(facts('6.1'), STEPS.plugged512, 0x1000, 0)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-ARGS' });
  });
});

describe('R-MMAP-PHYSBITS (phys_addr_valid(addr + size - 1))', () => {
  it('the last byte of the page-rounded mapping must fit in physBits', () => {
    const f = facts('6.1', { physBits: 40 });
    expect(mm(f, STEPS.plugged512, 2 ** 40 - 4096)).toMatchObject({ outcome: 'ok' });
    expect(mm(f, STEPS.plugged512, 2 ** 40)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-PHYSBITS' });
    // len 1 still maps a whole page; two pages across the line fail.
    expect(mm(f, STEPS.plugged512, 2 ** 40 - 4096, 4097)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-PHYSBITS' });
  });

  it('comes before the permission check, and there is no high_memory test for mmap', () => {
    expect(mm(facts('6.1', { physBits: 32 }), STEPS.plugged512, 0x100000000)).toMatchObject({ rule: 'R-MMAP-PHYSBITS' });
    expect(mm(facts('6.1'), STEPS.beforeDriver, 0x130000000)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
  });
});

describe('R-MMAP-DENY (STRICT_DEVMEM: range_is_allowed() over every page)', () => {
  const f = facts('6.1');
  const s = STEPS.plugged512;

  it('System RAM above 1 MiB, busy MMIO with IO_STRICT_DEVMEM → EPERM', () => {
    expect(mm(f, s, 0x100000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY', via: ['R-DIA-RAM', 'R-MMAP-DENY'] });
    expect(mm(f, s, 0xfec00000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY', via: ['R-DIA-EXCL', 'R-EXCL-BUSY', 'R-MMAP-DENY'] });
  });

  it('dia = 2 counts as allowed: low-MiB RAM maps; the whole first MiB maps in one go', () => {
    expect(mm(f, s, 0x1000)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    expect(mm(f, s, 0x0, MiB)).toMatchObject({ outcome: 'ok' });
    expect(mm(f, s, 0x0, MiB + 4096)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
  });

  it('one denied page anywhere in a long mapping denies it all', () => {
    // 0xfebc0000..0xfec00fff: BARs, then IOAPIC in the last page.
    expect(mm(f, s, 0xfebc0000, 0x41000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
    expect(mm(f, s, 0xfebc0000, 0x40000)).toMatchObject({ errno: 'EPERM' }); // the virtio-pci-modern claims
    expect(mm(f, s, 0xfebc1000, 0x1000)).toMatchObject({ outcome: 'ok' }); // unclaimed 0000:00:1f.2 BAR
  });

  it('the whole device region is denied from probe on, plugged or not; allowed before and after a clean unload', () => {
    expect(mm(f, STEPS.boundUnplugged, 0x100000000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
    expect(mm(f, STEPS.plugged512, 0x13ffff000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
    expect(mm(f, STEPS.beforeDriver, 0x100000000, 1024 * MiB)).toMatchObject({ outcome: 'ok' });
    expect(mm(f, STEPS.afterCleanUnload, 0x100000000, 1024 * MiB)).toMatchObject({ outcome: 'ok' });
    expect(mm(f, STEPS.afterUncleanUnload, 0x130000000)).toMatchObject({ errno: 'EPERM' });
  });

  it('a mapping starting before the region and ending in it is denied', () => {
    expect(mm(f, STEPS.boundUnplugged, 0xfffff000, 0x2000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
  });
});

describe('STRICT_DEVMEM=n', () => {
  const cfg = { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false };

  it('R-MMAP-PAT-NOSTRICT: PAT on and a dia = 0 page → EINVAL (cache aliasing), not EPERM', () => {
    expect(mm(facts('5.10', { config: cfg }), STEPS.plugged512, 0x100000)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-PAT-NOSTRICT', via: ['R-DIA-RAM', 'R-MMAP-PAT-NOSTRICT'] });
    expect(mm(facts('5.10', { config: cfg }), STEPS.plugged512, 0x100000000)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-PAT-NOSTRICT' });
  });

  it('6.16+: PAT shares range_is_allowed() with mmap_mem(), which allows everything without STRICT_DEVMEM: RAM maps', () => {
    // include/linux/io.h in Debian's 7.2.13: the !CONFIG_STRICT_DEVMEM range_is_allowed() returns 1, and
    // phys_mem_access_prot_allowed() calls it ("x86/devmem: Remove duplicate range_is_allowed() definition").
    expect(mm(facts('7.2', { config: cfg }), STEPS.plugged512, 0x100000)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    expect(mm(facts('7.2', { config: cfg }), STEPS.plugged512, 0x100000000)).toMatchObject({ outcome: 'ok' });
    // 6.12 still has memtype.c's own copy.
    expect(mm(facts('6.12', { config: cfg }), STEPS.plugged512, 0x100000)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-PAT-NOSTRICT' });
  });

  it('without PAT (X86_PAT=n or nopat) nothing is checked: RAM maps', () => {
    expect(mm(facts('5.10', { config: { ...cfg, X86_PAT: false } }), STEPS.plugged512, 0x100000)).toMatchObject({ outcome: 'ok' });
    expect(mm(facts('5.10', { config: cfg, cmdline: 'nopat' }), STEPS.plugged512, 0x100000)).toMatchObject({ outcome: 'ok' });
  });

  it('busy MMIO is allowed (iomem_is_exclusive() is not strict), so it maps', () => {
    expect(mm(facts('5.10', { config: cfg }), STEPS.plugged512, 0xfec00000)).toMatchObject({ outcome: 'ok' });
  });

  it('5.16+: the EXCLUSIVE virtio-mem parent is still refused through the PAT path', () => {
    // devmem_is_allowed() hits R-DIA-RAM first anyway; the outcome is EINVAL, not EPERM.
    expect(mm(facts('6.1', { config: cfg }), STEPS.boundUnplugged, 0x100000000)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-PAT-NOSTRICT' });
  });
});

describe('R-MMAP-PAT (reserve_pfn_range() → memtype_reserve(); mmap_mem() returns EAGAIN)', () => {
  const withTypes = (memtypes: MemtypeEntry[]) => ({ ...STEPS.plugged512, memtypes });
  const f = facts('6.1');
  const bar = 0xfebc1000;

  it('no memtype list: no conflict assumed', () => {
    expect(mm(f, STEPS.plugged512, bar, 4096, true)).toMatchObject({ outcome: 'ok' });
  });

  it('an O_SYNC (UC-) request over an existing write-back reservation is refused (is_new_memtype_allowed())', () => {
    const s = withTypes([{ start: bar, end: bar + 0x1000, type: 'write-back' }]);
    expect(mm(f, s, bar, 4096, true)).toMatchObject({ errno: 'EAGAIN', rule: 'R-MMAP-PAT' });
    expect(mm(f, s, bar, 4096, false)).toMatchObject({ outcome: 'ok' });
  });

  it('a write-back request takes an existing UC- or WC type (allowed)', () => {
    expect(mm(f, withTypes([{ start: bar, end: bar + 0x1000, type: 'uncached-minus' }]), bar)).toMatchObject({ outcome: 'ok' });
    expect(mm(f, withTypes([{ start: bar, end: bar + 0x1000, type: 'write-combining' }]), bar)).toMatchObject({ outcome: 'ok' });
  });

  it('overlapping reservations that disagree among themselves fail any request (memtype_check_conflict())', () => {
    const s = withTypes([
      { start: bar, end: bar + 0x800, type: 'write-combining' },
      { start: bar + 0x800, end: bar + 0x1000, type: 'uncached-minus' },
    ]);
    expect(mm(f, s, bar)).toMatchObject({ errno: 'EAGAIN', rule: 'R-MMAP-PAT' });
  });

  it('the ISA hole is untracked and RAM ranges never fail, whatever the reservations say', () => {
    const isa = withTypes([
      { start: 0xc0000, end: 0xc0800, type: 'write-combining' },
      { start: 0xc0800, end: 0xc1000, type: 'uncached-minus' },
    ]);
    expect(mm(f, isa, 0xc0000)).toMatchObject({ outcome: 'ok' });
    const nostrict = facts('6.1', { config: { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false }, cmdline: 'nopat' });
    const ram = withTypes([{ start: 0x200000, end: 0x201000, type: 'write-back' }]);
    // nopat: no PAT checks at all; with PAT, RAM would have been refused earlier (R-MMAP-PAT-NOSTRICT).
    expect(mm(nostrict, ram, 0x200000, 4096, true)).toMatchObject({ outcome: 'ok' });
  });

  it('RAM ranges take the RAM path of reserve_pfn_range(), which never fails', () => {
    // Only reachable where devmem_is_allowed() lets RAM through: nested RAM a 5.10
    // region_intersects() misses, with IO_STRICT_DEVMEM=n so it is not exclusive either.
    const nested = step('00100000-3ffdffff : System RAM\n140000000-17fffffff : Soft Reserved\n  140000000-15fffffff : System RAM (kmem)\n', false, [], 0x180000000, {
      memtypes: [{ start: 0x140000000, end: 0x140001000, type: 'write-back' }],
    });
    const f510 = facts('5.10', { config: { IO_STRICT_DEVMEM: false } });
    expect(mm(f510, nested, 0x140000000, 4096, true)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    // The same request on the idle part of Soft Reserved is not RAM and conflicts.
    const idle = { ...nested, memtypes: [{ start: 0x160000000, end: 0x160001000, type: 'write-back' as const }] };
    expect(mm(f510, idle, 0x160000000, 4096, true)).toMatchObject({ errno: 'EAGAIN', rule: 'R-MMAP-PAT' });
  });

  it('PAT off: no reservations are consulted', () => {
    const s = withTypes([{ start: bar, end: bar + 0x1000, type: 'write-back' }]);
    expect(mm(facts('6.1', { config: { X86_PAT: false } }), s, bar, 4096, true)).toMatchObject({ outcome: 'ok' });
  });
});
