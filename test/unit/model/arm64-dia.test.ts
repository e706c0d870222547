// arm64's /proc/iomem names (arm64/flags.ts) and devmem_is_allowed() from
// lib/devmem_is_allowed.c: iomem_is_exclusive() first → 0, then
// page_is_ram() (kernel/resource.c walk_system_ram_range()) → 0, else 1.
// R-A64-DIA-EXCL, R-A64-DIA-RAM. Every expectation is read from the cited
// source, on the QEMU virt fixture (virt.ts).
import { describe, expect, it } from 'vitest';
import { parseIomem } from '../../../src/guest/iomem.js';
import {
  annotateIomem,
  devmemIsAllowed,
  flattenResources,
  isSystemRam,
  modelContext,
  pageIsRam,
  resolveFeatures,
  type KernelFacts,
  type ResourceNode,
  type StepState,
} from '../../../src/model/index.js';
import { arm64Facts, virtStep, VIRT_IOMEM, VIRT_STEPS } from './virt.js';

const dia = (f: KernelFacts, s: StepState, addr: number) => devmemIsAllowed(modelContext(f, s), addr / 4096);
const features = resolveFeatures(arm64Facts());

function node(tree: ResourceNode[], name: string, start?: number): ResourceNode {
  const n = flattenResources(tree).find((x) => x.name === name && (start === undefined || x.start === start));
  if (!n) throw new Error(`no ${name}`);
  return n;
}
const bits = (n: ResourceNode) => [isSystemRam(n.flags), n.flags.busy, n.flags.guess];

describe('arm64 resource names (flags read with arch arm64)', () => {
  const tree = annotateIomem(parseIomem(VIRT_IOMEM.plugged512), features, 'arm64');

  it('"System RAM" is SYSTEM_RAM|BUSY (setup.c request_standard_resources()); "Kernel code"/"Kernel data" are SYSTEM_RAM without BUSY (setup.c mem_res[])', () => {
    expect(bits(node(tree, 'System RAM'))).toEqual([true, true, false]);
    expect(bits(node(tree, 'Kernel code'))).toEqual([true, false, false]);
    expect(bits(node(tree, 'Kernel data'))).toEqual([true, false, false]);
  });

  it('"reserved" inside System RAM is MEM|BUSY (reserve_region_with_split(): type | IORESOURCE_BUSY); at the top it is a NOMAP region, MEM only', () => {
    expect(bits(node(tree, 'reserved', 0x48000000))).toEqual([false, true, false]);
    const top = annotateIomem(parseIomem('40000000-4fffffff : reserved\n50000000-7fffffff : System RAM\n'), features, 'arm64');
    expect(bits(node(top, 'reserved'))).toEqual([false, false, false]);
  });

  it('an AMBA device ("pl011@9000000") is not busy: amba_device_add() → request_resource(); its driver\'s claim "9000000.pl011 pl011@9000000" is (devm_request_mem_region())', () => {
    expect(bits(node(tree, 'pl011@9000000'))).toEqual([false, false, false]);
    expect(bits(node(tree, 'pl031@9010000'))).toEqual([false, false, false]);
    expect(bits(node(tree, '9000000.pl011 pl011@9000000'))).toEqual([false, true, false]);
  });

  it('the host bridge windows "pcie@10000000" are not busy (devm_request_pci_bus_resources() → request_resource()); "PCI ECAM" is (pci_ecam_create(): MEM|BUSY)', () => {
    expect(bits(node(tree, 'pcie@10000000', 0x10000000))).toEqual([false, false, false]);
    expect(bits(node(tree, 'pcie@10000000', 0x8000000000))).toEqual([false, false, false]);
    expect(bits(node(tree, 'PCI ECAM'))).toEqual([false, true, false]);
  });

  it('BARs are assigned, not requested; virtio_pci\'s claim inside one is busy; virtio0 and its child as on x86', () => {
    expect(bits(node(tree, '0000:00:02.0', 0x8000004000))).toEqual([false, false, false]);
    expect(bits(flattenResources(tree).find((n) => n.name === 'virtio-pci-modern')!)).toEqual([false, true, false]);
    const p = node(tree, 'virtio0');
    expect([isSystemRam(p.flags), p.flags.busy, p.flags.exclusive]).toEqual([true, false, true]);
    const c = node(tree, 'System RAM (virtio_mem)');
    expect([isSystemRam(c.flags), c.flags.busy, c.flags.driverManaged]).toEqual([true, true, true]);
  });

  it('an unknown device-tree node name is a marked guess, not busy; an unknown name stays a busy guess', () => {
    const t = annotateIomem(parseIomem('0a000000-0a0001ff : virtio_mmio@a000000\n0c000000-0c000fff : mystery\n'), features, 'arm64');
    expect(bits(node(t, 'virtio_mmio@a000000'))).toEqual([false, false, true]);
    expect(bits(node(t, 'mystery'))).toEqual([false, true, true]);
  });

  it('device-tree names are read the same without an arch; "reserved" and the kernel image only the arm64 way with it', () => {
    const t = annotateIomem(parseIomem(VIRT_IOMEM.plugged512), features);
    expect(bits(node(t, 'pcie@10000000', 0x10000000))).toEqual([false, false, false]);
    expect(bits(node(t, 'PCI ECAM'))).toEqual([false, true, false]);
    // x86 (arch/x86/kernel/setup.c): the kernel image is SYSTEM_RAM|BUSY.
    expect(bits(node(t, 'Kernel code'))).toEqual([true, true, false]);
  });
});

describe('page_is_ram() (kernel/resource.c walk_system_ram_range(pfn, 1))', () => {
  const tree = (text: string) => annotateIomem(parseIomem(text), features, 'arm64');

  it('finds busy System RAM nested below a resource that is not (find_next_iomem_res() descends once a top-level range overlaps)', () => {
    expect(pageIsRam(tree('c0000000-ffffffff : Soft Reserved\n  c0000000-cfffffff : System RAM (kmem)\n'), 0xc0000000)?.name).toBe('System RAM (kmem)');
    expect(pageIsRam(tree('c0000000-ffffffff : Soft Reserved\n  c0000000-cfffffff : System RAM (kmem)\n'), 0xd0000000)).toBeUndefined();
  });

  it('needs one resource covering the whole page: PFN_UP(start) < PFN_DOWN(end + 1)', () => {
    expect(pageIsRam(tree('40000000-400007ff : System RAM\n'), 0x40000000)).toBeUndefined();
    expect(pageIsRam(tree('40000800-40001fff : System RAM\n'), 0x40000000)).toBeUndefined();
    expect(pageIsRam(tree('40000800-40001fff : System RAM\n'), 0x40001000)?.name).toBe('System RAM');
  });

  it('the not-busy virtio0 parent is not RAM; the busy child is', () => {
    const t = tree(VIRT_IOMEM.plugged512);
    expect(pageIsRam(t, 0xa0000000)).toBeUndefined();
    expect(pageIsRam(t, 0x9ffff000)?.name).toBe('System RAM (virtio_mem)');
  });
});

describe('devmem_is_allowed() on arm64 (lib/devmem_is_allowed.c)', () => {
  const f = arm64Facts();
  const relaxed = arm64Facts({ cmdline: 'console=ttyAMA0 iomem=relaxed' });

  it('boot RAM: exclusive first (busy, IO_STRICT_DEVMEM) → 0 by R-A64-DIA-EXCL; with iomem=relaxed page_is_ram() → 0 by R-A64-DIA-RAM', () => {
    expect(dia(f, VIRT_STEPS.beforeDriver, 0x40000000)).toMatchObject({ value: 0, rule: 'R-A64-DIA-EXCL', via: ['R-A64-DIA-EXCL', 'R-EXCL-BUSY'] });
    expect(dia(relaxed, VIRT_STEPS.beforeDriver, 0x50000000)).toMatchObject({ value: 0, rule: 'R-A64-DIA-RAM', via: ['R-A64-DIA-RAM'] });
  });

  it('values are 0 and 1 only, and a page below 1 MiB gets no exception (a busy claim of the flash at 0 → 0)', () => {
    const s = virtStep('00000000-03ffffff : 0.flash flash@0\n' + VIRT_IOMEM.beforeDriver, false, []);
    expect(dia(f, s, 0x0)).toMatchObject({ value: 0, rule: 'R-A64-DIA-EXCL' });
    expect(dia(f, VIRT_STEPS.beforeDriver, 0x0)).toMatchObject({ value: 1 });
  });

  it('PL011 and a virtio BAR claimed by drivers: 0 with strict iomem checks, 1 with iomem=relaxed (neither is RAM)', () => {
    expect(dia(f, VIRT_STEPS.beforeDriver, 0x9000000)).toMatchObject({ value: 0, rule: 'R-A64-DIA-EXCL', via: ['R-A64-DIA-EXCL', 'R-EXCL-BUSY'] });
    expect(dia(f, VIRT_STEPS.beforeDriver, 0x8000000000)).toMatchObject({ value: 0, rule: 'R-A64-DIA-EXCL' });
    expect(dia(relaxed, VIRT_STEPS.beforeDriver, 0x9000000).value).toBe(1);
    expect(dia(relaxed, VIRT_STEPS.beforeDriver, 0x8000000000).value).toBe(1);
  });

  it('no resource (flash, GIC), an idle AMBA device, the PCI window: 1', () => {
    for (const a of [0x0, 0x8000000, 0x9010000, 0x10003000, 0x8000010000]) {
      const d = dia(f, VIRT_STEPS.plugged512, a);
      expect(d.value, a.toString(16)).toBe(1);
      expect(d.rule, a.toString(16)).toBeUndefined();
    }
  });

  it('the device region: 1 before the driver binds; from the bind on 0 by R-EXCL-SYSRAM on virtio0, plugged or not, iomem=relaxed or not', () => {
    expect(dia(f, VIRT_STEPS.beforeDriver, 0x80000000).value).toBe(1);
    for (const [s, a] of [[VIRT_STEPS.boundUnplugged, 0x80000000], [VIRT_STEPS.plugged512, 0x80000000], [VIRT_STEPS.partial130, 0x88200000], [VIRT_STEPS.partial130, 0x90000000]] as const) {
      expect(dia(f, s, a), a.toString(16)).toMatchObject({ value: 0, rule: 'R-A64-DIA-EXCL', via: ['R-A64-DIA-EXCL', 'R-EXCL-SYSRAM'] });
      expect(dia(relaxed, s, a).value, a.toString(16)).toBe(0);
    }
  });
});
