// A kernel the lab can boot: image, modules, config and version, on disk in
// the cache. Every kind of kernel spec resolves to this.

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
}

export type KernelSpec =
  | { kind: 'debian-suite'; suite: string; series?: string; text: string }
  | { kind: 'debian-package'; pkg: string; text: string };
