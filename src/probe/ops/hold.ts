// Held mappings: made by one request, kept by the long-lived agent, used
// by later ones (keyed by kind, address and length; guest-image/ops/hold.c).
import { defineOp, isPrivate } from './def.js';

export const holdOps = [
  // mmap(PROT_READ, MAP_SHARED | MAP_PRIVATE) and keep it
  defineOp({
    names: ['hold-shared', 'hold-private'],
    syscalls: ['open', 'mmap'],
    ok: 'done',
    held: true,
    align: 'page',
    accessesMemory: false,
    predict: (m, r) => m.mmap(r.addr, r.len, { private: isPrivate(r.op) }),
  }),
] as const;
