// Synthetic but realistic inputs for the model tests: a q35 guest with 1 GiB
// of boot RAM and a 1 GiB virtio-mem device at 0x100000000, written as the
// /proc/iomem text the guest would print at each lifecycle step, plus
// kernel facts for the Debian 5.10, 6.1 and 6.12 kernels.

import { parseIomem } from '../../../src/guest/iomem.js';
import {
  parseProcMtrr,
  seabiosMtrr,
  parseCmdline,
  parseKernelConfig,
  parseKernelVersion,
  type KernelConfig,
  type KernelFacts,
  type PhysRange,
  type StepState,
} from '../../../src/model/index.js';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const REGION: PhysRange = { start: 0x100000000, end: 0x13fffffff };
export const BLOCK = 128 * MiB;
/** First byte past boot RAM (System RAM ends at 0x3ffdffff). */
export const BOOT_HIGH_MEMORY_END = 0x3ffe0000;

const HEAD = `00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000a0000-000bffff : PCI Bus 0000:00
000c0000-000c0dff : Video ROM
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-3ffdffff : System RAM
  0b000000-0be01d31 : Kernel code
  0c000000-0c8eafff : Kernel rodata
  0ca00000-0cc4897f : Kernel data
  0d310000-0e3fffff : Kernel bss
3ffe0000-3fffffff : Reserved
40000000-afffffff : PCI Bus 0000:00
b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]
  b0000000-bfffffff : Reserved
    b0000000-bfffffff : pnp 00:04
c0000000-febfffff : PCI Bus 0000:00
  feb80000-febbffff : 0000:00:02.0
  febc0000-febc0fff : 0000:00:02.0
  febc1000-febc1fff : 0000:00:1f.2
  febf8000-febfbfff : 0000:00:01.0
    febf8000-febfbfff : virtio-pci-modern
  febfc000-febfffff : 0000:00:02.0
    febfc000-febfffff : virtio-pci-modern
fec00000-fec003ff : IOAPIC 0
fed00000-fed003ff : HPET 0
  fed00000-fed003ff : PNP0103:00
fed1c000-fed1ffff : Reserved
fee00000-fee00fff : Local APIC
fffc0000-ffffffff : Reserved
`;
const TAIL = `140000000-93fffffff : PCI Bus 0000:00
fd00000000-ffffffffff : Reserved
`;

export const IOMEM = {
  beforeDriver: HEAD + TAIL,
  boundUnplugged: HEAD + '100000000-13fffffff : virtio5\n' + TAIL,
  plugged512: HEAD + '100000000-13fffffff : virtio5\n  100000000-11fffffff : System RAM (virtio_mem)\n' + TAIL,
  /** 500 MiB plugged: four 128 MiB blocks added, the last one partly plugged. */
  partial500: HEAD + '100000000-13fffffff : virtio5\n  100000000-11fffffff : System RAM (virtio_mem)\n' + TAIL,
  /** Unplugged back to 256 MiB: two blocks removed. */
  unplugTo256: HEAD + '100000000-13fffffff : virtio5\n  100000000-10fffffff : System RAM (virtio_mem)\n' + TAIL,
  afterCleanUnload: HEAD + TAIL,
  afterUncleanUnload: HEAD + '100000000-13fffffff : virtio5\n  100000000-11fffffff : System RAM (virtio_mem)\n' + TAIL,
};

const plugged = (bytes: number): PhysRange[] => (bytes ? [{ start: REGION.start, end: REGION.start + bytes - 1 }] : []);

/** The lifecycle, with the measured high_memory end R-HIGHMEM-HOTADD implies. */
export const STEPS = {
  beforeDriver: step(IOMEM.beforeDriver, false, [], BOOT_HIGH_MEMORY_END),
  boundUnplugged: step(IOMEM.boundUnplugged, true, [], BOOT_HIGH_MEMORY_END),
  plugged512: step(IOMEM.plugged512, true, plugged(512 * MiB), 0x120000000),
  partial500: step(IOMEM.partial500, true, plugged(500 * MiB), 0x120000000),
  unplugTo256: step(IOMEM.unplugTo256, true, plugged(256 * MiB), 0x120000000),
  afterCleanUnload: step(IOMEM.afterCleanUnload, false, [], 0x120000000),
  afterUncleanUnload: step(IOMEM.afterUncleanUnload, false, plugged(512 * MiB), 0x120000000),
};

export function step(iomem: string, bound: boolean, pluggedRanges: PhysRange[], highMemoryEnd: number, extra: Partial<StepState> = {}): StepState {
  return {
    iomem: parseIomem(iomem),
    highMemoryEnd,
    lockdown: 'none',
    virtioMem: { bound, region: REGION, plugged: pluggedRanges, blockSize: BLOCK },
    ...extra,
  };
}

/** The /dev/mem-relevant lines of Debian's amd64 configs (identical for 6.1 and 6.12). */
// The options the model reads, as Debian's 5.10, 6.1 and 6.12 amd64 configs set them.
export const DEBIAN_CONFIG_TEXT = `CONFIG_X86_PAT=y
CONFIG_DEVMEM=y
CONFIG_VIRTIO_MEM=m
CONFIG_PROC_KCORE=y
CONFIG_STRICT_DEVMEM=y
CONFIG_IO_STRICT_DEVMEM=y
CONFIG_CROSS_MEMORY_ATTACH=y
CONFIG_DEBUG_FS=y
CONFIG_SECURITY_LOCKDOWN_LSM=y
CONFIG_MODULE_SIG=y
`;

export const DEBIAN_CONFIG: KernelConfig = parseKernelConfig(DEBIAN_CONFIG_TEXT);

export const PROC_VERSION = {
  '5.10': 'Linux version 5.10.0-32-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.223-1 (2024-08-10)',
  '6.1': 'Linux version 6.1.0-47-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2025-03-01)',
  '6.1-old': 'Linux version 6.1.0-25-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.106-3 (2024-08-26)',
  '6.12': 'Linux version 6.12.117+deb12-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1 (2025-06-01)',
  '7.2': 'Linux version 7.2.13+deb14-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-16 (Debian 16.2.0-4) 16.2.0, GNU ld (GNU Binutils for Debian) 2.47.50.20261021) #1 SMP PREEMPT_DYNAMIC Debian 7.2.13-1 (2026-10-28)',
};

const UNAME = { '5.10': '5.10.0-32-amd64', '6.1': '6.1.0-47-amd64', '6.1-old': '6.1.0-25-amd64', '6.12': '6.12.117+deb12-amd64', '7.2': '7.2.13+deb14-amd64' };

export type Kernel = keyof typeof UNAME;

/** /proc/mtrr of a q35 guest under SeaBIOS: its one variable range, the PCI window below 4 GiB. */
export const PROC_MTRR = 'reg00: base=0x0c0000000 ( 3072MB), size= 1024MB, count=1: uncachable\n';

/** opts.mtrr: /proc/mtrr's text (default PROC_MTRR), or null for a guest without it. */
export function facts(kernel: Kernel, opts: { config?: Partial<KernelConfig>; cmdline?: string; physBits?: number; mtrr?: string | null } = {}): KernelFacts {
  const mtrr = opts.mtrr === undefined ? PROC_MTRR : opts.mtrr;
  return {
    version: parseKernelVersion(UNAME[kernel], PROC_VERSION[kernel]),
    config: { ...DEBIAN_CONFIG, ...opts.config },
    cmdline: parseCmdline(opts.cmdline ?? 'console=ttyS0 panic=-1 memhp_default_state=online_movable'),
    physBits: opts.physBits ?? 40,
    mtrr: mtrr === null ? undefined : seabiosMtrr(parseProcMtrr(mtrr)),
  };
}

export const page = (addr: number) => ({ addr, len: 4096 });
