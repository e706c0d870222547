// The x86 boot protocol header of a bzImage (Documentation/arch/x86/boot.rst):
// enough to tell an x86-64 bzImage QEMU can boot with -kernel from anything
// else, and to read the release it was built as.
import { open } from 'node:fs/promises';
import { inputError } from '../util/errors.js';

export interface BzImageHeader {
  /** Boot protocol version, e.g. 0x20f. */
  protocol: number;
  /** XLF_KERNEL_64: the kernel has the 64-bit entry point. */
  kernel64: boolean;
  /** The kernel_version string, e.g. "6.1.0-47-amd64 (debian-kernel@…) #1 SMP …". */
  versionString?: string;
  /** Its first word: `uname -r`. */
  release?: string;
}

export type HeaderProblem = 'short' | 'elf' | 'no-boot-flag' | 'no-hdrs' | 'old-protocol' | 'not-64bit';

// The version string lives in the setup code: below 0x200 * (setup_sects + 1), at most 32 KiB.
const HEADER_BYTES = 0x8000;

/** Parses the setup header; returns the problem instead when it is no x86-64 bzImage. */
export function parseBzImageHeader(buf: Buffer): BzImageHeader | { problem: HeaderProblem } {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x7f454c46) return { problem: 'elf' };
  if (buf.length < 0x250) return { problem: 'short' };
  if (buf.readUInt16LE(0x1fe) !== 0xaa55) return { problem: 'no-boot-flag' };
  if (buf.toString('latin1', 0x202, 0x206) !== 'HdrS') return { problem: 'no-hdrs' };
  const protocol = buf.readUInt16LE(0x206);
  // xloadflags exists from protocol 2.12 (Linux 3.8) on.
  if (protocol < 0x20c) return { problem: 'old-protocol' };
  const kernel64 = (buf.readUInt16LE(0x236) & 1) !== 0;
  if (!kernel64) return { problem: 'not-64bit' };
  const ptr = buf.readUInt16LE(0x20e);
  let versionString: string | undefined;
  if (ptr !== 0 && ptr + 0x200 < buf.length) {
    const start = ptr + 0x200;
    const end = buf.indexOf(0, start);
    versionString = buf.toString('latin1', start, end < 0 ? Math.min(buf.length, start + 256) : end);
  }
  return { protocol, kernel64, versionString, release: versionString?.split(' ')[0] || undefined };
}

const WHY: Record<HeaderProblem, string> = {
  short: 'it is too short to hold a boot sector and setup header',
  elf: 'it is an ELF file (such as an uncompressed vmlinux), not a bzImage',
  'no-boot-flag': 'its boot sector lacks the 0x55AA boot flag',
  'no-hdrs': 'its setup header lacks the "HdrS" magic',
  'old-protocol': 'its boot protocol predates 2.12 (Linux 3.8), so it cannot say whether it is 64-bit',
  'not-64bit': 'its setup header does not set XLF_KERNEL_64: it is a 32-bit kernel',
};

/** Reads and checks a bzImage; an input error says why it cannot boot and what to give instead. */
export async function readBzImageHeader(path: string): Promise<BzImageHeader> {
  let buf: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const b = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await fh.read(b, 0, HEADER_BYTES, 0);
      buf = b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('E_KERNEL_FILE', `cannot read kernel image ${path}${code ? ` (${code})` : ''}`,
      code === 'ENOENT' ? 'give the path of an existing bzImage (e.g. arch/x86/boot/bzImage of a built tree, or /boot/vmlinuz-<release>)' : 'make the file readable by the user running the lab');
  }
  const h = parseBzImageHeader(buf);
  if ('problem' in h) {
    throw inputError('E_KERNEL_NOT_BZIMAGE', `${path} is not an x86-64 bzImage: ${WHY[h.problem]}`,
      'give an x86-64 bzImage: arch/x86/boot/bzImage of a kernel built with CONFIG_64BIT=y, or /boot/vmlinuz-<release> of an amd64 kernel');
  }
  return h;
}
