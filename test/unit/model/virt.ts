// Inputs for the arm64 model tests: Debian 6.1.0-57-arm64 (6.1.192-3) on
// QEMU 7.2 `-machine virt -cpu cortex-a57 -m 1024M,maxmem=2048M` with the
// lab's virtio-mem device (docs/arm64.md "The machine"): 1 GiB of boot RAM
// at 0x40000000, the device region 0x80000000-0xbfffffff, 128 MiB memory
// blocks. Written as the /proc/iomem text the guest prints at each step,
// with the names the arm64 source gives:
//   - "System RAM" per memblock region, "Kernel code"/"Kernel data" and
//     "reserved" inside it: arch/arm64/kernel/setup.c
//     request_standard_resources(), reserve_memblock_reserved_regions();
//   - "pl011@9000000" etc.: AMBA devices, drivers/amba/bus.c
//     amba_device_add() → request_resource() with the node's full name
//     (drivers/of/address.c); the PL011 driver's
//     devm_ioremap_resource() claim "9000000.pl011 pl011@9000000"
//     (lib/devres.c). rtc-pl031 / pl061 claims are left out: no test
//     probes those pages;
//   - "pcie@10000000": pci-host-generic's windows (32-bit 0x10000000-
//     0x3efeffff, 64-bit 0x8000000000-0xffffffffff), BARs "0000:00:0N.0"
//     assigned by the kernel (no firmware), virtio_pci's
//     "virtio-pci-modern" claims of BAR 4; "PCI ECAM" (drivers/pci/ecam.c)
//     at QEMU's high ECAM 0x4010000000;
//   - no resource for the flash (0x0), the GIC (0x8000000) or any other
//     OF platform device without a driver (drivers/of/device.c
//     of_device_add() inserts nothing).
// The addresses inside System RAM are illustrative; nothing depends on them.

import { parseIomem } from '../../../src/guest/iomem.js';
import { parseCmdline, parseKernelConfig, parseKernelVersion, type KernelConfig, type KernelFacts, type PhysRange, type StepState } from '../../../src/model/index.js';

export const MiB = 2 ** 20;
export const BLOCK = 128 * MiB;
export const VIRT_REGION: PhysRange = { start: 0x80000000, end: 0xbfffffff };

const LOW = `09000000-09000fff : pl011@9000000
  09000000-09000fff : 9000000.pl011 pl011@9000000
09010000-09010fff : pl031@9010000
09030000-09030fff : pl061@9030000
10000000-3efeffff : pcie@10000000
  10000000-10000fff : 0000:00:01.0
  10001000-10001fff : 0000:00:02.0
  10002000-10002fff : 0000:00:03.0
40000000-7fffffff : System RAM
  40210000-4162ffff : Kernel code
  41630000-4171ffff : reserved
  41720000-41bfffff : Kernel data
  48000000-480fffff : reserved
  7ec00000-7fffffff : reserved
`;
const HIGH = `4010000000-401fffffff : PCI ECAM
8000000000-ffffffffff : pcie@10000000
  8000000000-8000003fff : 0000:00:01.0
    8000000000-8000003fff : virtio-pci-modern
  8000004000-8000007fff : 0000:00:02.0
    8000004000-8000007fff : virtio-pci-modern
  8000008000-800000bfff : 0000:00:03.0
    8000008000-800000bfff : virtio-pci-modern
`;

export const VIRT_IOMEM = {
  beforeDriver: LOW + HIGH,
  boundUnplugged: LOW + '80000000-bfffffff : virtio0\n' + HIGH,
  /** 512 MiB plugged: four blocks added, one merged resource (MHP_MERGE_RESOURCE). */
  plugged512: LOW + '80000000-bfffffff : virtio0\n  80000000-9fffffff : System RAM (virtio_mem)\n' + HIGH,
  /** 130 MiB plugged: block 0x80000000 added whole, 0x88200000-0x8fffffff of it PageOffline; 0x90000000 never added. */
  partial130: LOW + '80000000-bfffffff : virtio0\n  80000000-8fffffff : System RAM (virtio_mem)\n' + HIGH,
};

const plugged = (bytes: number): PhysRange[] => (bytes ? [{ start: VIRT_REGION.start, end: VIRT_REGION.start + bytes - 1 }] : []);

/** arm64 has no high_memory measurement: the lab sets NaN and the model must not read it. */
export function virtStep(iomem: string, bound: boolean, pluggedRanges: PhysRange[], extra: Partial<StepState> = {}): StepState {
  return { iomem: parseIomem(iomem), highMemoryEnd: Number.NaN, lockdown: 'none', virtioMem: { bound, region: VIRT_REGION, plugged: pluggedRanges, blockSize: BLOCK }, ...extra };
}

export const VIRT_STEPS = {
  beforeDriver: virtStep(VIRT_IOMEM.beforeDriver, false, []),
  boundUnplugged: virtStep(VIRT_IOMEM.boundUnplugged, true, []),
  plugged512: virtStep(VIRT_IOMEM.plugged512, true, plugged(512 * MiB)),
  partial130: virtStep(VIRT_IOMEM.partial130, true, plugged(130 * MiB)),
};

/** The options of Debian's 6.1 arm64 config the model reads (docs/arm64.md); X86_PAT is absent there. */
export const ARM64_CONFIG_TEXT = `CONFIG_DEVMEM=y
CONFIG_STRICT_DEVMEM=y
CONFIG_IO_STRICT_DEVMEM=y
CONFIG_VIRTIO_MEM=m
CONFIG_MEMORY_HOTPLUG=y
CONFIG_ARCH_KEEP_MEMBLOCK=y
CONFIG_EXCLUSIVE_SYSTEM_RAM=y
CONFIG_DEBUG_FS=y
CONFIG_PROC_KCORE=y
CONFIG_CROSS_MEMORY_ATTACH=y
CONFIG_GENERIC_LIB_DEVMEM_IS_ALLOWED=y
CONFIG_ARM64_PA_BITS_48=y
CONFIG_ARM64_PA_BITS=48
CONFIG_ARM64_4K_PAGES=y
CONFIG_ARM64_PAN=y
`;

export const ARM64_CONFIG: KernelConfig = parseKernelConfig(ARM64_CONFIG_TEXT);

const PROC_VERSION = 'Linux version 6.1.0-57-arm64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP Debian 6.1.192-3';

/** What the lab gives the model for this guest: arch arm64, physBits = CONFIG_ARM64_PA_BITS. */
export function arm64Facts(opts: { config?: Partial<KernelConfig>; cmdline?: string; physBits?: number } = {}): KernelFacts {
  return {
    arch: 'arm64',
    version: parseKernelVersion('6.1.0-57-arm64', PROC_VERSION),
    config: { ...ARM64_CONFIG, ...opts.config },
    cmdline: parseCmdline(opts.cmdline ?? 'console=ttyAMA0 panic=-1 memhp_default_state=online_movable'),
    physBits: opts.physBits ?? 48,
  };
}
