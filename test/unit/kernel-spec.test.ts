import { describe, expect, it } from 'vitest';
import { parseAptShow, pickFlavour } from '../../src/kernel/debian.js';
import { parseKernelSpec } from '../../src/kernel/spec.js';
import { parseConfigText } from '../../src/kernel/config.js';

describe('kernel specs', () => {
  it('parses the debian forms', () => {
    expect(parseKernelSpec('debian:bookworm')).toMatchObject({ kind: 'debian-suite', suite: 'bookworm', series: undefined });
    expect(parseKernelSpec('debian:bookworm@6.12')).toMatchObject({ kind: 'debian-suite', suite: 'bookworm', series: '6.12' });
    expect(parseKernelSpec('debian:linux-image-6.1.0-47-amd64-unsigned')).toMatchObject({ kind: 'debian-package' });
  });
  it.each(['bzImage', 'debian:', 'debian:Bookworm!', 'debian:linux-image-$(reboot)'])('rejects %s with E_KERNEL_SPEC (input)', (s) => {
    expect(() => parseKernelSpec(s)).toThrow(expect.objectContaining({ code: 'E_KERNEL_SPEC', kind: 'input' }));
  });
});

describe('Debian package choice', () => {
  const names = [
    'linux-image-6.1.0-47-amd64-unsigned',
    'linux-image-6.1.0-47-cloud-amd64-unsigned',
    'linux-image-6.1.0-47-rt-amd64-unsigned',
    'linux-image-6.12.117+deb12-amd64-unsigned',
    'linux-image-amd64',
  ];
  it('keeps the plain amd64 flavour of a series; 6.1 does not match 6.12', () => {
    expect(pickFlavour(names, '6.1')).toEqual(['linux-image-6.1.0-47-amd64-unsigned']);
    expect(pickFlavour(names, '6.12')).toEqual(['linux-image-6.12.117+deb12-amd64-unsigned']);
  });
  it('reads apt-cache show stanzas', () => {
    const p = parseAptShow('Package: a\nVersion: 1\nDepends: linux-image-x (= 1)\n\nPackage: b\nVersion: 2\n');
    expect(p).toEqual([
      { name: 'a', version: '1', depends: 'linux-image-x (= 1)' },
      { name: 'b', version: '2', depends: '' },
    ]);
  });
});

describe('kernel config', () => {
  it('reads =y/=m values and "is not set" as n', () => {
    const c = parseConfigText('CONFIG_DEVMEM=y\n# CONFIG_IO_STRICT_DEVMEM is not set\nCONFIG_VIRTIO_MEM=m\nCONFIG_LOCALVERSION=""\n');
    expect(c.get('DEVMEM')).toBe('y');
    expect(c.get('IO_STRICT_DEVMEM')).toBe('n');
    expect(c.get('VIRTIO_MEM')).toBe('m');
    expect(c.get('LOCALVERSION')).toBe('');
  });
});
