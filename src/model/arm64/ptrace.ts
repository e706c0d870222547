// ptrace and /proc/PID/mem on a /dev/mem mapping on arm64: the generic
// generic_access_phys() (mm/memory.c) up to its ioremap_prot(), whose
// arm64 ioremap_allowed() (arch/arm64/mm/ioremap.c) decides:
//
//   if (last_addr & ~PHYS_MASK) return false;
//   /* Don't allow RAM to be mapped. */
//   if (WARN_ON(pfn_is_map_memory(__phys_to_pfn(phys_addr)))) return false;
//
// pfn_is_map_memory() is memblock_is_map_memory(): any non-NOMAP memblock
// page, hot-added blocks included. WARN_ON, not WARN_ON_ONCE: every attempt
// prints a full WARNING, by design (R-A64-PTRACE-RAM-WARN), where x86
// refuses "ioremap on RAM" with one WARN_ONCE.

import type { KernelFacts } from '../facts.js';
import { fail, type Expected, type Syscall } from '../expected.js';
import type { RuleId } from '../rules.js';

/**
 * The console line of that WARNING, kernel/panic.c __warn()'s "WARNING: CPU: %d
 * PID: %d at %s:%d %pS" ("… at arch/arm64/mm/ioremap.c:15 ioremap_allowed+0x…"
 * in 6.1.192); the file holds no other WARN.
 */
export const IOREMAP_ALLOWED_WARNING = /WARNING: CPU: \d+ PID: \d+ at arch\/arm64\/mm\/ioremap\.c:\d+ /;

/**
 * What generic_access_phys() does with a live PTE it may use: the target
 * decides, whether it was RAM all along or the private COW copy (ordinary
 * RAM) of an MMIO page. MMIO is mapped with the user PTE's protection and
 * copied: bytes on a CPU without PAN (cortex-a57, the lab's arm64 profile).
 * With PAN 6.1's ioremap_prot() keeps the user bit and the copy oopses
 * (docs/arm64.md): a kernel bug, not a prediction.
 */
export function ptraceTargetArm64(sys: Syscall, write: boolean, target: 'ram' | 'reserved-ram' | 'cow' | 'mmio'): Expected {
  if (target === 'mmio') {
    return { outcome: write ? 'ok' : 'data', rule: 'R-PTRACE-MMIO', via: ['R-PTRACE-MMIO'], why: 'ioremap_allowed() lets MMIO (not memblock memory) through and the bytes are copied (a CPU without PAN)' };
  }
  const what = target === 'cow' ? 'the COW copy (ordinary RAM)' : 'memblock memory (System RAM)';
  return { ...fail(sys, 'EIO', 'R-A64-PTRACE-RAM-WARN', `ioremap_allowed() refuses ${what} with a WARNING (WARN_ON on every attempt): ioremap_prot() NULL, -ENOMEM`), warning: 'R-A64-PTRACE-RAM-WARN' };
}

/**
 * The rule a console WARNING is expected by, if the kernel prints it by
 * design on this architecture (so S7 need not count it as a bug): on arm64
 * the ioremap_allowed() WARNING of R-A64-PTRACE-RAM-WARN.
 */
export function expectedConsoleWarning(facts: Pick<KernelFacts, 'arch'>, line: string): RuleId | undefined {
  return facts.arch === 'arm64' && IOREMAP_ALLOWED_WARNING.test(line) ? 'R-A64-PTRACE-RAM-WARN' : undefined;
}
