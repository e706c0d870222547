// Physical memory through /proc/kcore (guest-image/ops/kcore.c). Its
// outcome depends on the page's hotplug state: lab/held.ts judges it
// (R-KCORE-*).
import { defineOp } from './def.js';

export const kcoreOps = [
  // read the physical address through /proc/kcore's direct-map offset
  // refused: an address below the direct map's first physical address has no file offset (arm64: below PHYS_OFFSET)
  defineOp({ names: ['kcore'], syscalls: ['open', 'pread', 'kcore'], ok: 'data', align: 'byte', accessesMemory: true, mayRefuse: true, predict: null }),
] as const;
