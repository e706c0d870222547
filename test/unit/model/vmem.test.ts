// drivers/virtio/virtio_mem.c (virtio_mem_create_resource(), virtio_mem_add_memory(),
// virtio_mem_deinit_hotplug()) and arch/x86/mm/init_64.c update_end_of_memory_vars():
// R-VMEM-PARENT, R-VMEM-CHILD, R-VMEM-UNLOAD-CLEAN, R-VMEM-UNLOAD-BUSY, R-HIGHMEM-HOTADD.
import { describe, expect, it } from 'vitest';
import {
  addedBlocks,
  checkHighMemory,
  checkVirtioMemKconfig,
  checkVirtioMemShape,
  expectedHighMemoryEnd,
  pageOfflineRanges,
  predictReload,
  predictUnload,
} from '../../../src/model/index.js';
import { BLOCK, BOOT_HIGH_MEMORY_END, facts, IOMEM, MiB, REGION, step, STEPS } from './q35.js';

const r = (start: number, bytes: number) => ({ start, end: start + bytes - 1 });

describe('added memory blocks and PageOffline subblocks', () => {
  it('512 MiB plugged = four whole 128 MiB blocks, merged into one range', () => {
    expect(addedBlocks([r(REGION.start, 512 * MiB)], BLOCK)).toEqual([r(0x100000000, 512 * MiB)]);
  });

  it('500 MiB leaves the fourth block partly plugged: 12 MiB of PageOffline subblocks', () => {
    const plugged = [r(REGION.start, 500 * MiB)];
    expect(addedBlocks(plugged, BLOCK)).toEqual([r(0x100000000, 512 * MiB)]);
    expect(pageOfflineRanges(plugged, BLOCK)).toEqual([r(0x100000000 + 500 * MiB, 12 * MiB)]);
  });

  it('separate plugged ranges give separate lines unless their blocks touch', () => {
    const blocks = addedBlocks([r(0x100000000, 2 * MiB), r(0x100000000 + 256 * MiB, 2 * MiB), r(0x100000000 + 130 * MiB, 2 * MiB)], BLOCK);
    expect(blocks).toEqual([r(0x100000000, 384 * MiB)]);
    expect(addedBlocks([r(0x100000000, 2 * MiB), r(0x100000000 + 256 * MiB, 2 * MiB)], BLOCK)).toEqual([r(0x100000000, 128 * MiB), r(0x100000000 + 256 * MiB, 128 * MiB)]);
  });
});

describe('checkVirtioMemShape() over the q35 lifecycle', () => {
  const f = facts('6.1');
  const ok = (s: Parameters<typeof checkVirtioMemShape>[1]) => checkVirtioMemShape(f, s).map((x) => [x.rule, x.ok]);

  it('bound: parent covers the region exactly (R-VMEM-PARENT), children are the added blocks (R-VMEM-CHILD)', () => {
    expect(ok(STEPS.boundUnplugged)).toEqual([
      ['R-VMEM-PARENT', true],
      ['R-VMEM-CHILD', true],
    ]);
    expect(ok(STEPS.plugged512)).toEqual([
      ['R-VMEM-PARENT', true],
      ['R-VMEM-CHILD', true],
    ]);
    expect(ok(STEPS.partial500)).toEqual([
      ['R-VMEM-PARENT', true],
      ['R-VMEM-CHILD', true],
    ]);
    expect(ok(STEPS.unplugTo256)).toEqual([
      ['R-VMEM-PARENT', true],
      ['R-VMEM-CHILD', true],
    ]);
  });

  it('flags a child line that does not match the plugged size', () => {
    const wrong = step(IOMEM.plugged512, true, [r(REGION.start, 256 * MiB)], 0x120000000);
    expect(ok(wrong)).toEqual([
      ['R-VMEM-PARENT', true],
      ['R-VMEM-CHILD', false],
    ]);
  });

  it('flags a bound driver without a parent, and a parent of the wrong size', () => {
    expect(ok(step(IOMEM.beforeDriver, true, [], BOOT_HIGH_MEMORY_END))[0]).toEqual(['R-VMEM-PARENT', false]);
    const short = step(IOMEM.boundUnplugged.replace('100000000-13fffffff : virtio5', '100000000-11fffffff : virtio5'), true, [], BOOT_HIGH_MEMORY_END);
    expect(ok(short)[0]).toEqual(['R-VMEM-PARENT', false]);
  });

  it('unbound: clean unload leaves no parent, unclean keeps it with its children', () => {
    expect(ok(STEPS.beforeDriver)).toEqual([['R-VMEM-UNLOAD-CLEAN', true]]);
    expect(ok(STEPS.afterCleanUnload)).toEqual([['R-VMEM-UNLOAD-CLEAN', true]]);
    expect(ok(STEPS.afterUncleanUnload)).toEqual([['R-VMEM-UNLOAD-BUSY', true]]);
    // A parent left behind with nothing added is not what virtio_mem_deinit_hotplug() does.
    expect(ok(step(IOMEM.boundUnplugged, false, [], BOOT_HIGH_MEMORY_END))).toEqual([['R-VMEM-UNLOAD-CLEAN', false]]);
  });
});

describe('driver unload and reload', () => {
  const f = facts('6.1');

  it('R-VMEM-UNLOAD-CLEAN: nothing added → the parent is released', () => {
    expect(predictUnload(f, STEPS.boundUnplugged)).toMatchObject({ rule: 'R-VMEM-UNLOAD-CLEAN', parentKept: false });
  });

  it('R-VMEM-UNLOAD-BUSY: memory still added → "device still has system memory added", parent kept', () => {
    expect(predictUnload(f, STEPS.plugged512)).toMatchObject({ rule: 'R-VMEM-UNLOAD-BUSY', parentKept: true, dmesg: 'device still has system memory added' });
    expect(predictUnload(f, STEPS.partial500).rule).toBe('R-VMEM-UNLOAD-BUSY');
  });

  it('R-VMEM-UNLOAD-BUSY: rmmod of a driver whose reload failed logs nothing (no device bound, no virtio_mem_remove()), the parent stays', () => {
    const p = predictUnload(f, STEPS.afterUncleanUnload);
    expect(p).toMatchObject({ rule: 'R-VMEM-UNLOAD-BUSY', parentKept: true });
    expect(p.dmesg).toBeUndefined();
  });

  it('reload after an unclean unload fails EBUSY ("could not reserve device region"); after a clean one it succeeds', () => {
    expect(predictReload(f, STEPS.afterUncleanUnload)).toMatchObject({ ok: false, errno: 'EBUSY', rule: 'R-VMEM-UNLOAD-BUSY', dmesg: 'could not reserve device region' });
    expect(predictReload(f, STEPS.afterCleanUnload)).toMatchObject({ ok: true, rule: 'R-VMEM-PARENT' });
  });

  it('R-MODULE-LOCKDOWN: under lockdown an unsigned virtio_mem.ko is refused EPERM; a signed one, or no lockdown, loads', () => {
    // kernel/module/signing.c module_sig_check(): no signature → security_locked_down(LOCKDOWN_MODULE_SIGNATURE),
    // which security/lockdown/lockdown.c refuses at integrity and confidentiality and logs as
    // "Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7" (ratelimited).
    const locked = { ...STEPS.beforeDriver, lockdown: 'integrity' as const };
    // The notice is pr_notice_ratelimited(): it is not required; modprobe's strerror(EPERM) is.
    expect(predictReload({ ...f, virtioMemSigned: false }, locked)).toMatchObject({ ok: false, errno: 'EPERM', stderr: 'Operation not permitted', rule: 'R-MODULE-LOCKDOWN' });
    expect(predictReload({ ...f, virtioMemSigned: true }, locked)).toMatchObject({ ok: true, rule: 'R-VMEM-PARENT' });
    expect(predictReload({ ...f, virtioMemSigned: false }, STEPS.beforeDriver)).toMatchObject({ ok: true });
    // Not known: no prediction leans on it.
    expect(predictReload(f, locked)).toMatchObject({ ok: true });
  });
});

describe('R-HIGHMEM-HOTADD', () => {
  const f = facts('6.1');

  it('the first plug raises high_memory to the end of the added blocks', () => {
    expect(expectedHighMemoryEnd(f, BOOT_HIGH_MEMORY_END, STEPS.plugged512).end).toBe(0x120000000);
    expect(expectedHighMemoryEnd(f, BOOT_HIGH_MEMORY_END, STEPS.unplugTo256).end).toBe(0x110000000);
  });

  it('unplug and unload never lower it', () => {
    expect(expectedHighMemoryEnd(f, 0x120000000, STEPS.unplugTo256).end).toBe(0x120000000);
    expect(expectedHighMemoryEnd(f, 0x120000000, STEPS.afterCleanUnload).end).toBe(0x120000000);
  });

  it('a driver bound with nothing plugged does not raise it (the parent is not busy RAM)', () => {
    expect(expectedHighMemoryEnd(f, BOOT_HIGH_MEMORY_END, STEPS.boundUnplugged).end).toBe(BOOT_HIGH_MEMORY_END);
  });

  it('checkHighMemory() compares the measured end with the expectation', () => {
    expect(checkHighMemory(f, BOOT_HIGH_MEMORY_END, STEPS.plugged512)).toMatchObject({ rule: 'R-HIGHMEM-HOTADD', ok: true });
    expect(checkHighMemory(f, 0x120000000, { ...STEPS.afterCleanUnload, highMemoryEnd: BOOT_HIGH_MEMORY_END })).toMatchObject({ ok: false });
  });
});

describe('Kconfig: VIRTIO_MEM depends on EXCLUSIVE_SYSTEM_RAM from 5.16 (mm/Kconfig, drivers/virtio/Kconfig)', () => {
  it('Debian configs are consistent', () => {
    expect(checkVirtioMemKconfig(facts('6.1')).ok).toBe(true);
    expect(checkVirtioMemKconfig(facts('6.12')).ok).toBe(true);
  });

  it('6.1 with DEVMEM=y, STRICT_DEVMEM=n and virtio-mem cannot come from Kconfig; 5.10 allowed it', () => {
    const cfg = { config: { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } };
    expect(checkVirtioMemKconfig(facts('6.1', cfg)).ok).toBe(false);
    expect(checkVirtioMemKconfig(facts('5.10', cfg)).ok).toBe(true);
    expect(checkVirtioMemKconfig(facts('6.1', { config: { DEVMEM: false, STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } })).ok).toBe(true);
  });
});
