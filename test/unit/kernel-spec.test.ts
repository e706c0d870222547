import { describe, expect, it } from 'vitest';
import { parseAptShow } from '../../src/kernel/debian.js';
import { defaultAbi, inSeries, isPlainFlavour, kernelAbi, pickKernelParts } from '../../src/kernel/debian-parts.js';
import { KERNEL_FORMS, parseKernelSpec } from '../../src/kernel/spec.js';
import { resolveKernel } from '../../src/kernel/resolve.js';
import type { LabError } from '../../src/util/errors.js';
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
  const abis = [
    'linux-image-6.1.0-47-amd64-unsigned',
    'linux-image-6.1.0-47-cloud-amd64-unsigned',
    'linux-image-6.1.0-47-rt-amd64-unsigned',
    'linux-image-6.12.117+deb12-amd64-unsigned',
    'linux-binary-unsigned-7.3.4+deb13-amd64',
    'linux-image-7.3-amd64',
    'linux-image-amd64',
  ].map((n) => kernelAbi(n));
  it('names a kernel by its ABI string in every layout; metapackages have none', () => {
    expect(abis).toEqual(['6.1.0-47-amd64', '6.1.0-47-cloud-amd64', '6.1.0-47-rt-amd64', '6.12.117+deb12-amd64', '7.3.4+deb13-amd64', '7.3-amd64', undefined]);
  });
  it('keeps the plain amd64 flavour of a series; 6.1 does not match 6.12', () => {
    const plain = abis.filter((a): a is string => a !== undefined && isPlainFlavour(a, 'amd64'));
    expect(plain.filter((a) => inSeries(a, '6.1'))).toEqual(['6.1.0-47-amd64']);
    expect(plain.filter((a) => inSeries(a, '6.12'))).toEqual(['6.12.117+deb12-amd64']);
    expect(plain.filter((a) => inSeries(a, '7.3'))).toEqual(['7.3.4+deb13-amd64', '7.3-amd64']);
  });
  it('keeps the plain arm64 flavour: not -rt-arm64, -cloud-arm64 or the 16 KiB page -arm64-16k', () => {
    // Names as Debian trixie's arm64 lists had them.
    const arm = ['6.12.118+deb13-arm64', '6.12.118+deb13-rt-arm64', '6.12.118+deb13-cloud-arm64', '6.12.118+deb13-arm64-16k', '6.12.118+deb13-amd64'];
    expect(arm.filter((a) => isPlainFlavour(a, 'arm64'))).toEqual(['6.12.118+deb13-arm64']);
    expect(arm.filter((a) => isPlainFlavour(a, 'amd64'))).toEqual(['6.12.118+deb13-amd64']);
  });

  // Stanzas as Debian's lists had them (apt-cache show, Depends shortened).
  const pkg = (name: string, version: string, depends = '') => ({ name, version, depends });
  it('bookworm: the one -unsigned package, not its signed twin', () => {
    const k = pickKernelParts('6.1.0-47-amd64', [pkg('linux-image-6.1.0-47-amd64', '6.1.192-2'), pkg('linux-image-6.1.0-47-amd64-unsigned', '6.1.192-2')]);
    expect(k?.parts).toEqual([{ name: 'linux-image-6.1.0-47-amd64-unsigned', version: '6.1.192-2' }]);
  });
  it('sid: the empty linux-image-<abi> is replaced by binary + modules + base', () => {
    const v = '7.2.13-1';
    const lists = [
      pkg('linux-image-7.2.13+deb14-amd64', v, `linux-base-7.2.13+deb14-amd64 (= ${v}), linux-binary-7.2.13+deb14-amd64 (= ${v}), linux-modules-7.2.13+deb14-amd64 (= ${v})`),
      pkg('linux-binary-7.2.13+deb14-amd64', v), pkg('linux-modules-7.2.13+deb14-amd64', v), pkg('linux-base-7.2.13+deb14-amd64', v),
    ];
    expect(pickKernelParts('7.2.13+deb14-amd64', lists)?.parts.map((p) => p.name)).toEqual(['linux-binary-7.2.13+deb14-amd64', 'linux-modules-7.2.13+deb14-amd64', 'linux-base-7.2.13+deb14-amd64']);
    // Naming the meta package gives the same parts.
    expect(pickKernelParts('7.2.13+deb14-amd64', lists, 'linux-image-7.2.13+deb14-amd64')?.image.name).toBe('linux-binary-7.2.13+deb14-amd64');
  });
  it('trixie-backports: parts without a meta package, the unsigned binary first; a part of another upload is left out', () => {
    const v = '7.3.4-1~bpo13+1';
    const k = pickKernelParts('7.3.4+deb13-amd64', [
      pkg('linux-binary-unsigned-7.3.4+deb13-amd64', v), pkg('linux-binary-7.3.4+deb13-amd64', v),
      pkg('linux-modules-7.3.4+deb13-amd64', v), pkg('linux-base-7.3.4+deb13-amd64', '7.3.4-2~bpo13+1'),
    ]);
    expect(k?.parts).toEqual([{ name: 'linux-binary-unsigned-7.3.4+deb13-amd64', version: v }, { name: 'linux-modules-7.3.4+deb13-amd64', version: v }]);
  });
  it('a named signed package of the single-package layout is taken as asked', () => {
    const k = pickKernelParts('6.1.0-47-amd64', [pkg('linux-image-6.1.0-47-amd64', '6.1.192-2'), pkg('linux-image-6.1.0-47-amd64-unsigned', '6.1.192-2')], 'linux-image-6.1.0-47-amd64');
    expect(k?.image.name).toBe('linux-image-6.1.0-47-amd64');
  });
  it('no image part: nothing to boot', () => {
    expect(pickKernelParts('7.2.13+deb14-amd64', [pkg('linux-modules-7.2.13+deb14-amd64', '7.2.13-1')])).toBeUndefined();
  });
  it("a suite's default ABI comes from linux-image-amd64's dependency, not linux-base-amd64's", () => {
    expect(defaultAbi(pkg('linux-image-amd64', '7.2.13-1', 'linux-base-amd64 (= 7.2.13-1), linux-image-7.2.13+deb14-amd64 (= 7.2.13-1)'))).toBe('7.2.13+deb14-amd64');
    expect(defaultAbi(pkg('linux-image-amd64', '6.1.192-2', 'linux-image-6.1.0-47-amd64 (= 6.1.192-2)'))).toBe('6.1.0-47-amd64');
    expect(defaultAbi(undefined)).toBeUndefined();
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

describe('kernel sources (kernel/schemes/)', () => {
  it('the usage text names every scheme, and an unknown one is refused with all of them', () => {
    const schemes = KERNEL_FORMS.map((f) => f.split(':')[0]);
    expect([...new Set(schemes)]).toEqual(['debian', 'path', 'tree', 'build']);
    const e = (() => {
      try {
        parseKernelSpec('git:linux');
      } catch (err) {
        return err as LabError;
      }
    })();
    expect(e?.code).toBe('E_KERNEL_SPEC');
    expect(e?.hint).toMatch(/^write one of: debian:<suite> .*path:<bzImage>.*tree:<dir>.*build:/);
  });

  it('a source-specific option given to another source is refused before anything is fetched', async () => {
    const usage = async (spec: string, opts: object) => resolveKernel(spec, opts).then(() => 'resolved', (e: LabError) => `${e.code}: ${e.message}`);
    expect(await usage('debian:bookworm', { modules: '/tmp' })).toBe('E_USAGE: --modules and --config go with --kernel path:, not debian:');
    expect(await usage('tree:/nonexistent', { config: '/tmp/c' })).toBe('E_USAGE: --modules and --config go with --kernel path:, not tree:');
    expect(await usage('path:/nonexistent', { configFragment: '/tmp/f' })).toBe('E_USAGE: --config-fragment goes with --kernel build:, not path:');
  });
});
