// What the lab needs to know of a kernel image before it boots one: that it
// is an image of the run's architecture that QEMU's -kernel loads, and the
// release it was built as. x86-64: the bzImage setup header (bzimage.ts).
// arm64: the Image header (Documentation/arch/arm64/booting.rst): magic
// "ARM\x64" at offset 0x38; the release is the "Linux version" banner
// (init/version.c linux_banner), which an uncompressed Image carries as is.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Arch } from '../util/arch.js';
import { inputError } from '../util/errors.js';
import { readBzImageHeader } from './bzimage.js';

export interface ImageInfo {
  /** `uname -r` of the image, when it says. */
  release?: string;
}

const ARM64_MAGIC = 0x644d5241; // "ARM\x64", little-endian at 0x38
const GZIP = 0x1f8b;

export type Arm64Problem = 'short' | 'elf' | 'bzimage' | 'no-magic';

/** The arm64 Image header's verdict on the first 64 bytes. */
export function arm64ImageProblem(head: Buffer): Arm64Problem | undefined {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) return 'elf';
  if (head.length < 0x40) return 'short';
  if (head.length >= 0x206 && head.toString('latin1', 0x202, 0x206) === 'HdrS') return 'bzimage';
  return head.readUInt32LE(0x38) === ARM64_MAGIC ? undefined : 'no-magic';
}

/** The release in a kernel's "Linux version <release> (…)" banner. */
export function bannerRelease(image: Buffer): string | undefined {
  const at = image.indexOf('Linux version ');
  if (at < 0) return undefined;
  return /^Linux version (\S+)/.exec(image.toString('latin1', at, at + 200))?.[1];
}

const WHY: Record<Arm64Problem, string> = {
  short: 'it is too short to hold an arm64 Image header',
  elf: 'it is an ELF file (such as vmlinux), not an Image',
  bzimage: 'it is an x86 bzImage',
  'no-magic': 'it lacks the arm64 Image magic "ARM\\x64" at offset 0x38',
};

async function readArm64Image(path: string): Promise<ImageInfo> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('E_KERNEL_FILE', `cannot read kernel image ${path}${code ? ` (${code})` : ''}`, 'give the path of an existing arm64 Image (arch/arm64/boot/Image, or /boot/vmlinuz-<release> of an arm64 kernel)');
  }
  // QEMU's -kernel unpacks a gzip-compressed Image (Image.gz) itself.
  if (data.length > 2 && data.readUInt16BE(0) === GZIP) data = gunzipSync(data);
  const problem = arm64ImageProblem(data.subarray(0, 0x400));
  if (problem) {
    throw inputError('E_KERNEL_NOT_BZIMAGE', `${path} is not an arm64 Image: ${WHY[problem]}`,
      'give an arm64 Image: arch/arm64/boot/Image (or Image.gz) of a built tree, or /boot/vmlinuz-<release> of an arm64 kernel; an x86-64 bzImage goes with --arch x86_64');
  }
  return { release: bannerRelease(data) };
}

/** Checks that `path` is a kernel image of `arch` and reads its release; an input error says why not. */
export async function readKernelImage(path: string, arch: Arch): Promise<ImageInfo> {
  if (arch === 'arm64') return readArm64Image(path);
  return readBzImageHeader(path);
}
