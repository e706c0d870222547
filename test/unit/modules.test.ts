import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { formatModulesDep, MissingModuleError, moduleClosure, parseBuiltin, parseModulesDep, readModuleFile } from '../../src/image/modules.js';

// Shaped like Debian 6.1's modules.dep (virtio_pci a module) and 6.12's
// (.ko.xz, virtio_pci built in).
const dep61 = parseModulesDep(`kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_mem.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
`);

describe('moduleClosure', () => {
  it('lists dependencies before the modules that need them, once each', () => {
    const paths = moduleClosure(['virtio_pci', 'virtio_mem'], dep61, new Set()).map((m) => m.path.replace(/^.*\//, ''));
    expect(paths).toEqual(['virtio_pci_legacy_dev.ko', 'virtio_pci_modern_dev.ko', 'virtio.ko', 'virtio_ring.ko', 'virtio_pci.ko', 'virtio_mem.ko']);
  });

  it('skips built-in modules and unpacks compressed names', () => {
    const dep = parseModulesDep('kernel/drivers/virtio/virtio_mem.ko.xz:\n');
    const builtin = parseBuiltin('kernel/drivers/virtio/virtio_pci.ko\n');
    const closure = moduleClosure(['virtio_pci', 'virtio_mem'], dep, builtin);
    expect(formatModulesDep(closure)).toBe('kernel/drivers/virtio/virtio_mem.ko:\n');
  });

  it('names the missing module', () => {
    expect(() => moduleClosure(['virtio_mem'], new Map(), new Set())).toThrow(MissingModuleError);
  });
});

describe('readModuleFile', () => {
  // A signed module ends in the marker module_sig_check() compares, newline
  // included; Debian's 6.12 modules are .ko.xz.
  const signed = Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(64, 7), Buffer.from('~Module signature appended~\n')]);

  it.each([['xz'], ['gzip']])('unpacks %s byte for byte, keeping the final newline', async (tool) => {
    const dir = await mkdtemp(join(tmpdir(), 'devmem-lab-mod-'));
    try {
      const plain = join(dir, 'm.ko');
      await writeFile(plain, signed);
      await execa(tool, ['-k', plain]);
      const packed = `${plain}.${tool === 'gzip' ? 'gz' : 'xz'}`;
      expect(Buffer.compare(await readModuleFile(packed), signed)).toBe(0);
      expect(Buffer.compare(await readModuleFile(plain), signed)).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('moduleSigned', () => {
  it('reads the appended-signature marker, newline included, through modules.dep', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { moduleSigned } = await import('../../src/image/modules.js');
    const d = mkdtempSync(join(tmpdir(), 'devmem-lab-sig-'));
    try {
      mkdirSync(join(d, 'kernel'));
      writeFileSync(join(d, 'modules.dep'), 'kernel/virtio_mem.ko:\nkernel/other.ko:\nkernel/chopped.ko:\n');
      writeFileSync(join(d, 'kernel/virtio_mem.ko'), Buffer.concat([Buffer.from('\x7fELF...sig...'), Buffer.from('~Module signature appended~\n')]));
      writeFileSync(join(d, 'kernel/other.ko'), Buffer.from('\x7fELF...'));
      writeFileSync(join(d, 'kernel/chopped.ko'), Buffer.from('\x7fELF~Module signature appended~'));
      expect(await moduleSigned(d, 'virtio_mem')).toBe(true);
      expect(await moduleSigned(d, 'other')).toBe(false);
      expect(await moduleSigned(d, 'chopped')).toBe(false);
      expect(await moduleSigned(d, 'absent')).toBeUndefined();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
