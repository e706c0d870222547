import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIomem } from '../../src/guest/iomem.js';
import { deviceAddresses, planAddresses, planProbes } from '../../src/probe/plan.js';
import { deviceInfo } from '../../src/qmp/device.js';

const iomem = parseIomem(readFileSync(new URL('../fixtures/iomem-q35-6.1-plug-512M.txt', import.meta.url), 'utf8'));

describe('probe plan', () => {
  const addrs = planAddresses({ iomem, highMemoryEnd: 0x120000000, physBits: 40 });

  it('probes each resource boundary ±1 page and its first and last page', () => {
    // System RAM (virtio_mem) 100000000-11fffffff
    for (const a of [0xfffff000, 0x100000000, 0x11ffff000, 0x120000000]) expect(addrs.has(a)).toBe(true);
  });

  it('probes the low MiB and the high_memory edge', () => {
    expect(addrs.has(0)).toBe(true);
    expect(addrs.has(0x9f000)).toBe(true);
    expect(addrs.has(0x11ffff000)).toBe(true);
  });

  it('keeps one page past the physical limit (mmap checks phys bits) and nothing beyond', () => {
    expect(addrs.has(2 ** 40)).toBe(true);
    expect([...addrs.keys()].every((a) => a <= 2 ** 40)).toBe(true);
  });

  it('gives every address every op, with unique ids', () => {
    const specs = planProbes({ iomem, highMemoryEnd: 0x120000000, physBits: 40, ops: ['read', 'mmap-shared'] });
    expect(specs.length).toBe(addrs.size * 2);
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    expect(specs.every((s) => s.addr % 4096 === 0 && s.len === 4096)).toBe(true);
  });

  it('adds the device region from QMP even when iomem does not show it', () => {
    const extra = deviceAddresses(deviceInfo([{ type: 'virtio-mem', data: { id: 'vm0', memaddr: 0x100000000, 'max-size': 0x40000000, size: 0x10000000, 'requested-size': 0x10000000, 'block-size': 0x200000 } }]));
    const got = extra.map((e) => e.addr);
    expect(got).toEqual([0xfffff000, 0x100000000, 0x120000000, 0x13ffff000, 0x140000000, 0x10ffff000, 0x110000000]);
    expect(deviceAddresses(deviceInfo([{ type: 'dimm', data: {} }]))).toEqual([]);
  });
});
