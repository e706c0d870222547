// S5 at every step with a device: QMP's sizes, the guest's iomem and the
// backend agree (lab/hostview.ts).
import { checkS5 } from '../hostview.js';
import type { SafetyProperty } from './property.js';

export const s5: SafetyProperty = {
  id: 'S5',
  text: "at every quiescent step QEMU's plugged size and the guest's view agree, and populated backend pages lie only in plugged blocks",
  source: 'drivers/virtio/virtio_mem.c virtio_mem_remove(), mm/memory_hotplug.c offline_and_remove_memory()',
  atStep: (v) => (v.host ? [checkS5(v.step, v.host, v.virtioMemBound, v.memoryBlockSize)] : []),
};
