// The emulated machine's physical address map as QEMU itself renders it:
// `info mtree -f` (HMP, through QMP's human-monitor-command), the flat view
// of the address space the CPU sees ("memory"). Every range listed is backed
// by RAM, ROM or a device's MMIO (a PCI host's whole window counts: its
// holes read as all-ones, PCI's master abort); what no range lists is
// unassigned, which QEMU's arm targets answer with a synchronous external
// abort. This is the hardware's view from the host, not the guest's.

export interface BackedRange {
  start: number;
  /** Last byte, inclusive, as QEMU prints it. */
  end: number;
  name: string;
}

/**
 * The ranges of the FlatView whose address spaces include "memory", merged
 * where they touch. Lines look like
 * `  0000000009000000-0000000009000fff (prio 0, i/o): pl011`.
 */
export function parseFlatView(text: string, space = 'memory'): BackedRange[] {
  const out: BackedRange[] = [];
  let inView = false;
  // HMP's output through QMP ends its lines with \r\n.
  for (const line of text.split(/\r?\n/)) {
    if (/^FlatView #\d+/.test(line)) {
      inView = false;
      continue;
    }
    const as = /^ AS "([^"]+)"/.exec(line);
    if (as) {
      if (as[1] === space) inView = true;
      continue;
    }
    if (!inView) continue;
    const m = /^\s+([0-9a-f]{16})-([0-9a-f]{16}) \([^)]*\): (.*)$/.exec(line);
    if (m) out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), name: m[3].trim() });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Merges touching or overlapping ranges (names dropped). */
export function mergeRanges(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** QMP's way to run `info mtree -f`. */
export const MTREE_COMMAND = { 'command-line': 'info mtree -f' } as const;
