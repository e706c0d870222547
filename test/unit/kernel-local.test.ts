// path:, tree: and the options that go with them: what a user gets told
// when the files do not make a kernel the lab can use.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findModulesDir, resolvePathKernel, resolveTreeKernel } from '../../src/kernel/local.js';
import { resolveKernel } from '../../src/kernel/resolve.js';

const tmp = mkdtempSync(join(tmpdir(), 'devmem-lab-klocal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function bzImage(path: string, release: string): string {
  const b = Buffer.alloc(0x1000);
  b.writeUInt16LE(0xaa55, 0x1fe);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x20f, 0x206);
  b.writeUInt16LE(1, 0x236);
  b.writeUInt16LE(0x300, 0x20e);
  b.write(`${release} (me@here) #1\0`, 0x500, 'latin1');
  writeFileSync(path, b);
  return path;
}

describe('path: kernels', () => {
  const boot = join(tmp, 'boot');
  mkdirSync(boot, { recursive: true });
  const image = bzImage(join(boot, 'vmlinuz-9.9.9-test'), '9.9.9-test');

  it('wants a config: beside the image as config-<release>, or --config', async () => {
    await expect(resolvePathKernel('path:x', image, {})).rejects.toMatchObject({ code: 'E_KERNEL_CONFIG', kind: 'input', hint: expect.stringContaining('--config') });
    await expect(resolvePathKernel('path:x', image, { config: join(tmp, 'nope') })).rejects.toMatchObject({ code: 'E_KERNEL_FILE', kind: 'input' });
  });
  it('wants modules unless virtio-pci, -net and -mem are all built in', async () => {
    writeFileSync(join(boot, 'config-9.9.9-test'), 'CONFIG_VIRTIO_MEM=m\n');
    await expect(resolvePathKernel('path:x', image, {})).rejects.toMatchObject({ code: 'E_KERNEL_MODULES', kind: 'input', hint: expect.stringContaining('--modules') });
    await expect(resolvePathKernel('path:x', image, { modules: join(tmp, 'none') })).rejects.toMatchObject({ code: 'E_KERNEL_FILE' });
    await expect(resolvePathKernel('path:x', image, { modules: tmp })).rejects.toMatchObject({ code: 'E_KERNEL_MODULES', message: expect.stringContaining('9.9.9-test') });
  });
  it('finds lib/modules/<release> under an INSTALL_MOD_PATH root or takes the release directory itself', async () => {
    const rel = join(tmp, 'root', 'lib', 'modules', '9.9.9-test');
    mkdirSync(join(rel, 'kernel'), { recursive: true });
    expect(await findModulesDir(join(tmp, 'root'), '9.9.9-test')).toBe(rel);
    expect(await findModulesDir(rel, '9.9.9-test')).toBe(rel);
  });
  it('refuses a file that is no bzImage', async () => {
    writeFileSync(join(tmp, 'vmlinux'), Buffer.from('\x7fELF\x02\x01\x01' + '\0'.repeat(600), 'latin1'));
    await expect(resolveKernel(`path:${join(tmp, 'vmlinux')}`)).rejects.toMatchObject({ code: 'E_KERNEL_NOT_BZIMAGE', kind: 'input' });
  });
});

describe('tree: kernels', () => {
  it('names what a tree lacks to be a built kernel tree', async () => {
    const t = join(tmp, 'tree');
    mkdirSync(t, { recursive: true });
    await expect(resolveTreeKernel('tree:x', join(tmp, 'missing'), {})).rejects.toMatchObject({ code: 'E_KERNEL_FILE', kind: 'input' });
    await expect(resolveTreeKernel('tree:x', t, {})).rejects.toMatchObject({ code: 'E_KERNEL_TREE', message: expect.stringContaining('arch/x86/boot/bzImage') });
    mkdirSync(join(t, 'arch/x86/boot'), { recursive: true });
    mkdirSync(join(t, 'include/config'), { recursive: true });
    bzImage(join(t, 'arch/x86/boot/bzImage'), '9.9.9');
    writeFileSync(join(t, '.config'), 'CONFIG_MODULES=y\n');
    writeFileSync(join(t, 'include/config/kernel.release'), '9.9.8\n');
    await expect(resolveTreeKernel('tree:x', t, {})).rejects.toMatchObject({ code: 'E_KERNEL_TREE', message: expect.stringContaining('9.9.8') });
    writeFileSync(join(t, 'include/config/kernel.release'), '9.9.9\n');
    await expect(resolveTreeKernel('tree:x', t, {})).rejects.toMatchObject({ code: 'E_KERNEL_TREE', message: expect.stringContaining('modules.order') });
  });
});

describe('options that go with one kind of kernel', () => {
  it('--modules/--config only with path:, --config-fragment only with build:', async () => {
    await expect(resolveKernel('debian:bookworm', { modules: '/x' })).rejects.toMatchObject({ code: 'E_USAGE', kind: 'input', message: expect.stringContaining('not debian:') });
    await expect(resolveKernel('build:linux-source-6.1', { config: '/x' })).rejects.toMatchObject({ code: 'E_USAGE', hint: expect.stringContaining('--config-fragment') });
    await expect(resolveKernel('tree:/x', { configFragment: '/x' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
