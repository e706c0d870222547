// The host's view of the device memory: the virtio-mem backend is a shared
// file, so which pages the guest populated can be read without asking the
// guest. QEMU discards (punches holes in) unplugged blocks and starts with an
// empty file, and the scan never touches a mapping (reading a hole through a
// shmem mapping would allocate a page): any populated page in an unplugged
// block therefore means the guest touched memory it must not (S4).
import type { IomemNode } from '../guest/iomem.js';
import { flattenIomem } from '../guest/iomem.js';
import type { SafetyEvidence } from '../model/index.js';
import type { Extent } from '../shm/backend.js';
import { hex } from '../probe/types.js';
import type { DeviceInfo } from '../qmp/device.js';

export { deviceInfo, type DeviceInfo } from '../qmp/device.js';

export interface HostView {
  populatedBytes: number;
  extents: number;
  /** Backend offsets of populated bytes outside the plugged part, per device block. */
  strayBlocks: { block: number; addr: string; offset: string; bytes: number }[];
  qmpSize: number;
  requestedSize: number;
  /** Bytes of "System RAM (virtio_mem)" under the device's region in the guest. */
  guestAddedBytes: number;
}

/** Bytes the guest has added as System RAM (virtio_mem) inside the device region. */
export function guestAddedBytes(iomem: IomemNode[], dev: DeviceInfo): number {
  return flattenIomem(iomem)
    .filter((n) => n.name === 'System RAM (virtio_mem)' && n.start >= dev.memaddr && n.end < dev.memaddr + dev.maxSize)
    .reduce((a, n) => a + (n.end - n.start + 1), 0);
}

/**
 * Populated bytes outside the plugged part, grouped by device block. QMP
 * gives the plugged size, not the block bitmap; Linux's driver plugs from the
 * lowest block up and unplugs from the highest down, so the plugged part is
 * [0, size) of the backend.
 */
export function strayBlocks(extents: Extent[], dev: DeviceInfo): HostView['strayBlocks'] {
  const out = new Map<number, { offset: number; bytes: number }>();
  for (const e of extents) {
    let off = Math.max(e.offset, dev.size);
    const end = e.offset + e.length;
    while (off < end) {
      const block = Math.floor(off / dev.blockSize);
      const blockEnd = Math.min(end, (block + 1) * dev.blockSize);
      const cur = out.get(block);
      if (cur) cur.bytes += blockEnd - off;
      else out.set(block, { offset: off, bytes: blockEnd - off });
      off = blockEnd;
    }
  }
  return [...out].map(([block, v]) => ({ block, addr: hex(dev.memaddr + v.offset), offset: hex(v.offset), bytes: v.bytes }));
}

export function hostView(extents: Extent[], dev: DeviceInfo, iomem: IomemNode[]): HostView {
  return {
    populatedBytes: extents.reduce((a, e) => a + e.length, 0),
    extents: extents.length,
    strayBlocks: strayBlocks(extents, dev),
    qmpSize: dev.size,
    requestedSize: dev.requestedSize,
    guestAddedBytes: guestAddedBytes(iomem, dev),
  };
}

export function checkS4(step: string, v: HostView): SafetyEvidence {
  if (v.strayBlocks.length === 0) {
    return { property: 'S4', exercised: true, violated: false, evidence: `${step}: no populated page outside the ${v.qmpSize} plugged bytes` };
  }
  const list = v.strayBlocks.slice(0, 8).map((b) => `block ${b.block} at ${b.addr} (backend offset ${b.offset}, ${b.bytes} bytes)`);
  return { property: 'S4', exercised: true, violated: true, evidence: `${step}: populated pages in unplugged blocks: ${list.join('; ')}` };
}

/**
 * S5 at a quiescent step. Legitimate differences, not violations:
 * - the guest adds whole memory blocks (128 MiB on x86) in Sub Block Mode, so
 *   its "System RAM (virtio_mem)" is the plugged size rounded up to them;
 * - plugged memory is populated lazily: far fewer populated bytes than
 *   plugged bytes is normal;
 * - with the driver unbound after an unclean unload the added memory stays
 *   in the guest (R-VMEM-UNLOAD-BUSY), with an unbound driver and nothing
 *   added the guest shows nothing while QEMU may still report a size.
 */
export function checkS5(step: string, v: HostView, bound: boolean, memoryBlockSize: number): SafetyEvidence {
  const problems: string[] = [];
  if (v.qmpSize !== v.requestedSize) problems.push(`QMP size ${v.qmpSize} ≠ requested-size ${v.requestedSize} at a quiescent step`);
  if (bound) {
    const want = Math.ceil(v.qmpSize / memoryBlockSize) * memoryBlockSize;
    if (v.guestAddedBytes !== want) {
      problems.push(`guest shows ${v.guestAddedBytes} bytes of System RAM (virtio_mem), QMP size ${v.qmpSize} rounded up to ${memoryBlockSize}-byte memory blocks is ${want}`);
    }
  }
  if (v.strayBlocks.length > 0) problems.push(`${v.strayBlocks.length} device blocks populated beyond the plugged size`);
  return {
    property: 'S5',
    exercised: true,
    violated: problems.length > 0,
    evidence: problems.length > 0 ? `${step}: ${problems.join('; ')}` : `${step}: QMP ${v.qmpSize} bytes, guest ${v.guestAddedBytes} bytes added, ${v.populatedBytes} bytes populated`,
  };
}
