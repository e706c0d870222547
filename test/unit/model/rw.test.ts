// drivers/char/mem.c read_mem()/write_mem() with x86 valid_phys_addr_range()
// (arch/x86/mm/mmap.c) and xlate_dev_mem_ptr() → memremap() (kernel/iomem.c):
// R-RW-RANGE, R-RW-DENY, R-RW-ZERO, R-RW-COPY.
import { describe, expect, it } from 'vitest';
import { modelContext, predictReadWrite, validPhysAddrRange, type KernelFacts, type StepState } from '../../../src/model/index.js';
import { BOOT_HIGH_MEMORY_END, facts, step, STEPS } from './q35.js';

const rw = (f: KernelFacts, s: StepState, op: 'read' | 'write', addr: number, len = 4096) => predictReadWrite(modelContext(f, s), op, addr, len);

describe('R-RW-RANGE (valid_phys_addr_range(): addr + count - 1 <= __pa(high_memory - 1))', () => {
  it('accepts a last byte just below high_memory and refuses one at it', () => {
    expect(validPhysAddrRange(BOOT_HIGH_MEMORY_END - 1, 1, BOOT_HIGH_MEMORY_END)).toBe(true);
    expect(validPhysAddrRange(BOOT_HIGH_MEMORY_END, 1, BOOT_HIGH_MEMORY_END)).toBe(false);
    expect(validPhysAddrRange(BOOT_HIGH_MEMORY_END - 4096, 4097, BOOT_HIGH_MEMORY_END)).toBe(false);
  });

  it('a 0-byte access at offset 0 wraps and fails; elsewhere below high_memory it passes', () => {
    expect(validPhysAddrRange(0, 0, BOOT_HIGH_MEMORY_END)).toBe(false);
    expect(validPhysAddrRange(0x1000, 0, BOOT_HIGH_MEMORY_END)).toBe(true);
    expect(rw(facts('6.1'), STEPS.plugged512, 'read', 0, 0)).toMatchObject({ errno: 'EFAULT', syscall: 'pread', rule: 'R-RW-RANGE' });
    expect(rw(facts('6.1'), STEPS.plugged512, 'read', 0x1000, 0)).toMatchObject({ outcome: 'data', bytes: 0, rule: 'R-RW-RANGE' });
  });

  it('is checked before any permission: the unplugged virtio-mem region above high_memory is EFAULT, not EPERM', () => {
    expect(rw(facts('6.1'), STEPS.boundUnplugged, 'read', 0x100000000)).toMatchObject({ errno: 'EFAULT', rule: 'R-RW-RANGE' });
    expect(rw(facts('6.1'), STEPS.boundUnplugged, 'write', 0x100000000)).toMatchObject({ errno: 'EFAULT', syscall: 'pwrite', rule: 'R-RW-RANGE' });
    // MMIO above boot RAM too: before any hot-add read() cannot reach it, only mmap() can ...
    expect(rw(facts('6.1'), STEPS.boundUnplugged, 'read', 0xfebc1000)).toMatchObject({ errno: 'EFAULT', rule: 'R-RW-RANGE' });
    // ... and after a plug raised high_memory past it (R-HIGHMEM-HOTADD), the permission rules decide.
    expect(rw(facts('6.1'), STEPS.plugged512, 'read', 0xfebc1000)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY' });
    expect(rw(facts('6.1'), STEPS.plugged512, 'read', 0xfec00000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY' });
  });
});

describe('per-chunk rules (6.1.192, Debian config)', () => {
  const f = facts('6.1');
  const s = STEPS.plugged512;

  it('R-RW-DENY: System RAM above 1 MiB and the plugged device region below the new high_memory → EPERM', () => {
    expect(rw(f, s, 'read', 0x100000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY', via: ['R-DIA-RAM', 'R-RW-DENY'] });
    expect(rw(f, s, 'read', 0x100000000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY' });
    expect(rw(f, s, 'write', 0x11ffff000)).toMatchObject({ errno: 'EPERM', syscall: 'pwrite', rule: 'R-RW-DENY' });
  });

  it('R-RW-ZERO: low-MiB RAM reads as zeros; a write there is counted but dropped', () => {
    expect(rw(f, s, 'read', 0x1000)).toMatchObject({ outcome: 'zeros', bytes: 4096, rule: 'R-RW-ZERO', via: ['R-DIA-RAM', 'R-RW-ZERO'] });
    expect(rw(f, s, 'write', 0x1000)).toMatchObject({ outcome: 'ok', bytes: 4096, rule: 'R-RW-ZERO' });
  });

  it('R-RW-COPY: allowed non-RAM is read through ioremap_cache (low-MiB ROM, page 0, unclaimed space below high_memory)', () => {
    expect(rw(f, s, 'read', 0xf0000)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY', via: ['R-DIA-EXCL', 'R-EXCL-BUSY', 'R-RW-COPY'] });
    expect(rw(f, s, 'read', 0x0)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY' });
    // After a clean unload the region is unclaimed and (R-HIGHMEM-HOTADD) still below high_memory.
    expect(rw(f, STEPS.afterCleanUnload, 'read', 0x100000000)).toMatchObject({ outcome: 'data', bytes: 4096, rule: 'R-RW-COPY' });
    expect(rw(f, STEPS.afterCleanUnload, 'read', 0x130000000)).toMatchObject({ errno: 'EFAULT', rule: 'R-RW-RANGE' });
  });

  it('multi-page: a denied chunk fails the whole read with EPERM, dropping what was copied', () => {
    const r = rw(f, s, 'read', 0xff000, 0x2000); // System ROM page, then System RAM at 1 MiB
    expect(r).toMatchObject({ outcome: 'errno', errno: 'EPERM', rule: 'R-RW-DENY' });
    expect(r.via).toEqual(['R-DIA-EXCL', 'R-EXCL-BUSY', 'R-RW-COPY', 'R-DIA-RAM', 'R-RW-DENY']);
    expect(r.why).toMatch(/4096 bytes already copied are dropped/);
    expect(rw(f, s, 'write', 0xff000, 0x2000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY' });
  });

  it('multi-page: zero chunks and copied chunks together are real data; all-zero chunks are zeros', () => {
    // 0x9e000 RAM (2), 0x9f000 RAM/Reserved mixed (2), 0xa0000 PCI window (1)
    expect(rw(f, s, 'read', 0x9e000, 0x3000)).toMatchObject({ outcome: 'data', bytes: 0x3000, rule: 'R-RW-COPY', via: ['R-DIA-RAM', 'R-RW-ZERO', 'R-RW-COPY'] });
    expect(rw(f, s, 'read', 0x9e000, 0x2000)).toMatchObject({ outcome: 'zeros', bytes: 0x2000, rule: 'R-RW-ZERO' });
  });

  it('an unaligned read is split at page boundaries (size_inside_page())', () => {
    // 0x9f800 + 0x1000 touches the mixed page (2) and the PCI window page (1).
    expect(rw(f, s, 'read', 0x9f800, 0x1000)).toMatchObject({ outcome: 'data', bytes: 0x1000 });
    expect(rw(f, s, 'read', 0xfff00, 0x200)).toMatchObject({ errno: 'EPERM' });
  });

  it('the whole first MiB in one read: zeros for RAM pages, copies elsewhere, real data overall', () => {
    expect(rw(f, s, 'read', 0x0, 0x100000)).toMatchObject({ outcome: 'data', bytes: 0x100000, via: ['R-DIA-EXCL', 'R-EXCL-BUSY', 'R-RW-COPY', 'R-DIA-RAM', 'R-RW-ZERO'] });
  });

  it('a 512 MiB read of the unclaimed region after a clean unload is one evaluation per resource run, not per page', () => {
    const t0 = performance.now();
    expect(rw(f, STEPS.afterCleanUnload, 'read', 0x100000000, 0x20000000)).toMatchObject({ outcome: 'data', bytes: 0x20000000 });
    expect(rw(f, STEPS.afterCleanUnload, 'read', 0x100000000, 0x20000001)).toMatchObject({ errno: 'EFAULT', rule: 'R-RW-RANGE' });
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('after an unclean unload the region stays denied', () => {
    expect(rw(f, STEPS.afterUncleanUnload, 'read', 0x100000000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY' });
  });
});

describe('STRICT_DEVMEM=n: every chunk is allowed (page_is_allowed() is 1)', () => {
  const f = facts('5.10', { config: { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } });

  it('System RAM is read through the direct map', () => {
    expect(rw(f, STEPS.plugged512, 'read', 0x100000)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY', via: ['R-RW-COPY'] });
    expect(rw(f, STEPS.plugged512, 'read', 0x1000)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY' });
  });

  it('plugged virtio-mem memory is readable: exactly what S1 exists to catch', () => {
    expect(rw(f, STEPS.plugged512, 'read', 0x100000000)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY' });
  });

  it('R-RW-COPY EFAULT: memremap() refuses a mixed RAM/Reserved page', () => {
    expect(rw(f, STEPS.plugged512, 'read', 0x9f000)).toMatchObject({ errno: 'EFAULT', rule: 'R-RW-COPY' });
  });

  it('a write that fails its mapping after earlier chunks returns the bytes written so far', () => {
    expect(rw(f, STEPS.plugged512, 'write', 0x9e000, 0x2000)).toMatchObject({ outcome: 'ok', bytes: 0x1000, rule: 'R-RW-COPY' });
    expect(rw(f, STEPS.plugged512, 'write', 0x9f000, 0x1000)).toMatchObject({ errno: 'EFAULT', syscall: 'pwrite' });
  });
});

describe('R-RW-COPY: ioremap_cache() refuses busy RAM region_intersects() did not see', () => {
  // Nested RAM under a non-RAM parent with STRICT_DEVMEM=n.
  const nested = step('00100000-3ffdffff : System RAM\n140000000-17fffffff : Soft Reserved\n  140000000-15fffffff : System RAM (kmem)\n', false, [], 0x180000000);
  const cfg = { config: { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } };

  it('6.1.106: region_intersects() says disjoint, walk_mem_res() descends and finds the RAM → EFAULT', () => {
    expect(rw(facts('6.1-old', cfg), nested, 'read', 0x140000000)).toMatchObject({ errno: 'EFAULT', rule: 'R-RW-COPY' });
  });

  it('6.1.192: region_intersects() sees it, so the direct map is used → data', () => {
    expect(rw(facts('6.1', cfg), nested, 'read', 0x140000000)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY' });
  });

  it('a kernel whose walk_mem_res() stays at the top level maps it with ioremap → data', () => {
    const f = facts('5.10', cfg);
    f.measured = { walkMemResDescends: { enabled: false, evidence: 'test' } };
    expect(rw(f, nested, 'read', 0x140000000)).toMatchObject({ outcome: 'data', rule: 'R-RW-COPY' });
  });
});
