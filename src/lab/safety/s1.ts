// S1, fed by the probe judge (lab/judge.ts, model checkS1()) for every probe.
import type { SafetyProperty } from './property.js';

export const s1: SafetyProperty = {
  id: 'S1',
  text: 'while the virtio-mem driver is bound, no /dev/mem read, write or mmap of its device region succeeds',
  source: 'drivers/char/mem.c read_mem()/mmap_mem() → devmem_is_allowed()',
};
