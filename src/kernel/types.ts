// A kernel the lab can boot: image, modules, config and version, on disk in
// the cache. Every kind of kernel spec resolves to this.
import type { Arch } from '../util/arch.js';

/** How the virtio-mem device must be configured for this kernel's driver. */
export interface DeviceOptions {
  /**
   * QEMU's `unplugged-inaccessible` property of virtio-mem-pci. Drivers that
   * predate VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE (Linux < 5.16) cannot accept
   * the feature and fail with "device refuses features" unless it is 'off'.
   */
  unpluggedInaccessible: 'on' | 'off';
  /** What was probed to decide, e.g. the driver's feature table. */
  why: string;
}

export interface ResolvedKernel {
  /** The spec the user gave, e.g. "debian:bookworm". */
  spec: string;
  /** What it resolved to, e.g. "linux-image-6.1.0-47-amd64-unsigned 6.1.192-2". */
  source: string;
  /** `uname -r` of the kernel, e.g. "6.1.0-47-amd64". */
  release: string;
  /** Path of the bzImage. */
  image: string;
  /** Path of the kernel's config file. */
  config: string;
  /** /lib/modules/<release> of this kernel. */
  modulesDir: string;
  /** sha256 of the image: the cache key of everything built from it. */
  imageSha256: string;
  /** The kernel's architecture (absent in manifests written before arm64: x86_64); set by resolveKernel(). */
  arch?: Arch;
  /** Device options the kernel needs; set by resolveKernel(). */
  deviceOptions?: DeviceOptions;
}

/** `KEY=value` lines for a kernel build, normalized (`CONFIG_` prefix, `n` as "is not set"). */
export interface ConfigOption {
  name: string;
  value: string;
}

export interface DebianSuiteSpec {
  kind: 'debian-suite';
  suite: string;
  series?: string;
  text: string;
}

export interface DebianPackageSpec {
  kind: 'debian-package';
  pkg: string;
  suite?: string;
  text: string;
}

/** A kernel built from a Debian linux-source-X.Y package or a source tree, with extra options. */
export interface BuildSpec {
  kind: 'build';
  /** A Debian linux-source-X.Y package (of the host's suite, or of `suite` via private apt), or a tree. */
  source: { kind: 'debian'; pkg: string; series: string; suite?: string } | { kind: 'dir'; dir: string };
  options: ConfigOption[];
  text: string;
}
