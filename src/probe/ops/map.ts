// A fresh mapping of the device, made and unmapped in one request
// (guest-image/ops/map.c).
import { defineOp, isPrivate } from './def.js';

export const mapOps = [
  // mmap(PROT_READ, MAP_SHARED | MAP_PRIVATE) then munmap: does the mapping succeed?
  defineOp({
    names: ['mmap-shared', 'mmap-private'],
    syscalls: ['open', 'mmap'],
    ok: 'done',
    align: 'page',
    accessesMemory: false,
    predict: (m, r) => m.mmap(r.addr, r.len, { private: isPrivate(r.op) }),
  }),
  // the same mapping, every byte read, SIGBUS/SIGSEGV caught
  defineOp({
    names: ['touch-shared', 'touch-private'],
    syscalls: ['open', 'mmap'],
    ok: 'data',
    touches: true,
    align: 'page',
    accessesMemory: true,
    predict: (m, r) => m.touch(r.addr, r.len, { private: isPrivate(r.op) }),
  }),
  // mmap-* on an O_SYNC fd: PAT is asked for UC- instead of WB
  defineOp({
    names: ['mmap-sync-shared', 'mmap-sync-private'],
    syscalls: ['open', 'mmap'],
    ok: 'done',
    align: 'page',
    accessesMemory: false,
    predict: (m, r) => m.mmap(r.addr, r.len, { private: isPrivate(r.op), oSync: true }),
  }),
] as const;
