// The arm64 Image header (Documentation/arch/arm64/booting.rst): a 64-byte
// header whose magic "ARM\x64" sits at offset 0x38, and the release from
// init/version.c's banner, which an uncompressed Image carries as text.
import { describe, expect, it } from 'vitest';
import { arm64ImageProblem, bannerRelease } from '../../src/kernel/image-header.js';

/** 64 bytes as booting.rst lays them out: code0/code1, text_offset, image_size, flags, res2-4, magic, res5. */
function header(magic = 0x644d5241): Buffer {
  const h = Buffer.alloc(0x40);
  h.writeUInt32LE(0x91005a4d, 0); // code0: "MZ" + add x13, x18, #0x16 (the EFI stub's first instruction)
  h.writeBigUInt64LE(0n, 0x08); // text_offset
  h.writeBigUInt64LE(0x2000000n, 0x10); // image_size
  h.writeBigUInt64LE(0xan, 0x18); // flags: little-endian, 4K pages, anywhere
  h.writeUInt32LE(magic, 0x38);
  return h;
}

describe('arm64 Image', () => {
  it('accepts the header with the magic at 0x38', () => {
    expect(arm64ImageProblem(header())).toBeUndefined();
  });
  it('names what else it is: another magic, an ELF vmlinux, an x86 bzImage, too short', () => {
    expect(arm64ImageProblem(header(0x12345678))).toBe('no-magic');
    expect(arm64ImageProblem(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]))).toBe('elf');
    const bz = Buffer.alloc(0x400);
    bz.write('HdrS', 0x202, 'latin1');
    expect(arm64ImageProblem(bz)).toBe('bzimage');
    expect(arm64ImageProblem(Buffer.alloc(0x20))).toBe('short');
  });
  it("reads the release from the banner, as Debian's 6.1.0-57-arm64 Image has it", () => {
    const image = Buffer.concat([header(), Buffer.alloc(100), Buffer.from('Linux version 6.1.0-57-arm64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) # SMP Debian 6.1.192-3 (2026-11-26)\n\0', 'latin1')]);
    expect(bannerRelease(image)).toBe('6.1.0-57-arm64');
    expect(bannerRelease(header())).toBeUndefined();
  });
});
