// The checks a kernel passes before it is booted: the bzImage header, the
// config options the lab needs, and the virtio-mem driver's feature table.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBzImageHeader, readBzImageHeader } from '../../src/kernel/bzimage.js';
import { checkConfig, checkFiles, unmetRequirement } from '../../src/kernel/checks.js';
import { parseConfigText } from '../../src/kernel/config.js';
import { featureTable, optionsFromRelease, probeDeviceOptions } from '../../src/kernel/device.js';
import { readElfSymbol } from '../../src/kernel/elf.js';

const tmp = mkdtempSync(join(tmpdir(), 'devmem-lab-kimg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake bzImage: boot sector and setup header only. */
function fakeBzImage(o: { hdrs?: string; protocol?: number; xloadflags?: number; version?: string } = {}): Buffer {
  const b = Buffer.alloc(0x1000);
  b.writeUInt16LE(0xaa55, 0x1fe);
  b.write(o.hdrs ?? 'HdrS', 0x202, 'latin1');
  b.writeUInt16LE(o.protocol ?? 0x20f, 0x206);
  b.writeUInt16LE(o.xloadflags ?? 0x7f, 0x236);
  if (o.version !== undefined) {
    b.writeUInt16LE(0x300, 0x20e);
    b.write(o.version + '\0', 0x500, 'latin1');
  }
  return b;
}

describe('bzImage header', () => {
  it('reads protocol, 64-bit flag and release', () => {
    expect(parseBzImageHeader(fakeBzImage({ version: '6.1.0-47-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC' }))).toEqual({
      protocol: 0x20f, kernel64: true, versionString: '6.1.0-47-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC', release: '6.1.0-47-amd64',
    });
    expect(parseBzImageHeader(fakeBzImage())).toMatchObject({ kernel64: true, release: undefined });
  });
  it('names what is wrong with anything else', () => {
    expect(parseBzImageHeader(fakeBzImage({ xloadflags: 0 }))).toEqual({ problem: 'not-64bit' });
    expect(parseBzImageHeader(fakeBzImage({ hdrs: 'Nope' }))).toEqual({ problem: 'no-hdrs' });
    expect(parseBzImageHeader(fakeBzImage({ protocol: 0x20a }))).toEqual({ problem: 'old-protocol' });
    expect(parseBzImageHeader(Buffer.from('\x7fELF\x02\x01\x01' + '\0'.repeat(100), 'latin1'))).toEqual({ problem: 'elf' });
    expect(parseBzImageHeader(Buffer.alloc(100))).toEqual({ problem: 'short' });
    expect(parseBzImageHeader(Buffer.alloc(0x1000))).toEqual({ problem: 'no-boot-flag' });
  });
  it('turns a bad or missing file into an input error saying what to give', async () => {
    const f32 = join(tmp, 'bzImage-32');
    writeFileSync(f32, fakeBzImage({ xloadflags: 0 }));
    await expect(readBzImageHeader(f32)).rejects.toMatchObject({ code: 'E_KERNEL_NOT_BZIMAGE', kind: 'input', message: expect.stringContaining('32-bit'), hint: expect.stringContaining('x86-64 bzImage') });
    await expect(readBzImageHeader(join(tmp, 'nope'))).rejects.toMatchObject({ code: 'E_KERNEL_FILE', kind: 'input' });
  });
});

describe('config requirements', () => {
  const good = 'CONFIG_VIRTIO_MEM=m\nCONFIG_DEVMEM=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_NET=m\nCONFIG_BLK_DEV_INITRD=y\nCONFIG_SERIAL_8250_CONSOLE=y\n';
  it('accepts a kernel with everything the lab needs', () => {
    expect(unmetRequirement(parseConfigText(good))).toBeUndefined();
  });
  it.each([
    ['# CONFIG_VIRTIO_MEM is not set', 'E_KERNEL_NO_VIRTIO_MEM'],
    ['# CONFIG_DEVMEM is not set', 'E_KERNEL_NO_DEVMEM'],
    ['CONFIG_DEVMEM=m', 'E_KERNEL_NO_DEVMEM'],
    ['# CONFIG_VIRTIO_NET is not set', 'E_KERNEL_NO_VIRTIO_NET'],
  ])('refuses %s with %s (input), saying why and what to use', (line, code) => {
    const name = /CONFIG_(\w+)/.exec(line)![1];
    const text = good.split('\n').filter((l) => !l.startsWith(`CONFIG_${name}=`)).join('\n') + line + '\n';
    expect(() => checkConfig(parseConfigText(text), '/k/config')).toThrow(expect.objectContaining({ code, kind: 'input', hint: expect.stringMatching(/CONFIG_/) }));
  });
});

describe('kernel files', () => {
  it('wants the config and modules to exist and the image to be the modules\' release', async () => {
    const d = join(tmp, 'k');
    mkdirSync(join(d, 'mods'), { recursive: true });
    writeFileSync(join(d, 'bzImage'), fakeBzImage({ version: '6.1.0-1-amd64 (x) #1' }));
    writeFileSync(join(d, 'config'), '');
    const k = { spec: 'path:x', source: 'x', release: '6.1.0-1-amd64', image: join(d, 'bzImage'), config: join(d, 'config'), modulesDir: join(d, 'mods'), imageSha256: '' };
    await expect(checkFiles(k)).resolves.toBeUndefined();
    await expect(checkFiles({ ...k, release: '6.1.0-2-amd64' })).rejects.toMatchObject({ code: 'E_KERNEL_RELEASE', kind: 'input' });
    await expect(checkFiles({ ...k, config: join(d, 'missing') })).rejects.toMatchObject({ code: 'E_KERNEL_FILE', kind: 'input' });
  });
});

/** A relocatable ELF64 with one object symbol in .data, as a module's feature table is. */
function fakeModule(symbol: string, words: number[]): Buffer {
  const data = Buffer.alloc(16 + words.length * 4);
  words.forEach((w, i) => data.writeUInt32LE(w, 16 + i * 4));
  const strtab = Buffer.from(`\0other\0${symbol}\0`, 'latin1');
  const sym = (name: number, shndx: number, value: number, size: number) => {
    const s = Buffer.alloc(24);
    s.writeUInt32LE(name, 0);
    s[4] = 1; // STB_LOCAL, STT_OBJECT
    s.writeUInt16LE(shndx, 6);
    s.writeBigUInt64LE(BigInt(value), 8);
    s.writeBigUInt64LE(BigInt(size), 16);
    return s;
  };
  const symtab = Buffer.concat([Buffer.alloc(24), sym(1, 1, 0, 8), sym(7, 1, 16, words.length * 4)]);
  const shstr = Buffer.from('\0.data\0.symtab\0.strtab\0.shstrtab\0', 'latin1');
  const parts = [data, symtab, strtab, shstr];
  const offsets: number[] = [];
  let off = 64;
  for (const p of parts) {
    offsets.push(off);
    off += p.length;
  }
  const shoff = (off + 7) & ~7;
  const sh = (name: number, type: number, i: number, link = 0, entsize = 0) => {
    const h = Buffer.alloc(64);
    h.writeUInt32LE(name, 0);
    h.writeUInt32LE(type, 4);
    h.writeBigUInt64LE(BigInt(offsets[i]), 0x18);
    h.writeBigUInt64LE(BigInt(parts[i].length), 0x20);
    h.writeUInt32LE(link, 0x28);
    h.writeBigUInt64LE(BigInt(entsize), 0x38);
    return h;
  };
  const headers = [Buffer.alloc(64), sh(1, 1, 0), sh(7, 2, 1, 3, 24), sh(15, 3, 2), sh(23, 3, 3)];
  const eh = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(eh);
  eh.writeUInt16LE(1, 0x10);
  eh.writeUInt16LE(62, 0x12);
  eh.writeBigUInt64LE(BigInt(shoff), 0x28);
  eh.writeUInt16LE(64, 0x34);
  eh.writeUInt16LE(64, 0x3a);
  eh.writeUInt16LE(headers.length, 0x3c);
  eh.writeUInt16LE(4, 0x3e);
  return Buffer.concat([eh, ...parts, Buffer.alloc(shoff - off), ...headers]);
}

describe('virtio-mem device options from the driver', () => {
  it('reads a symbol\'s bytes from an ELF64 relocatable', () => {
    const s = readElfSymbol(fakeModule('virtio_mem_features', [0, 1]), 'virtio_mem_features');
    expect(s?.section).toBe('.data');
    expect([...s!.data]).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    expect(readElfSymbol(fakeModule('something_else', [1]), 'virtio_mem_features')).toBeUndefined();
  });
  it('reads the feature table: 6.1 lists UNPLUGGED_INACCESSIBLE (1), 5.10 only ACPI_PXM (0)', () => {
    expect(featureTable(fakeModule('virtio_mem_features', [0, 1]))).toEqual([0, 1]);
    expect(featureTable(fakeModule('virtio_mem_features', [0]))).toEqual([0]);
  });
  it('decides unplugged-inaccessible from the module in modules.dep', async () => {
    const mods = (name: string, words: number[]) => {
      const d = join(tmp, name);
      mkdirSync(join(d, 'kernel/drivers/virtio'), { recursive: true });
      writeFileSync(join(d, 'modules.dep'), 'kernel/drivers/virtio/virtio_mem.ko:\n');
      writeFileSync(join(d, 'kernel/drivers/virtio/virtio_mem.ko'), fakeModule('virtio_mem_features', words));
      return d;
    };
    expect(await probeDeviceOptions(mods('m510', [0]), '5.10.0-46-amd64')).toMatchObject({ unpluggedInaccessible: 'off', why: expect.stringContaining('lacks') });
    expect(await probeDeviceOptions(mods('m61', [0, 1]), '6.1.0-47-amd64')).toMatchObject({ unpluggedInaccessible: 'on', why: expect.stringContaining('includes') });
    expect(await probeDeviceOptions(mods('stripped', []), '5.10.0-46-amd64')).toMatchObject({ unpluggedInaccessible: 'off' });
  });
  it('falls back to the release when the driver is built in or unreadable: 5.16 brought the feature', async () => {
    const d = join(tmp, 'builtin');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'modules.dep'), '');
    writeFileSync(join(d, 'modules.builtin'), 'kernel/drivers/virtio/virtio_mem.ko\n');
    expect(await probeDeviceOptions(d, '6.12.1')).toMatchObject({ unpluggedInaccessible: 'on', why: expect.stringContaining('built in') });
    expect(optionsFromRelease('5.15.0-1', 'x').unpluggedInaccessible).toBe('off');
    expect(optionsFromRelease('5.16.0', 'x').unpluggedInaccessible).toBe('on');
  });
});
