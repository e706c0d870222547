import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flattenIomem, formatIomem, IomemParseError, overlapping, parseIomem } from '../../src/guest/iomem.js';

const plugged = readFileSync(new URL('../fixtures/iomem-q35-6.1-plug-512M.txt', import.meta.url), 'utf8');

describe('parseIomem', () => {
  it('nests children under their parents as /proc/iomem indents them', () => {
    const roots = parseIomem(plugged);
    const virtio = roots.find((r) => r.name === 'virtio0')!;
    expect(virtio.start).toBe(0x100000000);
    expect(virtio.end).toBe(0x13fffffff);
    expect(virtio.children.map((c) => c.name)).toEqual(['System RAM (virtio_mem)']);
    expect(virtio.children[0].depth).toBe(1);
    const pci = roots.find((r) => r.name === 'PCI Bus 0000:00' && r.start === 0xc0000000)!;
    const bar = pci.children.find((c) => c.start === 0xfebf8000)!;
    expect(bar.children[0]).toMatchObject({ name: 'virtio-pci-modern', depth: 2 });
  });

  it('round-trips through formatIomem', () => {
    const roots = parseIomem(plugged);
    expect(parseIomem(formatIomem(roots))).toEqual(roots);
  });

  it('finds overlapping resources at any depth', () => {
    const names = overlapping(parseIomem(plugged), 0x100000000, 0x100000fff).map((n) => n.name);
    expect(names).toEqual(['virtio0', 'System RAM (virtio_mem)']);
  });

  it('rejects text that is not iomem, with the line number', () => {
    const e = (() => {
      try {
        parseIomem('00000000-00000fff : Reserved\nhello\n');
      } catch (err) {
        return err as IomemParseError;
      }
    })();
    expect(e?.code).toBe('E_IOMEM_PARSE');
    expect(e?.line).toBe(2);
  });

  it('rejects a tree read without CAP_SYS_ADMIN (all zeros)', () => {
    expect(() => parseIomem('00000000-00000000 : System RAM\n00000000-00000000 : Reserved\n')).toThrow(IomemParseError);
  });

  it('rejects nesting that skips a level', () => {
    expect(() => parseIomem('00000000-00000fff : a\n    00000000-000000ff : b\n')).toThrow(/skips/);
  });

  it('flattens parents before children', () => {
    const flat = flattenIomem(parseIomem('00000000-0000ffff : a\n  00000000-000000ff : b\n00010000-0001ffff : c\n'));
    expect(flat.map((n) => n.name)).toEqual(['a', 'b', 'c']);
  });
});
