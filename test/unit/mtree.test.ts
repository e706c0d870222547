import { describe, expect, it } from 'vitest';
import { mergeRanges, parseFlatView } from '../../src/qmp/mtree.js';

// `info mtree -f` of QEMU 7.2.22 (qemu-system-aarch64 -M virt -cpu cortex-a57
// -m 1G,maxmem=2G with a 1 GiB virtio-mem device m0), shortened: the I/O
// space's view, the bus-master views and most virtio-mmio lines left out.
const MTREE = `FlatView #0
 AS "gpex-root", root: bus master container
 AS "virtio-mem-pci", root: bus master container
 Root memory region: (none)
  No rendered FlatView

FlatView #1
 AS "I/O", root: io
 Root memory region: io
  0000000000000000-000000000000ffff (prio 0, i/o): io

FlatView #2
 AS "memory", root: system
 AS "cpu-memory-0", root: system
 Root memory region: system
  0000000000000000-0000000003ffffff (prio 0, romd): virt.flash0
  0000000004000000-0000000007ffffff (prio 0, romd): virt.flash1
  0000000008000000-0000000008000fff (prio 0, i/o): gic_dist
  0000000008010000-0000000008011fff (prio 0, i/o): gic_cpu
  0000000009000000-0000000009000fff (prio 0, i/o): pl011
  0000000009020000-0000000009020007 (prio 0, i/o): fwcfg.data
  0000000009020008-0000000009020009 (prio 0, i/o): fwcfg.ctl
  000000000a000000-000000000a0001ff (prio 0, i/o): virtio-mmio
  000000000a000200-000000000a0003ff (prio 0, i/o): virtio-mmio
  0000000010000000-000000003efeffff (prio 0, i/o): gpex_mmio_window @0000000010000000
  000000003eff0000-000000003effffff (prio 0, i/o): gpex_ioport_window
  0000000040000000-000000007fffffff (prio 0, ram): mach-virt.ram
  0000000080000000-00000000bfffffff (prio 0, ram): m0
  0000004010000000-000000401fffffff (prio 0, i/o): pcie-mmcfg-mmio
  0000008000000000-000000ffffffffff (prio 0, i/o): gpex_mmio_window @0000008000000000

FlatView #3
 AS "gpex-root", root: bus master container
  0000000000000000-ffffffffffffffff (prio 0, i/o): unassigned
`;

describe("QEMU's flat view of the CPU's address space", () => {
  const ranges = parseFlatView(MTREE);
  it('reads the ranges of the view "memory" shares, and no other view', () => {
    expect(ranges).toHaveLength(15);
    expect(ranges[0]).toEqual({ start: 0, end: 0x3ffffff, name: 'virt.flash0' });
    expect(ranges.find((r) => r.name === 'pl011')).toEqual({ start: 0x9000000, end: 0x9000fff, name: 'pl011' });
    expect(ranges.find((r) => r.name === 'm0')).toEqual({ start: 0x80000000, end: 0xbfffffff, name: 'm0' });
    expect(ranges[ranges.length - 1]).toEqual({ start: 0x8000000000, end: 0xffffffffff, name: 'gpex_mmio_window @0000008000000000' });
    expect(ranges.some((r) => r.name === 'io' || r.name === 'unassigned')).toBe(false);
  });
  it('merges what touches: the flashes and the GIC distributor after them, fw_cfg data and control, the virtio-mmio slots, the RAM and the device region', () => {
    expect(mergeRanges(ranges)).toEqual([
      { start: 0x0, end: 0x8000fff },
      { start: 0x8010000, end: 0x8011fff },
      { start: 0x9000000, end: 0x9000fff },
      { start: 0x9020000, end: 0x9020009 },
      { start: 0xa000000, end: 0xa0003ff },
      { start: 0x10000000, end: 0x3effffff },
      { start: 0x40000000, end: 0xbfffffff },
      { start: 0x4010000000, end: 0x401fffffff },
      { start: 0x8000000000, end: 0xffffffffff },
    ]);
  });
  it("reads QMP's human-monitor-command answer, whose lines end in \\r\\n", () => {
    expect(parseFlatView(MTREE.replace(/\n/g, '\r\n'))).toEqual(ranges);
  });
  it('an empty answer is an empty map', () => {
    expect(parseFlatView('')).toEqual([]);
  });
});
