// Which Debian packages make up one kernel. Debian has shipped a kernel in
// three layouts, and a suite's lists may hold more than one of them:
//   - up to 6.12 (bullseye, bookworm, trixie): one package,
//     linux-image-<abi>-unsigned (and a signed twin, linux-image-<abi>),
//     with boot/vmlinuz-<abi>, boot/config-<abi> and lib/modules/<abi>;
//   - 6.18 (trixie-backports): linux-image-<abi> still holds the image and
//     the modules, and depends on linux-base-<abi>;
//   - 6.19 and later (forky, sid, experimental, trixie-backports): the
//     linux-image-<abi> package is empty and depends on
//     linux-binary-<abi> (usr/lib/modules/<abi>/vmlinuz, signed; an
//     unsigned twin linux-binary-unsigned-<abi>, with vmlinuz.unsigned,
//     where the archive has it),
//     linux-modules-<abi> (the modules) and linux-base-<abi> (config,
//     System.map, modules.order under usr/lib/modules/<abi>/). A pocket
//     may carry the parts without the linux-image-<abi> meta package
//     (trixie-backports had 7.3.4 so).
// The lab names a kernel by its ABI string (`uname -r`, e.g.
// "7.2.13+deb14-amd64") and downloads every part of it that the lists
// have. The files are looked for in either place after unpacking.

export interface AptPackage {
  name: string;
  version: string;
  depends: string;
}

export interface KernelPart {
  name: string;
  version: string;
}

export interface KernelPackages {
  /** The ABI string (the kernel's `uname -r`), e.g. "6.1.0-47-amd64". */
  abi: string;
  /** The package with the image in it (what the report's kernel source names). */
  image: KernelPart;
  /** Every package to download and unpack, image first. */
  parts: KernelPart[];
}

const ABI_FORMS: { re: RegExp; role: 'image' | 'meta-or-image' }[] = [
  { re: /^linux-image-(.+)-unsigned$/, role: 'image' },
  { re: /^linux-binary-unsigned-(.+)$/, role: 'image' },
  { re: /^linux-binary-(.+)$/, role: 'image' },
  { re: /^linux-image-(.+)$/, role: 'meta-or-image' },
];

/**
 * The ABI string a kernel package is named after, or undefined for other
 * packages (metapackages such as linux-image-amd64 carry no version).
 */
export function kernelAbi(name: string): string | undefined {
  for (const f of ABI_FORMS) {
    const m = f.re.exec(name);
    // An ABI starts with its version: "6.1.0-47-amd64", "7.3-amd64".
    if (m && /^[0-9]+\.[0-9]+/.test(m[1])) return m[1];
  }
  return undefined;
}

/**
 * The plain flavour of an architecture: "-amd64" (not "-cloud-amd64" or
 * "-rt-amd64"), "-arm64" (not "-rt-arm64", "-cloud-arm64" or "-arm64-16k").
 */
export const isPlainFlavour = (abi: string, debianArch: string = 'amd64'): boolean =>
  abi.endsWith(`-${debianArch}`) && !/-(cloud|rt)-[a-z0-9]+$/.test(abi);

/** "6.1" matches "6.1.0-47-amd64" and "6.1-amd64", never "6.12…". */
export const inSeries = (abi: string, series: string): boolean => abi.startsWith(series) && /^[.+-]/.test(abi.slice(series.length));

/** Every name a part of kernel `abi` can have, in order of preference per role. */
export function candidateNames(abi: string): { image: string[]; modules: string; base: string } {
  return {
    // Unsigned first: the same image the lab has always booted, and it is
    // in the archive on the day the signed one is still being built.
    image: [`linux-image-${abi}-unsigned`, `linux-binary-unsigned-${abi}`, `linux-binary-${abi}`, `linux-image-${abi}`],
    modules: `linux-modules-${abi}`,
    base: `linux-base-${abi}`,
  };
}

/**
 * The parts of kernel `abi` among the packages the lists have. `requested`
 * is a package the user named: it is the image part unless it is the new
 * layout's empty linux-image-<abi>. Undefined when the lists hold no image.
 */
export function pickKernelParts(abi: string, available: AptPackage[], requested?: string): KernelPackages | undefined {
  const byName = new Map(available.map((p) => [p.name, p]));
  const names = candidateNames(abi);
  const hasBinary = names.image.slice(1, 3).some((n) => byName.has(n));
  const isMeta = (n: string) => n === `linux-image-${abi}` && hasBinary;
  const imageName = requested && byName.has(requested) && !isMeta(requested)
    ? requested
    : names.image.find((n) => byName.has(n) && !isMeta(n));
  if (!imageName) return undefined;
  const image = byName.get(imageName)!;
  const parts: KernelPart[] = [{ name: image.name, version: image.version }];
  for (const n of [names.modules, names.base]) {
    const p = byName.get(n);
    // A part of another upload (a pocket mid-transition) would not match the image.
    if (p && p.version === image.version) parts.push({ name: p.name, version: p.version });
  }
  return { abi, image: parts[0], parts };
}

/** The ABI a suite's default kernel has: linux-image-amd64 depends on linux-image-<abi>. */
export function defaultAbi(meta: AptPackage | undefined): string | undefined {
  for (const dep of (meta?.depends ?? '').split(',')) {
    const name = dep.trim().split(/[\s(|]/)[0];
    const abi = kernelAbi(name);
    if (abi && name.startsWith('linux-image-')) return abi;
  }
  return undefined;
}
