// Uses of a mapping a hold-* made (guest-image/ops/held.c). Their outcome
// depends on the claims seen since the mapping was made: lab/held.ts plans
// and judges them (R-REVOKE, R-PTRACE-*; S2, S3).
import { defineOp } from './def.js';

const use = { held: true, align: 'page', accessesMemory: true, predict: null } as const;

export const heldOps = [
  // read every byte of the held mapping, SIGBUS/SIGSEGV caught
  defineOp({ names: ['held-touch-shared', 'held-touch-private'], syscalls: ['hold'], ok: 'data', touches: true, ...use }),
  // pread of /proc/self/mem at the mapping: the ptrace path (generic_access_phys)
  defineOp({ names: ['held-procmem-shared', 'held-procmem-private'], syscalls: ['hold', 'open', 'pread'], ok: 'data', ...use }),
  // process_vm_readv of the mapping
  defineOp({ names: ['held-vmreadv-shared', 'held-vmreadv-private'], syscalls: ['hold', 'process_vm_readv'], ok: 'data', ...use }),
  // pwrite of the write pattern to /proc/self/mem at the (read-only) mapping; needs -w
  defineOp({ names: ['held-procmem-write-shared', 'held-procmem-write-private'], syscalls: ['hold', 'open', 'pwrite'], ok: 'written', needsWrite: true, ...use }),
] as const;
