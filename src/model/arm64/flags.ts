// Resource flags for the names a device-tree arm64 guest (QEMU virt) shows
// in /proc/iomem, each from the code that creates the resource. flags.ts
// asks here first; names not handled here (System RAM, "System RAM (…)",
// virtioN, PCI BARs and the claims inside them) take the common rules.
//
// Device-tree names are unambiguous on any architecture (an x86 kernel
// never names a resource "node@unit-address"), so they are recognised
// whatever the facts say; "reserved" and the kernel image mean something
// else on x86 and are read the arm64 way only for an arm64 kernel.

import type { Arch } from '../facts.js';

/** The flag bits flags.ts completes into ResourceFlags. */
export interface FlagBits {
  mem: boolean;
  sysram: boolean;
  busy: boolean;
  exclusive: boolean;
  driverManaged: boolean;
}

export interface Arm64Flags {
  bits: FlagBits;
  basis: string;
  guess?: boolean;
}

const MEM: FlagBits = { mem: true, sysram: false, busy: false, exclusive: false, driverManaged: false };
const MEM_BUSY: FlagBits = { ...MEM, busy: true };

/**
 * A device-tree node's full name, "name@unit-address": drivers/of/address.c
 * __of_address_to_resource() names a resource np->full_name (without
 * reg-names).
 */
export const DT_NODE = /^([a-z][a-z0-9,._+-]*)@[0-9a-f]+(,[0-9a-f]+)*$/i;

/**
 * lib/devres.c __devm_ioremap_resource(): devm_request_mem_region() with the
 * pretty name "<dev_name> <res->name>", the device named by
 * of_device_make_bus_id() ("9000000.pl011"): "9000000.pl011 pl011@9000000",
 * or dev_name alone when the resource has no name.
 */
export const DEVM_CLAIM = /^[0-9a-f]+\.[a-z0-9,._+-]+( [^\s]+)?$/i;

/**
 * Node names whose resource reaches /proc/iomem through request_resource(),
 * which never sets IORESOURCE_BUSY: the AMBA primecells QEMU virt has
 * (drivers/of/platform.c of_amba_device_create() → drivers/amba/bus.c
 * amba_device_add()) and PCI host bridge windows (drivers/pci/of.c
 * devm_of_pci_get_host_bridge_resources() names them after the node,
 * drivers/pci/bus.c devm_request_pci_bus_resources()). A plain OF platform
 * device puts nothing in iomem (drivers/of/device.c of_device_add() is a
 * device_add()); only its driver's claim shows.
 */
const IDLE_NODES: Record<string, string> = {
  pl011: 'AMBA device: amba_device_add() → request_resource(), not busy',
  pl031: 'AMBA device: amba_device_add() → request_resource(), not busy',
  pl061: 'AMBA device: amba_device_add() → request_resource(), not busy',
  pcie: 'PCI host bridge window: devm_request_pci_bus_resources() → request_resource(), not busy',
  pci: 'PCI host bridge window: devm_request_pci_bus_resources() → request_resource(), not busy',
};

export function inferArm64Flags(name: string, parentName: string | undefined, arch: Arch): Arm64Flags | undefined {
  // drivers/pci/ecam.c pci_ecam_create(): IORESOURCE_MEM | IORESOURCE_BUSY, request_resource_conflict().
  if (name === 'PCI ECAM') return { bits: MEM_BUSY, basis: 'pci_ecam_create(): IORESOURCE_MEM | IORESOURCE_BUSY' };
  const node = DT_NODE.exec(name);
  if (node) {
    const idle = IDLE_NODES[node[1].toLowerCase()];
    if (idle) return { bits: MEM, basis: idle };
    // Most node-named resources are AMBA devices or host windows; one a
    // driver requested with of_io_request_and_map(np, i, NULL) would be busy.
    return { bits: MEM, basis: 'device-tree node name: assumed request_resource() (AMBA device or host window), not busy', guess: true };
  }
  if (DEVM_CLAIM.test(name)) return { bits: MEM_BUSY, basis: 'devm_ioremap_resource() → devm_request_mem_region(): IORESOURCE_BUSY' };
  if (arch !== 'arm64') return undefined;
  // arch/arm64/kernel/setup.c mem_res[]: IORESOURCE_SYSTEM_RAM without BUSY (x86's are busy).
  if (name === 'Kernel code' || name === 'Kernel data') return { bits: { ...MEM, sysram: true }, basis: 'arm64 setup.c mem_res[]: IORESOURCE_SYSTEM_RAM, not busy' };
  if (name === 'reserved') {
    // Inside System RAM: reserve_memblock_reserved_regions() → reserve_region_with_split(), type | BUSY.
    // At the top: request_standard_resources() for a MEMBLOCK_NOMAP region, IORESOURCE_MEM only.
    return parentName !== undefined
      ? { bits: MEM_BUSY, basis: 'reserve_region_with_split(): IORESOURCE_MEM | IORESOURCE_BUSY' }
      : { bits: MEM, basis: 'request_standard_resources(): a NOMAP memblock region, IORESOURCE_MEM' };
  }
  return undefined;
}
