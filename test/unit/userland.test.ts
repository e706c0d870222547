import { describe, expect, it } from 'vitest';
import { firstAlternatives, parseReadelf } from '../../src/image/userland.js';

describe('the guest userland of another architecture', () => {
  it("reads dropbear's NEEDED libraries and interpreter from readelf (Debian bookworm's arm64 dropbear-bin 2022.83-1+deb12u3)", () => {
    const dynamic = [
      'Dynamic section at offset 0x3fd68 contains 31 entries:',
      '  Tag        Type                         Name/Value',
      ' 0x0000000000000001 (NEEDED)             Shared library: [libtomcrypt.so.1]',
      ' 0x0000000000000001 (NEEDED)             Shared library: [libtommath.so.1]',
      ' 0x0000000000000001 (NEEDED)             Shared library: [libz.so.1]',
      ' 0x0000000000000001 (NEEDED)             Shared library: [libcrypt.so.1]',
      ' 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]',
      ' 0x0000000000000001 (NEEDED)             Shared library: [ld-linux-aarch64.so.1]',
      ' 0x000000000000000c (INIT)               0x4a18',
    ].join('\n');
    const program = ['  INTERP         0x0000000000000238 0x0000000000000238 0x0000000000000238', '                 0x000000000000001b 0x000000000000001b  R      0x1', '      [Requesting program interpreter: /lib/ld-linux-aarch64.so.1]'].join('\n');
    expect(parseReadelf(dynamic, program)).toEqual({
      needed: ['libtomcrypt.so.1', 'libtommath.so.1', 'libz.so.1', 'libcrypt.so.1', 'libc.so.6', 'ld-linux-aarch64.so.1'],
      interpreter: '/lib/ld-linux-aarch64.so.1',
    });
  });
  it('a static binary has neither', () => {
    expect(parseReadelf('\nThere is no dynamic section in this file.\n', 'Elf file type is EXEC (Executable file)\n')).toEqual({ needed: [] });
  });
  it("follows the first alternative of each Depends entry, without versions or :any (dropbear-bin's and libc6's fields)", () => {
    expect(firstAlternatives('libc6 (>= 2.34), libcrypt1 (>= 1:4.1.0), libtomcrypt1 (>= 1.18.1), libtommath1 (>= 1.2.0), zlib1g (>= 1:1.1.4)'))
      .toEqual(['libc6', 'libcrypt1', 'libtomcrypt1', 'libtommath1', 'zlib1g']);
    expect(firstAlternatives('libgcc-s1, debconf (>= 0.5) | debconf-2.0, perl:any')).toEqual(['libgcc-s1', 'debconf', 'perl']);
    expect(firstAlternatives('')).toEqual([]);
  });
});
