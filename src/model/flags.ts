// Resource flags /proc/iomem does not print, inferred from names and nesting
// ("Flags /proc/iomem does not show", kernel-model.md). Every answer says it
// was inferred and from what, so a report can show how sure the model was.

import { preorder, type IomemNode } from '../guest/iomem.js';
import type { Arch } from './facts.js';
import type { Features } from './versions.js';
import { inferArm64Flags } from './arm64/flags.js';

export interface ResourceFlags {
  /** IORESOURCE_MEM. */
  mem: boolean;
  /** IORESOURCE_SYSRAM; together with mem this is IORESOURCE_SYSTEM_RAM. */
  sysram: boolean;
  /** IORESOURCE_BUSY: requested by a driver or the kernel itself. */
  busy: boolean;
  /** IORESOURCE_EXCLUSIVE. */
  exclusive: boolean;
  /** IORESOURCE_SYSRAM_DRIVER_MANAGED (add_memory_driver_managed()). */
  driverManaged: boolean;
  /** Always true: /proc/iomem shows no flags, these come from the name. */
  inferred: true;
  /** Which naming rule gave the flags, and the kernel code behind it. */
  basis: string;
  /** True when the name matched no known rule and the flags are a guess. */
  guess: boolean;
}

/** A /proc/iomem node with inferred flags. */
export interface ResourceNode {
  name: string;
  start: number;
  end: number;
  depth: number;
  flags: ResourceFlags;
  children: ResourceNode[];
}

/** IORESOURCE_SYSTEM_RAM = IORESOURCE_MEM | IORESOURCE_SYSRAM, the type region_intersects() matches. */
export const isSystemRam = (f: ResourceFlags): boolean => f.mem && f.sysram;

/** A PCI function as /proc/iomem names its BARs: domain:bus:device.function. */
export const PCI_BDF = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
/** An ACPI device name: a _HID (PNP0103, ACPI0007, QEMU0002…) and an instance number. */
const ACPI_PLATFORM_DEVICE = /^([A-Z]{3}|[A-Z0-9]{4})[0-9A-F]{4}:\d{2}$/;
/** The virtio-mem parent is named after the virtio device: dev_name() → "virtioN". */
export const VIRTIO_MEM_PARENT = /^virtio\d+$/;
export const VIRTIO_MEM_CHILD = 'System RAM (virtio_mem)';

const ONE_MIB = 0x100000;

type Base = Omit<ResourceFlags, 'inferred' | 'guess' | 'basis'>;
const MEM: Base = { mem: true, sysram: false, busy: false, exclusive: false, driverManaged: false };
const MEM_BUSY: Base = { ...MEM, busy: true };
const SYSRAM_BUSY: Base = { ...MEM, sysram: true, busy: true };

function make(base: Base, basis: string, guess = false): ResourceFlags {
  return { ...base, inferred: true, basis, guess };
}

/**
 * Flags for one node. `parentName` is the enclosing resource's name (undefined
 * at the top level), because a driver claim is recognised by sitting inside a
 * PCI BAR. `arch` (default x86_64) reads the names whose meaning differs
 * between architectures; device-tree names are read on either (arm64/flags.ts).
 */
export function inferFlags(node: Pick<IomemNode, 'name' | 'start' | 'depth'>, parentName: string | undefined, features: Features, arch: Arch = 'x86_64'): ResourceFlags {
  const n = node.name;
  const a64 = inferArm64Flags(n, parentName, arch);
  if (a64) return make(a64.bits, a64.basis, a64.guess);
  // arch/x86/kernel/e820.c e820__reserve_resources(): E820 RAM gets
  // IORESOURCE_SYSTEM_RAM and do_mark_busy() makes it busy.
  if (n === 'System RAM') return make(SYSRAM_BUSY, 'E820 RAM: e820_type_to_iomem_type() + do_mark_busy()');
  // mm/memory_hotplug.c register_memory_resource(): any name other than
  // "System RAM" adds IORESOURCE_SYSRAM_DRIVER_MANAGED.
  if (n.startsWith('System RAM (')) {
    return make({ ...SYSRAM_BUSY, driverManaged: true }, 'register_memory_resource(): SYSTEM_RAM|BUSY|DRIVER_MANAGED');
  }
  // arch/x86/kernel/setup.c code/rodata/data/bss resources; crashk_res in kernel/kexec_core.c.
  if (/^Kernel (code|rodata|data|bss)$/.test(n) || n === 'Crash kernel') {
    return make(SYSRAM_BUSY, 'setup.c/kexec_core.c: IORESOURCE_BUSY | IORESOURCE_SYSTEM_RAM');
  }
  // drivers/virtio/virtio_mem.c virtio_mem_create_resource(): requested with
  // SYSTEM_RAM (| EXCLUSIVE from 5.16), then BUSY cleared so add_memory() nests.
  if (VIRTIO_MEM_PARENT.test(n)) {
    const excl = features.virtioMemParentExclusive.enabled;
    return make(
      { ...MEM, sysram: true, exclusive: excl },
      `virtio_mem_create_resource(): SYSTEM_RAM${excl ? '|EXCLUSIVE' : ''}, BUSY cleared`,
    );
  }
  // e820.c do_mark_busy(): everything below 1 MiB is busy; above it
  // Reserved, Soft Reserved and (legacy) Persistent Memory stay idle for a driver.
  if (n === 'Reserved' || n === 'Soft Reserved' || n === 'Persistent Memory' || n === 'Persistent Memory (legacy)') {
    return node.start < ONE_MIB
      ? make(MEM_BUSY, 'E820 below 1 MiB: do_mark_busy()')
      : make(MEM, 'E820 reserved above 1 MiB: do_mark_busy() leaves it idle');
  }
  if (n === 'ACPI Tables' || n === 'ACPI Non-volatile Storage' || n === 'Unusable memory' || n === 'Unknown E820 type') {
    return make(MEM_BUSY, 'E820 ACPI/NVS/unusable: do_mark_busy()');
  }
  // e820__reserve_resources_late(): reserve_region_with_split() → type | BUSY.
  if (n === 'RAM buffer') return make(MEM_BUSY, 'reserve_region_with_split(): IORESOURCE_BUSY');
  // arch/x86/kernel/probe_roms.c: ROM resources are BUSY|READONLY|MEM.
  if (/^(System|Video|Adapter|Extension) ROM$/.test(n) || n === 'Video RAM area') {
    return make(MEM_BUSY, 'probe_roms.c: IORESOURCE_BUSY | IORESOURCE_MEM');
  }
  // PCI host bridge windows are plain IORESOURCE_MEM containers.
  if (n.startsWith('PCI Bus ')) return make(MEM, 'PCI host bridge window: not busy');
  // arch/x86/pci/mmconfig-shared.c ("PCI MMCONFIG …", "PCI ECAM …" in later
  // kernels), io_apic.c, apic.c: MEM | BUSY.
  if (n.startsWith('PCI MMCONFIG') || n.startsWith('PCI ECAM ') || /^IOAPIC \d+$/.test(n) || n === 'Local APIC') {
    return make(MEM_BUSY, 'mmconfig/IOAPIC/LAPIC: IORESOURCE_MEM | IORESOURCE_BUSY');
  }
  // drivers/pnp/system.c reserve_range(): request_mem_region() then clears BUSY.
  if (n.startsWith('pnp ')) return make(MEM, 'pnp reserve_range(): BUSY cleared');
  // arch/x86/kernel/acpi/boot.c hpet_insert_resource(): IORESOURCE_MEM only.
  if (/^HPET \d+$/.test(n)) return make(MEM, 'ACPI HPET resource: IORESOURCE_MEM');
  // ACPI platform devices ("PNP0103:00", the HPET's ACPI node, "ACPI0007:01",
  // ...): platform_device_add() (drivers/base/platform.c) insert_resource()s
  // their _CRS ranges with the flags acpi_dev_resource_memory() gave them
  // (drivers/acpi/resource.c: IORESOURCE_MEM, never BUSY). Seen on q35 as a
  // child of "HPET 0": the kernel allows /dev/mem there under
  // IO_STRICT_DEVMEM, which a busy guess would wrongly deny.
  if (ACPI_PLATFORM_DEVICE.test(n)) return make(MEM, 'ACPI platform device: insert_resource(), not busy');
  // A PCI BAR is assigned, not requested; a driver's claim nests inside it.
  if (PCI_BDF.test(n)) return make(MEM, 'PCI BAR: assigned, not requested');
  if (parentName !== undefined && PCI_BDF.test(parentName)) {
    return make(MEM_BUSY, 'driver claim inside a BAR: request_mem_region() sets BUSY');
  }
  // Anything else is most likely a request_mem_region() by some driver.
  return make(MEM_BUSY, 'unknown name: assumed a driver request (busy)', true);
}

/** Annotates a parsed /proc/iomem forest with inferred flags. */
export function annotateIomem(roots: IomemNode[], features: Features, arch: Arch = 'x86_64'): ResourceNode[] {
  const walk = (n: IomemNode, parentName: string | undefined): ResourceNode => ({
    name: n.name,
    start: n.start,
    end: n.end,
    depth: n.depth,
    flags: inferFlags(n, parentName, features, arch),
    children: n.children.map((c) => walk(c, n.name)),
  });
  return roots.map((r) => walk(r, undefined));
}

/** Every node, parents first, in address order. */
export const flattenResources = (roots: ResourceNode[]): ResourceNode[] => [...preorder(roots)];
