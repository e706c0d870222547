// Whether a resolved kernel can serve a lab run, checked before anything is
// booted: the files exist, the image is one of the run's architecture
// (an x86-64 bzImage, an arm64 Image) of the same release as the modules, and the config has what the guest and the
// scenarios need. Each failure is an input error saying why and what to do.
import { inputError, type ErrorCode } from '../util/errors.js';
import type { Arch } from '../util/arch.js';
import { readKernelImage } from './image-header.js';
import { exists } from './entry.js';
import type { ResolvedKernel } from './types.js';

interface Requirement {
  option: string;
  allowed: string[];
  code: ErrorCode;
  why: string;
  fix: string;
}

export const REQUIREMENTS: Requirement[] = [
  {
    option: 'VIRTIO_MEM', allowed: ['y', 'm'], code: 'E_KERNEL_NO_VIRTIO_MEM',
    why: 'it has no virtio-mem driver, so the device can never be plugged',
    fix: 'use a kernel built with CONFIG_VIRTIO_MEM=m (5.8 or later; it needs MEMORY_HOTPLUG, MEMORY_HOTREMOVE and CONTIG_ALLOC), e.g. debian:bullseye or build:linux-source-6.1',
  },
  {
    option: 'DEVMEM', allowed: ['y'], code: 'E_KERNEL_NO_DEVMEM',
    why: 'it has no /dev/mem, which is what the lab probes',
    fix: 'use a kernel built with CONFIG_DEVMEM=y (e.g. build:<source>+DEVMEM=y)',
  },
  {
    option: 'VIRTIO_PCI', allowed: ['y', 'm'], code: 'E_KERNEL_NO_VIRTIO_PCI',
    why: 'it cannot see virtio PCI devices (the virtio-mem and network devices are virtio-pci)',
    fix: 'use a kernel built with CONFIG_VIRTIO_PCI=y or m',
  },
  {
    option: 'VIRTIO_NET', allowed: ['y', 'm'], code: 'E_KERNEL_NO_VIRTIO_NET',
    why: 'it has no virtio-net driver, and the lab reaches the guest over SSH on virtio-net',
    fix: 'use a kernel built with CONFIG_VIRTIO_NET=y or m',
  },
  {
    option: 'BLK_DEV_INITRD', allowed: ['y'], code: 'E_KERNEL_NO_INITRD',
    why: 'it cannot unpack the initramfs that holds the guest',
    fix: 'use a kernel built with CONFIG_BLK_DEV_INITRD=y',
  },
];

/** The serial console the lab watches: the PC's 8250 UART, QEMU virt's PL011. */
const CONSOLE: Record<Arch, Requirement> = {
  x86_64: {
    option: 'SERIAL_8250_CONSOLE', allowed: ['y'], code: 'E_KERNEL_NO_CONSOLE',
    why: 'it has no serial console, where the lab watches the guest come up',
    fix: 'use a kernel built with CONFIG_SERIAL_8250=y and CONFIG_SERIAL_8250_CONSOLE=y',
  },
  arm64: {
    option: 'SERIAL_AMBA_PL011_CONSOLE', allowed: ['y'], code: 'E_KERNEL_NO_CONSOLE',
    why: "it has no console on QEMU virt's PL011 UART, where the lab watches the guest come up",
    fix: 'use a kernel built with CONFIG_SERIAL_AMBA_PL011=y and CONFIG_SERIAL_AMBA_PL011_CONSOLE=y',
  },
};

/** What a kernel of `arch` must have. */
export const requirementsFor = (arch: Arch = 'x86_64'): Requirement[] => [...REQUIREMENTS, CONSOLE[arch]];

/** The first unmet requirement of a config, or undefined. */
export function unmetRequirement(config: Map<string, string>, arch: Arch = 'x86_64'): (Requirement & { got: string }) | undefined {
  for (const r of requirementsFor(arch)) {
    const got = config.get(r.option) ?? 'n';
    if (!r.allowed.includes(got)) return { ...r, got };
  }
  return undefined;
}

export function checkConfig(config: Map<string, string>, configPath: string, arch: Arch = 'x86_64'): void {
  const r = unmetRequirement(config, arch);
  if (!r) return;
  throw inputError(r.code, `the kernel cannot serve: ${configPath} has CONFIG_${r.option}=${r.got}, so ${r.why}`, r.fix, { option: r.option, value: r.got, config: configPath });
}

/** Files, image header and release of a resolved kernel; the config is checked by checkConfig(). */
export async function checkFiles(k: ResolvedKernel, arch: Arch = 'x86_64'): Promise<void> {
  for (const [what, p] of [['config', k.config], ['modules directory', k.modulesDir]] as const) {
    if (!(await exists(p))) {
      throw inputError('E_KERNEL_FILE', `the kernel's ${what} ${p} is missing`,
        `give an existing ${what === 'config' ? 'config file (--config FILE)' : 'modules directory (--modules DIR)'}; for a cached kernel, delete its cache entry so it is fetched again`);
    }
  }
  const h = await readKernelImage(k.image, arch);
  if (h.release && h.release !== k.release) {
    throw inputError('E_KERNEL_RELEASE', `the image ${k.image} is release ${h.release}, but the modules are for ${k.release}`,
      `give the modules built with this image (--modules DIR holding lib/modules/${h.release} or that directory itself)`);
  }
}
