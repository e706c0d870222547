// Where to probe: every resource boundary ±1 page, the first and last page
// of every range, a sample inside it, the low-MiB pages where RAM reads as
// zeros, and the edge of the kernel's direct map. Rules change exactly at
// those addresses, so that is where a kernel and the model can disagree.
import { flattenIomem, type IomemNode } from '../guest/iomem.js';
import type { DeviceInfo } from '../qmp/device.js';
import { opDef } from './ops/index.js';
import { PAGE, type ProbeOp, type ProbeSpec } from './types.js';

export const DEFAULT_OPS: ProbeOp[] = ['read', 'mmap-shared', 'mmap-private', 'touch-shared'];

export interface PlanInput {
  iomem: IomemNode[];
  /** First address where a 1-byte pread fails EFAULT; NaN when unknown. */
  highMemoryEnd: number;
  physBits: number;
  ops?: ProbeOp[];
  /** Extra addresses a scenario wants probed, with the reason. */
  extra?: { addr: number; why: string }[];
  /** Inclusive ranges where only ops that do not access the bytes (mmap-*) are planned. */
  mmapOnly?: { start: number; end: number }[];
}

const down = (a: number) => Math.floor(a / PAGE) * PAGE;

/** The low first MiB: devmem_is_allowed() treats pfn < 256 specially. */
const LOW_MIB_PAGES = [0x0, 0x1000, 0x9f000, 0xa0000, 0xc0000, 0xf0000, 0xff000];

export function planAddresses(input: PlanInput): Map<number, string> {
  const limit = 2 ** input.physBits;
  const out = new Map<number, string>();
  const add = (addr: number, why: string) => {
    // One page past the CPU's physical limit is kept: it exercises the
    // mmap physical-bits check.
    if (addr < 0 || addr > limit) return;
    if (!out.has(addr)) out.set(addr, why);
  };
  for (const n of flattenIomem(input.iomem)) {
    const first = down(n.start);
    const last = down(n.end);
    const label = `${n.name} [${n.start.toString(16)}-${n.end.toString(16)}]`;
    add(first - PAGE, `page before ${label}`);
    add(first, `first page of ${label}`);
    add(last, `last page of ${label}`);
    add(last + PAGE, `page after ${label}`);
    const mid = down(n.start + (n.end - n.start) / 2);
    if (mid > first && mid < last) add(mid, `inside ${label}`);
  }
  for (const a of LOW_MIB_PAGES) add(a, 'low MiB');
  if (!Number.isNaN(input.highMemoryEnd)) {
    add(down(input.highMemoryEnd) - PAGE, 'last page below high_memory');
    add(down(input.highMemoryEnd), 'first page at high_memory');
  }
  for (const e of input.extra ?? []) add(down(e.addr), e.why);
  return out;
}

export function planProbes(input: PlanInput, firstId = 1): ProbeSpec[] {
  const ops = input.ops ?? DEFAULT_OPS;
  const addrs = [...planAddresses(input).entries()].sort((a, b) => a[0] - b[0]);
  const specs: ProbeSpec[] = [];
  let id = firstId;
  const noAccess = (addr: number) => (input.mmapOnly ?? []).some((r) => addr + PAGE - 1 >= r.start && addr <= r.end);
  for (const [addr, why] of addrs) {
    for (const op of ops) {
      if (opDef(op)?.accessesMemory !== false && noAccess(addr)) continue;
      specs.push({ id: id++, op, addr, len: PAGE, why });
    }
  }
  return specs;
}

/**
 * The virtio-mem device's region as QMP reports it, whether or not the guest
 * shows it in /proc/iomem (before the driver binds, and after it leaves, the
 * region is unclaimed): its edges, the edge of the plugged part, and samples.
 */
export function deviceAddresses(dev: DeviceInfo | undefined): { addr: number; why: string }[] {
  if (!dev) return [];
  const out: { addr: number; why: string }[] = [];
  const add = (addr: number, what: string) => out.push({ addr, why: `${dev.id} ${what}` });
  const { memaddr: base, maxSize: max, size } = dev;
  add(base - PAGE, 'page before the device region');
  add(base, 'first page of the device region');
  add(base + max / 2, 'middle of the device region');
  add(base + max - PAGE, 'last page of the device region');
  add(base + max, 'page after the device region');
  if (size > 0 && size < max) {
    add(base + size - PAGE, 'last plugged page (if plugged in order)');
    add(base + size, 'first page past the plugged size');
  }
  return out;
}
