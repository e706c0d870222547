// Copy-on-write pages of a private /dev/mem mapping (guest-image/ops/cow.c).
import { defineOp } from './def.js';

export const cowOps = [
  // mmap MAP_PRIVATE rw, write each page (COW), pread /proc/self/mem there (generic_access_phys on anon pages)
  defineOp({
    names: ['cow-procmem'],
    syscalls: ['open', 'mmap', 'pread'],
    ok: 'data',
    align: 'page',
    accessesMemory: true,
    predict: (m, r) => m.cowProcmem(r.addr, r.len),
  }),
  // the same mapping and stores, then munmap: a COW mapping's PAT reservation must go with it (S6)
  defineOp({
    names: ['cow-write'],
    syscalls: ['open', 'mmap'],
    ok: 'written',
    align: 'page',
    accessesMemory: true,
    // A private mapping stored into and unmapped: only the mapping can fail.
    predict: (m, r) => m.mmap(r.addr, r.len, { private: true }),
  }),
] as const;
