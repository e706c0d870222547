// The guest architectures the lab runs, and what each one is called by the
// tools around it: Debian's architecture and kernel flavour, QEMU's system
// emulator, the C cross compiler, the default machine profile and the
// serial console the guest's kernel writes to.
import { inputError } from './errors.js';

export const ARCHES = ['x86_64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

export interface ArchInfo {
  /** dpkg's name (APT::Architecture) and the kernel flavour suffix (linux-image-<abi>-<debian>). */
  debian: 'amd64' | 'arm64';
  /** The QEMU system emulator, and the environment variable that may name another build of it. */
  qemu: string;
  qemuEnv: string;
  /** The Debian package that ships it (bin/setup installs it). */
  qemuPackage: string;
  /** The C compiler for the static probe agent; undefined = the host's cc. */
  cc?: string;
  ccPackage?: string;
  /** The multiarch triplet of the guest's shared libraries (lib/<triplet>/). */
  triplet: string;
  /** The machine profile in qemu-config/ that runs this architecture by default. */
  defaultProfile: string;
}

export const ARCH_INFO: Readonly<Record<Arch, ArchInfo>> = {
  x86_64: { debian: 'amd64', qemu: 'qemu-system-x86_64', qemuEnv: 'DEVMEM_LAB_QEMU', qemuPackage: 'qemu-system-x86', triplet: 'x86_64-linux-gnu', defaultProfile: 'default' },
  arm64: {
    debian: 'arm64',
    qemu: 'qemu-system-aarch64',
    qemuEnv: 'DEVMEM_LAB_QEMU_ARM64',
    qemuPackage: 'qemu-system-arm',
    cc: 'aarch64-linux-gnu-gcc',
    ccPackage: 'gcc-aarch64-linux-gnu',
    triplet: 'aarch64-linux-gnu',
    defaultProfile: 'arm64',
  },
};

/** The architecture the lab runs when none is named. */
export const DEFAULT_ARCH: Arch = 'x86_64';

/** `--arch` as the user wrote it: x86_64 (or amd64, x86-64) and arm64 (or aarch64). */
export function parseArch(text: string): Arch {
  const t = text.trim().toLowerCase();
  if (t === 'x86_64' || t === 'amd64' || t === 'x86-64') return 'x86_64';
  if (t === 'arm64' || t === 'aarch64') return 'arm64';
  throw inputError('E_USAGE', `unknown architecture ${JSON.stringify(text)}`, `write --arch ${ARCHES.join(' or --arch ')}`);
}

/** QEMU's binary for an architecture: the environment's override, else the Debian one. */
export function qemuBinary(arch: Arch): string {
  const info = ARCH_INFO[arch];
  return process.env[info.qemuEnv] || info.qemu;
}
