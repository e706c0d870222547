// The virtio-mem device as the lab uses it, read once from QMP's
// query-memory-devices: where its region is, how big, how much is plugged.
import type { MemoryDeviceInfo } from './types.js';

export interface DeviceInfo {
  id: string;
  /** Guest physical address of the region; backend offset 0. */
  memaddr: number;
  maxSize: number;
  /** Plugged bytes, as the guest driver has acknowledged them. */
  size: number;
  requestedSize: number;
  blockSize: number;
}

/** The virtio-mem device among query-memory-devices' answer, if there is one. */
export function deviceInfo(memoryDevices: unknown[]): DeviceInfo | undefined {
  const d = (memoryDevices as MemoryDeviceInfo[]).find((m) => m?.type === 'virtio-mem');
  if (!d || d.type !== 'virtio-mem' || !d.data) return undefined;
  const v = d.data;
  return { id: v.id ?? 'virtio-mem', memaddr: v.memaddr, maxSize: v['max-size'], size: v.size, requestedSize: v['requested-size'], blockSize: v['block-size'] };
}
