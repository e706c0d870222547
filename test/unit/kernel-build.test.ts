import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseFragment, buildKey } from '../../src/kernel/build.js';
import { parseConfigText } from '../../src/kernel/config.js';
import { configLine, formatFragment, mergeOptions, parseFragmentText, parseOptionList, unmetOptions } from '../../src/kernel/fragment.js';
import { orderedModules } from '../../src/kernel/local.js';
import { pkgPath } from '../../src/util/paths.js';
import { readFileSync } from 'node:fs';

describe('build cache key', () => {
  const base = { identity: 'linux-source-6.1 6.1.192-2', fragment: 'CONFIG_DEVMEM=y\n', options: parseOptionList('IO_STRICT_DEVMEM=n,PROC_KCORE=n'), compiler: 'gcc (Debian 12.2.0-14) 12.2.0' };
  it('is the same for the same input, however the options were ordered', () => {
    expect(buildKey(base)).toBe(buildKey({ ...base }));
    expect(buildKey(base)).toBe(buildKey({ ...base, options: parseOptionList('PROC_KCORE=n,CONFIG_IO_STRICT_DEVMEM=n') }));
    expect(buildKey(base)).toMatch(/^[0-9a-f]{24}$/);
  });
  it('changes with the fragment, an option, the source and the compiler', () => {
    const k = buildKey(base);
    expect(buildKey({ ...base, fragment: 'CONFIG_DEVMEM=y\nCONFIG_X86_PAT=y\n' })).not.toBe(k);
    expect(buildKey({ ...base, options: parseOptionList('IO_STRICT_DEVMEM=y,PROC_KCORE=n') })).not.toBe(k);
    expect(buildKey({ ...base, options: [] })).not.toBe(k);
    expect(buildKey({ ...base, identity: 'linux-source-6.1 6.1.193-1' })).not.toBe(k);
    expect(buildKey({ ...base, compiler: 'gcc (Debian 13.2.0-1) 13.2.0' })).not.toBe(k);
  });
});

describe('config fragments', () => {
  it('reads .config syntax: values, "is not set", comments; rejects anything else with a hint', () => {
    expect(parseFragmentText('# a comment\nCONFIG_DEVMEM=y\n# CONFIG_IO_STRICT_DEVMEM is not set\n\nCONFIG_CMDLINE="a,b c"\nCONFIG_NR_CPUS=4\n', 'f')).toEqual([
      { name: 'DEVMEM', value: 'y' },
      { name: 'IO_STRICT_DEVMEM', value: 'n' },
      { name: 'CMDLINE', value: '"a,b c"' },
      { name: 'NR_CPUS', value: '4' },
    ]);
    expect(() => parseFragmentText('DEVMEM=y\n', 'f')).toThrow(expect.objectContaining({ code: 'E_KERNEL_OPTION', kind: 'input', hint: expect.stringContaining('CONFIG_NAME=value') }));
  });
  it('merges lists, later ones winning, and writes .config lines', () => {
    const m = mergeOptions(parseOptionList('DEVMEM=n,X86_PAT=y'), parseOptionList('DEVMEM=y'));
    expect(m).toEqual([{ name: 'X86_PAT', value: 'y' }, { name: 'DEVMEM', value: 'y' }]);
    expect(configLine({ name: 'IO_STRICT_DEVMEM', value: 'n' })).toBe('# CONFIG_IO_STRICT_DEVMEM is not set');
    expect(formatFragment(m)).toBe('CONFIG_X86_PAT=y\nCONFIG_DEVMEM=y\n');
  });
  it('finds options the final .config did not take', () => {
    const final = parseConfigText('CONFIG_DEVMEM=y\nCONFIG_MODULE_SIG=y\nCONFIG_CMDLINE="x"\n');
    const u = unmetOptions(parseFragmentText('CONFIG_DEVMEM=y\n# CONFIG_MODULE_SIG is not set\nCONFIG_FOO=y\n# CONFIG_BAR is not set\nCONFIG_CMDLINE="x"\n', 'f'), final);
    expect(u).toEqual([
      { option: { name: 'MODULE_SIG', value: 'n' }, got: 'y' },
      { option: { name: 'FOO', value: 'y' }, got: 'n' },
    ]);
  });
  it('the lab fragment for 6.1 asks for what the lab needs', () => {
    const f = parseFragmentText(readFileSync(pkgPath('qemu-config/minimal-6.1.config'), 'utf8'), 'minimal-6.1.config');
    const v = Object.fromEntries(f.map((o) => [o.name, o.value]));
    expect(v).toMatchObject({
      '64BIT': 'y', PCI: 'y', VIRTIO_PCI: 'y', VIRTIO_NET: 'y', VIRTIO_MEM: 'm', MEMORY_HOTPLUG: 'y', MEMORY_HOTREMOVE: 'y',
      DEVMEM: 'y', STRICT_DEVMEM: 'y', IO_STRICT_DEVMEM: 'y', X86_PAT: 'y', SERIAL_8250_CONSOLE: 'y', BLK_DEV_INITRD: 'y',
      DEVTMPFS: 'y', PROC_KCORE: 'y', SECURITY_LOCKDOWN_LSM: 'y', MODULES: 'y', MODULE_UNLOAD: 'y', NET: 'y', INET: 'y', UNIX: 'y',
      MAGIC_SYSRQ: 'y', PRINTK: 'y', BINFMT_SCRIPT: 'y',
    });
  });
  it('picks minimal-<series>.config, else the newest older one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-frag-'));
    try {
      writeFileSync(join(dir, 'minimal-5.10.config'), 'a\n');
      writeFileSync(join(dir, 'minimal-6.1.config'), 'b\n');
      writeFileSync(join(dir, 'default.json'), '{}');
      expect((await baseFragment('6.1', dir)).name).toBe('minimal-6.1.config');
      expect((await baseFragment('6.12', dir)).name).toBe('minimal-6.1.config');
      expect((await baseFragment('5.15', dir)).name).toBe('minimal-5.10.config');
      expect((await baseFragment('4.19', dir)).name).toBe('minimal-5.10.config');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tree modules', () => {
  it('reads modules.order of 6.1 (.ko) and 6.2+ (.o) alike', () => {
    expect(orderedModules('drivers/virtio/virtio_mem.ko\nfs/fat/fat.ko\n')).toEqual(['drivers/virtio/virtio_mem.ko', 'fs/fat/fat.ko']);
    expect(orderedModules('drivers/virtio/virtio_mem.o\n')).toEqual(['drivers/virtio/virtio_mem.ko']);
  });
  it('refuses a modules.order path that leaves the tree', () => {
    for (const bad of ['../../../../etc/cron.d/x.o', '/etc/passwd', 'drivers/../../outside.ko']) {
      expect(() => orderedModules(`drivers/virtio/virtio_mem.o\n${bad}\n`), bad).toThrow(expect.objectContaining({ code: 'E_KERNEL_PATH' }));
    }
    // A '..' inside a name is not a parent directory.
    expect(orderedModules('drivers/a..b/c.o\n')).toEqual(['drivers/a..b/c.ko']);
  });
});
