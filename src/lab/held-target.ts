// Where a held mapping lands: a hold's target (held-spec.ts) resolved
// against the guest's /proc/iomem and the device.
import { flattenIomem, type IomemNode } from '../guest/iomem.js';
import { PAGE } from '../probe/types.js';
import { LabError } from '../util/errors.js';
import type { HeldSpec } from './held-spec.js';
import type { Held } from './held.js';
import type { DeviceInfo } from './hostview.js';

/**
 * A PCI host bridge's memory window as /proc/iomem names it: "PCI Bus
 * 0000:00" on x86 (ACPI's _CRS, pci_acpi_root_add_resources()); on arm64's
 * QEMU virt the device-tree node of the generic host bridge, "pcie@10000000"
 * (of_pci_range_to_resource() names its windows after the node).
 */
export const isPciWindow = (name: string): boolean => name.startsWith('PCI Bus ') || /^pcie?@[0-9a-f]+$/.test(name);

/** The first `pages` pages of a PCI host-bridge window above 1 MiB that no resource inside it covers. */
export function firstMmioHole(iomem: IomemNode[], pages = 1): number | undefined {
  const size = pages * PAGE;
  for (const w of iomem.filter((n) => isPciWindow(n.name) && n.start >= 0x100000)) {
    for (let a = Math.ceil(w.start / PAGE) * PAGE; a + size - 1 <= w.end; a += PAGE) {
      const next = w.children.find((c) => c.start <= a + size - 1 && c.end >= a);
      if (!next) return a;
      a = Math.floor(next.end / PAGE) * PAGE; // skip past the covered part
    }
  }
  return undefined;
}

/**
 * Where a hold at an edge of PCI function `bdf`'s highest memory BAR (the
 * resource /proc/iomem names after the function) starts: `last`, at the
 * BAR's last page; `first`, `pages` - 1 pages below its first page.
 */
export function barEdge(iomem: IomemNode[], bdf: string, edge: 'first' | 'last', pages: number): number | undefined {
  const bar = flattenIomem(iomem).filter((n) => n.name === bdf).sort((a, b) => b.start - a.start)[0];
  if (!bar) return undefined;
  return edge === 'last' ? Math.floor(bar.end / PAGE) * PAGE : bar.start - (pages - 1) * PAGE;
}

export function resolveHeld(specs: HeldSpec[], iomem: IomemNode[], dev: DeviceInfo | undefined, stepIndex: number): Held[] {
  return specs.map((s) => {
    let start: number | undefined;
    if ('deviceOffsetMiB' in s.target) {
      if (!dev) throw new LabError('E_NO_DEVICE', 'run', `hold ${s.name}: the machine has no virtio-mem device`);
      start = dev.memaddr + s.target.deviceOffsetMiB * 1024 * 1024;
    } else if ('deviceEdge' in s.target) {
      if (!dev) throw new LabError('E_NO_DEVICE', 'run', `hold ${s.name}: the machine has no virtio-mem device`);
      start = s.target.deviceEdge === 'last' ? dev.memaddr + dev.maxSize - PAGE : dev.memaddr - ((s.pages ?? 1) - 1) * PAGE;
    } else if ('pciBar' in s.target) {
      start = barEdge(iomem, s.target.pciBar, s.target.edge ?? 'last', s.pages ?? 1);
      if (start === undefined) throw new LabError('E_NO_PCI_BAR', 'run', `hold ${s.name}: /proc/iomem has no memory BAR of PCI function ${s.target.pciBar}`);
    } else if ('addr' in s.target) start = parseInt(s.target.addr, 16);
    else start = firstMmioHole(iomem, s.pages ?? 1);
    if (start === undefined) throw new LabError('E_NO_MMIO_HOLE', 'run', `hold ${s.name}: no unclaimed page in a PCI window`);
    return { name: s.name, start, end: start + (s.pages ?? 1) * PAGE - 1, private: !!s.private, stepIndex, ptraceWrite: !!s.ptraceWrite };
  });
}

