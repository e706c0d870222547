// read and write through the device fd (guest-image/ops/rw.c).
import { defineOp } from './def.js';

export const rwOps = [
  // pread(fd, buf, len, addr)
  defineOp({
    names: ['read'],
    syscalls: ['open', 'pread'],
    ok: 'data',
    align: 'byte',
    accessesMemory: true,
    predict: (m, r) => m.readWrite('read', r.addr, r.len),
  }),
  // pwrite of the write pattern (agent-protocol.ts writePattern()); only where a scenario explicitly allows it
  defineOp({
    names: ['write'],
    syscalls: ['open', 'pwrite'],
    ok: 'written',
    needsWrite: true,
    align: 'word',
    accessesMemory: true,
    predict: (m, r) => m.readWrite('write', r.addr, r.len),
  }),
] as const;
