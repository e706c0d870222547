// read()/write() of /dev/mem on arm64: arch/arm64/mm/mmap.c
// valid_phys_addr_range() = memblock_is_region_memory(addr, size) &&
// memblock_is_map_memory(addr) (mm/memblock.c), then drivers/char/mem.c
// page_is_allowed() per chunk, then xlate_dev_mem_ptr() = __va()
// (include/asm-generic/io.h). memblock is predicted from iomem
// (arm64/memblock.ts): R-A64-RW-MEMBLOCK, R-RW-DENY, R-A64-RW-COPY.
import { describe, expect, it } from 'vitest';
import { annotateIomem, memblockRegions, modelContext, predictReadWrite, resolveFeatures, type KernelFacts, type StepState } from '../../../src/model/index.js';
import { parseIomem } from '../../../src/guest/iomem.js';
import { arm64Facts, virtStep, VIRT_IOMEM, VIRT_STEPS } from './virt.js';

const rw = (f: KernelFacts, s: StepState, op: 'read' | 'write', addr: number, len = 4096) => predictReadWrite(modelContext(f, s), op, addr, len);
const regions = (text: string) => memblockRegions(annotateIomem(parseIomem(text), resolveFeatures(arm64Facts()), 'arm64'));

describe('memblock.memory from /proc/iomem', () => {
  it('boot: one region per top-level "System RAM" (request_standard_resources() walks for_each_mem_region())', () => {
    expect(regions(VIRT_IOMEM.beforeDriver)).toEqual([{ start: 0x40000000, end: 0x7fffffff, flags: 'none' }]);
    // The driver's parent adds nothing: virtio_mem_create_resource() is a resource request, not add_memory().
    expect(regions(VIRT_IOMEM.boundUnplugged)).toEqual([{ start: 0x40000000, end: 0x7fffffff, flags: 'none' }]);
  });

  it('hot-added blocks are MEMBLOCK_DRIVER_MANAGED (add_memory_resource() under ARCH_KEEP_MEMBLOCK) and never merge with boot RAM they touch (memblock_merge_regions(): same flags only)', () => {
    expect(regions(VIRT_IOMEM.plugged512)).toEqual([
      { start: 0x40000000, end: 0x7fffffff, flags: 'none' },
      { start: 0x80000000, end: 0x9fffffff, flags: 'driver-managed' },
    ]);
    // The whole added block, PageOffline subblocks included: virtio-mem adds 128 MiB at a time.
    expect(regions(VIRT_IOMEM.partial130)[1]).toEqual({ start: 0x80000000, end: 0x8fffffff, flags: 'driver-managed' });
  });

  it('adjacent driver-managed ranges join even across two devices\' resources (one node, same flags); a gap keeps them apart', () => {
    const apart = '40000000-7fffffff : System RAM\n80000000-bfffffff : virtio0\n  80000000-87ffffff : System RAM (virtio_mem)\nc0000000-ffffffff : virtio1\n  c0000000-c7ffffff : System RAM (virtio_mem)\n';
    expect(regions(apart).slice(1)).toEqual([
      { start: 0x80000000, end: 0x87ffffff, flags: 'driver-managed' },
      { start: 0xc0000000, end: 0xc7ffffff, flags: 'driver-managed' },
    ]);
    const touching = '40000000-7fffffff : System RAM\n80000000-bfffffff : virtio0\n  80000000-bfffffff : System RAM (virtio_mem)\nc0000000-ffffffff : virtio1\n  c0000000-c7ffffff : System RAM (virtio_mem)\n';
    expect(regions(touching).slice(1)).toEqual([{ start: 0x80000000, end: 0xc7ffffff, flags: 'driver-managed' }]);
  });

  it('a top-level "reserved" is a NOMAP region; two separate "System RAM" lines stay two regions', () => {
    expect(regions('40000000-4fffffff : System RAM\n50000000-50ffffff : reserved\n51000000-7fffffff : System RAM\n')).toEqual([
      { start: 0x40000000, end: 0x4fffffff, flags: 'none' },
      { start: 0x50000000, end: 0x50ffffff, flags: 'nomap' },
      { start: 0x51000000, end: 0x7fffffff, flags: 'none' },
    ]);
  });
});

describe('R-A64-RW-MEMBLOCK: valid_phys_addr_range() before any permission', () => {
  const f = arm64Facts();

  it('a 0-byte read at 0 is EFAULT (0 is flash, in no region); a 0-byte read inside boot RAM passes and copies nothing', () => {
    expect(rw(f, VIRT_STEPS.beforeDriver, 'read', 0, 0)).toMatchObject({ errno: 'EFAULT', syscall: 'pread', rule: 'R-A64-RW-MEMBLOCK' });
    expect(rw(f, VIRT_STEPS.beforeDriver, 'read', 0x40000000, 0)).toMatchObject({ outcome: 'data', bytes: 0, rule: 'R-A64-RW-MEMBLOCK' });
    expect(rw(f, VIRT_STEPS.beforeDriver, 'write', 0x7ffff000, 0)).toMatchObject({ outcome: 'ok', bytes: 0 });
  });

  it('a read crossing 0x7fffffff/0x80000000 is EFAULT even with the block above added: two regions (memblock_is_region_memory())', () => {
    expect(rw(f, VIRT_STEPS.plugged512, 'read', 0x7ffff800)).toMatchObject({ errno: 'EFAULT', rule: 'R-A64-RW-MEMBLOCK' });
    expect(rw(f, VIRT_STEPS.plugged512, 'write', 0x7ffff000, 0x2000)).toMatchObject({ errno: 'EFAULT', syscall: 'pwrite', rule: 'R-A64-RW-MEMBLOCK' });
    // The last page below the boundary is one region: the range passes, the page is denied.
    expect(rw(f, VIRT_STEPS.plugged512, 'read', 0x7ffff000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY' });
  });

  it('a read across two merged added blocks passes the range check (one region) and is denied', () => {
    expect(rw(f, VIRT_STEPS.plugged512, 'read', 0x87fff800)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY' });
  });

  it('MMIO, the GIC, the flash, an unadded device region and a NOMAP region are EFAULT', () => {
    for (const a of [0x0, 0x8000000, 0x9000000, 0x10000000, 0x8000000000]) {
      expect(rw(f, VIRT_STEPS.plugged512, 'read', a), a.toString(16)).toMatchObject({ errno: 'EFAULT', rule: 'R-A64-RW-MEMBLOCK' });
    }
    expect(rw(f, VIRT_STEPS.boundUnplugged, 'read', 0x80000000)).toMatchObject({ errno: 'EFAULT', rule: 'R-A64-RW-MEMBLOCK' });
    expect(rw(f, VIRT_STEPS.partial130, 'read', 0x90000000)).toMatchObject({ errno: 'EFAULT', rule: 'R-A64-RW-MEMBLOCK' });
    const nomap = virtStep('40000000-4fffffff : System RAM\n50000000-50ffffff : reserved\n', false, []);
    expect(rw(f, nomap, 'read', 0x50000000)).toMatchObject({ errno: 'EFAULT', rule: 'R-A64-RW-MEMBLOCK' });
    expect(rw(f, nomap, 'read', 0x4ffff000, 0x2000)).toMatchObject({ errno: 'EFAULT' });
  });

  it('never reads high_memory (NaN on arm64)', () => {
    expect(Number.isNaN(VIRT_STEPS.plugged512.highMemoryEnd)).toBe(true);
    expect(rw(f, VIRT_STEPS.plugged512, 'read', 0x9ffff000).errno).toBe('EPERM');
  });
});

describe('per chunk: page_is_allowed() (STRICT_DEVMEM), then __va()', () => {
  const f = arm64Facts();

  it('every memblock page is System RAM: boot RAM, plugged memory and a PageOffline subblock of an added block are EPERM', () => {
    expect(rw(f, VIRT_STEPS.beforeDriver, 'read', 0x40000000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY', via: ['R-A64-RW-MEMBLOCK', 'R-A64-DIA-EXCL', 'R-EXCL-BUSY', 'R-RW-DENY'] });
    expect(rw(f, VIRT_STEPS.plugged512, 'read', 0x80000000)).toMatchObject({ errno: 'EPERM', via: ['R-A64-RW-MEMBLOCK', 'R-A64-DIA-EXCL', 'R-EXCL-SYSRAM', 'R-RW-DENY'] });
    expect(rw(f, VIRT_STEPS.partial130, 'read', 0x88200000)).toMatchObject({ errno: 'EPERM', rule: 'R-RW-DENY' });
    expect(rw(f, VIRT_STEPS.partial130, 'write', 0x88200000)).toMatchObject({ errno: 'EPERM', syscall: 'pwrite' });
  });

  it('iomem=relaxed changes the rule, not the outcome: page_is_ram() denies RAM', () => {
    const relaxed = arm64Facts({ cmdline: 'iomem=relaxed' });
    expect(rw(relaxed, VIRT_STEPS.beforeDriver, 'read', 0x50000000)).toMatchObject({ errno: 'EPERM', via: ['R-A64-RW-MEMBLOCK', 'R-A64-DIA-RAM', 'R-RW-DENY'] });
    // The PageOffline subblock: virtio0 is SYSTEM_RAM|EXCLUSIVE whatever iomem= says.
    expect(rw(relaxed, VIRT_STEPS.partial130, 'read', 0x88200000)).toMatchObject({ errno: 'EPERM', via: ['R-A64-RW-MEMBLOCK', 'R-A64-DIA-EXCL', 'R-EXCL-SYSRAM', 'R-RW-DENY'] });
  });

  it('STRICT_DEVMEM=n: page_is_allowed() is 1, so memblock pages are copied from the linear map (R-A64-RW-COPY); the rest is still EFAULT', () => {
    const open = arm64Facts({ config: { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } });
    expect(rw(open, VIRT_STEPS.plugged512, 'read', 0x40000000)).toMatchObject({ outcome: 'data', bytes: 4096, rule: 'R-A64-RW-COPY', via: ['R-A64-RW-MEMBLOCK', 'R-A64-RW-COPY'] });
    expect(rw(open, VIRT_STEPS.partial130, 'read', 0x88200000, 0x2000)).toMatchObject({ outcome: 'data', bytes: 0x2000 });
    expect(rw(open, VIRT_STEPS.plugged512, 'write', 0x80000000)).toMatchObject({ outcome: 'ok', bytes: 4096, rule: 'R-A64-RW-COPY' });
    expect(rw(open, VIRT_STEPS.plugged512, 'read', 0x8000000)).toMatchObject({ errno: 'EFAULT', rule: 'R-A64-RW-MEMBLOCK' });
  });

  it('R-RW-ZERO never applies: no chunk reads zeros anywhere in the fixture', () => {
    for (const s of Object.values(VIRT_STEPS)) {
      for (const a of [0x0, 0x1000, 0x40000000, 0x80000000, 0x88200000]) expect(rw(f, s, 'read', a).rule).not.toBe('R-RW-ZERO');
    }
  });
});
