// Flags inferred from /proc/iomem names, each checked against the code that
// creates the resource (cited per case).
import { describe, expect, it } from 'vitest';
import { parseIomem } from '../../../src/guest/iomem.js';
import { annotateIomem, flattenResources, isSystemRam, resolveFeatures, type ResourceNode } from '../../../src/model/index.js';
import { facts, IOMEM } from './q35.js';

const f61 = resolveFeatures(facts('6.1'));
const f510 = resolveFeatures(facts('5.10'));

function node(tree: ResourceNode[], name: string, start?: number): ResourceNode {
  const n = flattenResources(tree).find((x) => x.name === name && (start === undefined || x.start === start));
  if (!n) throw new Error(`no ${name}`);
  return n;
}

describe('inferred resource flags', () => {
  const tree = annotateIomem(parseIomem(IOMEM.plugged512), f61);

  it('marks every result as inferred', () => {
    expect(flattenResources(tree).every((n) => n.flags.inferred)).toBe(true);
  });

  it('System RAM and the kernel image are SYSTEM_RAM|BUSY (e820__reserve_resources(), setup.c code_resource)', () => {
    for (const name of ['System RAM', 'Kernel code', 'Kernel rodata', 'Kernel data', 'Kernel bss']) {
      const f = node(tree, name).flags;
      expect([isSystemRam(f), f.busy, f.exclusive, f.guess], name).toEqual([true, true, false, false]);
    }
  });

  it('hot-added "System RAM (virtio_mem)" is SYSTEM_RAM|BUSY|DRIVER_MANAGED (register_memory_resource())', () => {
    const f = node(tree, 'System RAM (virtio_mem)').flags;
    expect([isSystemRam(f), f.busy, f.driverManaged]).toEqual([true, true, true]);
  });

  it('the virtio-mem parent is SYSTEM_RAM, not busy, EXCLUSIVE from 5.16 (virtio_mem_create_resource())', () => {
    const p61 = node(tree, 'virtio5').flags;
    expect([isSystemRam(p61), p61.busy, p61.exclusive]).toEqual([true, false, true]);
    const p510 = node(annotateIomem(parseIomem(IOMEM.plugged512), f510), 'virtio5').flags;
    expect([isSystemRam(p510), p510.busy, p510.exclusive]).toEqual([true, false, false]);
  });

  it('Reserved is busy below 1 MiB and idle above it (e820.c do_mark_busy())', () => {
    expect(node(tree, 'Reserved', 0).flags.busy).toBe(true);
    expect(node(tree, 'Reserved', 0x9fc00).flags.busy).toBe(true);
    expect(node(tree, 'Reserved', 0x3ffe0000).flags.busy).toBe(false);
    expect(node(tree, 'Reserved', 0xfed1c000).flags.busy).toBe(false);
    expect(isSystemRam(node(tree, 'Reserved', 0).flags)).toBe(false);
  });

  it('ROMs, IOAPIC, Local APIC and MMCONFIG are busy; PCI windows, BARs, pnp and HPET are not', () => {
    for (const name of ['System ROM', 'Video ROM', 'IOAPIC 0', 'Local APIC', 'PCI MMCONFIG 0000 [bus 00-ff]']) expect(node(tree, name).flags.busy, name).toBe(true);
    for (const name of ['PCI Bus 0000:00', '0000:00:1f.2', 'pnp 00:04', 'HPET 0']) expect(node(tree, name).flags.busy, name).toBe(false);
  });

  it('a driver claim inside a BAR is busy (request_mem_region())', () => {
    const claim = flattenResources(tree).find((n) => n.name === 'virtio-pci-modern')!;
    expect(claim.flags.busy).toBe(true);
    expect(claim.flags.guess).toBe(false);
  });

  it('an ACPI platform device (HPET\'s "PNP0103:00") is not busy: platform_device_add() insert_resource()s it', () => {
    const f = node(tree, 'PNP0103:00').flags;
    expect([f.busy, f.guess]).toEqual([false, false]);
  });

  it('an unknown name is assumed busy and flagged as a guess', () => {
    const t = annotateIomem(parseIomem('40000000-4fffffff : mystery-device\n'), f61);
    expect([t[0].flags.busy, t[0].flags.guess]).toEqual([true, true]);
  });
});
