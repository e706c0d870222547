// ptrace(PEEKDATA/POKEDATA) and /proc/PID/mem on a /dev/mem mapping (seed 004).
// GUP refuses VM_IO|VM_PFNMAP, so __access_remote_vm() falls back to
// vma->vm_ops->access = generic_access_phys() (mm/memory.c).

import type { KernelFacts } from './facts.js';
import { fail, type Expected } from './expected.js';
import { resolveFeatures } from './versions.js';
import { ptraceTargetArm64 } from './arm64/ptrace.js';

export interface PtraceAccess {
  write: boolean;
  /** The target PTE was zapped by a revocation (R-REVOKE). */
  revoked: boolean;
  /** The PTE allows writes (PROT_WRITE on a shared mapping). */
  pteWritable: boolean;
  /**
   * What the PTE points at: ordinary RAM, RAM whose pages are all
   * PageReserved (the first MiB on x86), a private COW copy, or
   * MMIO/unclaimed space.
   */
  target: 'ram' | 'reserved-ram' | 'cow' | 'mmio';
  /** process_vm_readv() instead of ptrace or /proc/PID/mem. */
  via?: 'ptrace' | 'proc-mem' | 'process_vm_readv';
  /**
   * With `revoked`: the bytes at the mapping's start that the revocation
   * left mapped (a mapping that straddles the claimed range's start; the
   * claim zaps only its own range).
   */
  livePrefix?: number;
}

/**
 * generic_access_phys(): follow_pte() fails on a zapped PTE (-EINVAL); a write
 * through a read-only PTE is -EINVAL; ioremap_prot() refuses RAM
 * ("ioremap on RAM") → -ENOMEM; otherwise memcpy_fromio()/toio(). Any
 * result ≤ 0 ends __access_remote_vm() with nothing copied, which ptrace
 * and /proc/PID/mem report as EIO. 5.12+ re-checks the PTE after mapping
 * ("mm: Close race in generic_access_phys"); 5.10 can read a page revoked
 * between the lookup and the copy — a race the model cannot predict, only
 * S3 can catch.
 */
export function predictPtrace(facts: Pick<KernelFacts, 'version' | 'measured' | 'config' | 'arch'>, a: PtraceAccess): Expected {
  const sys = a.write ? 'pwrite' : 'pread';
  if (a.via === 'process_vm_readv' && !facts.config.CROSS_MEMORY_ATTACH) {
    // kernel/sys_ni.c COND_SYSCALL(process_vm_readv): mm/process_vm_access.o is not built.
    return fail('process_vm_readv', 'ENOSYS', 'R-PTRACE-VMREADV', 'CROSS_MEMORY_ATTACH=n: process_vm_readv is sys_ni_syscall');
  }
  if (a.via === 'process_vm_readv') {
    return fail('process_vm_readv', 'EFAULT', 'R-PTRACE-VMREADV', 'process_vm_readv pins pages with GUP, which refuses VM_IO|VM_PFNMAP');
  }
  const recheck = resolveFeatures(facts).genericAccessPhysRecheck;
  if (a.revoked && a.livePrefix && !a.write) {
    // fs/proc/base.c mem_rw() copies one page at a time and returns what it
    // copied before the first access_remote_vm() that copies nothing: the
    // live pages before the claimed range are read, the first zapped one
    // ends the read (follow_pte() finds no PTE).
    const prefix = predictPtrace(facts, { ...a, revoked: false, livePrefix: undefined });
    if (prefix.outcome !== 'data') return prefix;
    return { ...prefix, bytes: a.livePrefix, rule: 'R-PTRACE-REVOKED', via: ['R-PTRACE-REVOKED', ...prefix.via], why: `mem_rw() copies the ${a.livePrefix} bytes before the first revoked page (${prefix.why}), then follow_pte() finds no PTE and the read ends` };
  }
  if (a.revoked) {
    return fail(sys, 'EIO', 'R-PTRACE-REVOKED', `follow_pte() finds no PTE after revocation${recheck.enabled ? '' : ' (5.10: no re-check, a concurrent revoke could still be raced)'}`);
  }
  if (a.write && !a.pteWritable) return fail(sys, 'EIO', 'R-PTRACE-RO', 'FOLL_WRITE through a read-only PTE: -EINVAL');
  // arm64's ioremap_allowed() refuses memblock memory, whatever its PageReserved state.
  if (facts.arch === 'arm64') return ptraceTargetArm64(sys, a.write, a.target);
  if (a.target === 'reserved-ram') {
    // arch/x86/mm/ioremap.c __ioremap_check_ram() refuses a System RAM
    // resource only if one of its pages is valid and not PageReserved; since
    // "x86/setup: Always reserve the first 1M of RAM" (5.13, in 5.10.y
    // stable) every page of the first MiB is reserved, so ioremap_prot()
    // maps it and the bytes are copied. Seen on Debian 6.1 at 0x1000.
    return { outcome: a.write ? 'ok' : 'data', rule: 'R-PTRACE-RAM', via: ['R-PTRACE-RAM'], why: 'first-MiB RAM: every page PageReserved, so __ioremap_check_ram() lets ioremap_prot() map it' };
  }
  if (a.target !== 'mmio') {
    return fail(sys, 'EIO', 'R-PTRACE-RAM', `ioremap_prot() refuses ${a.target === 'cow' ? 'the COW copy (ordinary RAM)' : 'System RAM'}: -ENOMEM`);
  }
  return { outcome: a.write ? 'ok' : 'data', rule: 'R-PTRACE-MMIO', via: ['R-PTRACE-MMIO'], why: 'ioremap_prot() maps MMIO and the bytes are copied' };
}
