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
  it('parses other suites, pockets and a package of another suite', () => {
    expect(parseKernelSpec('debian:bullseye')).toMatchObject({ kind: 'debian-suite', suite: 'bullseye' });
    expect(parseKernelSpec('debian:bookworm-backports')).toMatchObject({ kind: 'debian-suite', suite: 'bookworm-backports', series: undefined });
    expect(parseKernelSpec('debian:bookworm-backports@6.12')).toMatchObject({ kind: 'debian-suite', suite: 'bookworm-backports', series: '6.12' });
    expect(parseKernelSpec('debian:bullseye/linux-image-5.10.0-46-amd64-unsigned')).toMatchObject({
      kind: 'debian-package', suite: 'bullseye', pkg: 'linux-image-5.10.0-46-amd64-unsigned',
    });
  });
  it('parses path: and tree: to absolute paths', () => {
    expect(parseKernelSpec('path:/boot/vmlinuz-6.1.0-47-amd64')).toEqual({ kind: 'path', image: '/boot/vmlinuz-6.1.0-47-amd64', text: 'path:/boot/vmlinuz-6.1.0-47-amd64' });
    expect(parseKernelSpec('tree:linux')).toMatchObject({ kind: 'tree', dir: `${process.cwd()}/linux` });
  });
  it('parses build: sources and inline options', () => {
    expect(parseKernelSpec('build:linux-source-6.1')).toMatchObject({ kind: 'build', source: { kind: 'debian', pkg: 'linux-source-6.1', series: '6.1' }, options: [] });
    expect(parseKernelSpec('build:linux-source-6.1+IO_STRICT_DEVMEM=n,CONFIG_PROC_KCORE=n')).toMatchObject({
      kind: 'build',
      source: { kind: 'debian', pkg: 'linux-source-6.1' },
      options: [{ name: 'IO_STRICT_DEVMEM', value: 'n' }, { name: 'PROC_KCORE', value: 'n' }],
    });
    expect(parseKernelSpec('build:/src/linux+fix/v2+NR_CPUS=4')).toMatchObject({ source: { kind: 'dir', dir: '/src/linux+fix/v2' }, options: [{ name: 'NR_CPUS', value: '4' }] });
    expect(parseKernelSpec('build:./linux')).toMatchObject({ source: { kind: 'dir', dir: `${process.cwd()}/linux` }, options: [] });
    expect(parseKernelSpec('build:bullseye/linux-source-5.10+STRICT_DEVMEM=n')).toMatchObject({
      source: { kind: 'debian', pkg: 'linux-source-5.10', series: '5.10', suite: 'bullseye' },
      options: [{ name: 'STRICT_DEVMEM', value: 'n' }],
    });
    expect(parseKernelSpec('build:./bullseye/linux-source-5.10')).toMatchObject({ source: { kind: 'dir', dir: `${process.cwd()}/bullseye/linux-source-5.10` } });
    expect(parseKernelSpec('build:/src/linux+stable')).toMatchObject({ source: { kind: 'dir', dir: '/src/linux+stable' } });
  });
  it('keeps the last assignment of a repeated option', () => {
    expect(parseKernelSpec('build:linux-source-6.1+DEVMEM=n,DEVMEM=y')).toMatchObject({ options: [{ name: 'DEVMEM', value: 'y' }] });
  });
  it.each(['bzImage', 'debian:', 'debian:Bookworm!', 'debian:linux-image-$(reboot)', 'path:', 'build:linux', 'build:linux-source-6', 'kernel:6.1', 'debian:bullseye/vmlinuz'])(
    'rejects %s with E_KERNEL_SPEC (input)',
    (s) => {
      expect(() => parseKernelSpec(s)).toThrow(expect.objectContaining({ code: 'E_KERNEL_SPEC', kind: 'input' }));
    },
  );
  it.each(['build:linux-source-6.1+io_strict_devmem=n', 'build:linux-source-6.1+DEVMEM=yes', 'build:linux-source-6.1+DEVMEM=y,,X=y', 'build:linux-source-6.1+CMDLINE="a b,c"'])(
    'rejects bad options in %s with E_KERNEL_OPTION (input) saying what to write',
    (s) => {
      expect(() => parseKernelSpec(s)).toThrow(expect.objectContaining({ code: 'E_KERNEL_OPTION', kind: 'input', hint: expect.stringContaining('NAME=value') }));
    },
  );
  it('suggests the capitalised name for a lower-case option', () => {
    expect(() => parseKernelSpec('build:linux-source-6.1+io_strict_devmem=n')).toThrow(expect.objectContaining({ hint: expect.stringMatching(/^write IO_STRICT_DEVMEM=n/) }));
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
