// S4 at every step with a device: the backend's populated pages (lab/hostview.ts).
import { checkS4 } from '../hostview.js';
import type { SafetyProperty } from './property.js';

export const s4: SafetyProperty = {
  id: 'S4',
  text: 'the guest never writes an unplugged device block',
  source: 'drivers/virtio/virtio_mem.c (plug/unplug requests) and the device backend',
  atStep: (v) => (v.host ? [checkS4(v.step, v.host)] : []),
};
