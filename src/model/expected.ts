// What the model expects one probe to observe, and the rule that decided it.

import type { RuleId } from './rules.js';

/**
 * 'data'  — read/touch succeeds with real contents (any bytes);
 * 'zeros' — succeeds and every byte is 0;
 * 'ok'    — mmap succeeded / write counted;
 * 'errno' — the syscall failed; 'signal' — a touch faulted.
 */
export type Outcome = 'data' | 'zeros' | 'errno' | 'signal' | 'ok';

export type Syscall = 'open' | 'pread' | 'pwrite' | 'mmap' | 'process_vm_readv' | 'lseek';

export interface Expected {
  outcome: Outcome;
  errno?: string;
  /** Which syscall fails, when outcome is 'errno'. */
  syscall?: Syscall;
  signal?: string;
  sigCode?: string;
  /** Bytes transferred (read/write) or touched, when the call succeeds. */
  bytes?: number;
  /** The most specific rule that decided the outcome. */
  rule: RuleId;
  /** Rules that decided along the way (e.g. R-DIA-RAM before R-RW-DENY), for coverage. */
  via: RuleId[];
  why: string;
  /**
   * An input the model needed and the lab could not observe (e.g. the PAT
   * memtype list without debugfs): the outcome above is not a prediction,
   * and the probe's verdict is 'unknown'.
   */
  unknown?: string;
  /**
   * The path prints a console WARNING by design (not a kernel bug): the rule
   * that expects it, e.g. arm64's ioremap_allowed() WARN_ON
   * (R-A64-PTRACE-RAM-WARN; arm64/ptrace.ts expectedConsoleWarning()).
   */
  warning?: RuleId;
}

export const fail = (syscall: Syscall, errno: string, rule: RuleId, why: string, via: RuleId[] = []): Expected => ({
  outcome: 'errno',
  errno,
  syscall,
  rule,
  via,
  why,
});

/** Appends rule ids without duplicates, keeping first-seen order. */
export function mergeVia(...lists: (readonly RuleId[])[]): RuleId[] {
  const out: RuleId[] = [];
  for (const l of lists) for (const r of l) if (!out.includes(r)) out.push(r);
  return out;
}
