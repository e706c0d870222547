// The probe vocabulary shared by the planner, the guest agent protocol,
// the model and the report. One place, so the three cannot drift apart.

import { opDef, PROBE_OPS, type ProbeOp } from './ops/index.js';

// The ops themselves are defined in probe/ops/, one file per family.
export { PROBE_OPS, type ProbeOp };

/** Ops that need the long-lived agent (their mappings outlive one request batch). */
export const isHeldOp = (op: ProbeOp): boolean => opDef(op)?.held === true;

/** One planned access. Addresses are guest physical, page aligned in plans. */
export interface ProbeSpec {
  id: number;
  op: ProbeOp;
  addr: number;
  len: number;
  /** Why the planner chose this address (e.g. "start-1p of System RAM"). */
  why: string;
}

/** What the agent saw. Exactly one of the outcome shapes below. */
export interface ProbeObserved {
  /**
   * 'ok': the call (or touch) succeeded; 'errno': it failed; 'signal': a
   * touch faulted; 'refused': the agent declined (a write without -w).
   */
  result: 'ok' | 'errno' | 'signal' | 'refused';
  /** Why the agent refused. */
  reason?: string;
  /** Symbolic errno (EPERM, EFAULT, ...) when result is 'errno'. */
  errno?: string;
  /** Which syscall failed: open, pread, pwrite, mmap. */
  syscall?: string;
  /** SIGBUS / SIGSEGV when result is 'signal'. */
  signal?: string;
  /** si_code name, e.g. BUS_ADRERR. */
  sigCode?: string;
  /** Bytes transferred (read/write) or touched before the signal. */
  bytes?: number;
  /** For successful reads/touches: were all bytes zero? */
  zero?: boolean;
  /** FNV-1a 64 of the bytes read, hex; lets steps be compared. */
  fnv?: string;
}

/** The model's expectation as the report records it. */
export interface ProbeExpectation {
  outcome: 'data' | 'zeros' | 'errno' | 'signal' | 'ok';
  errno?: string;
  syscall?: string;
  signal?: string;
  /** The rule id of kernel-model.md that decided the outcome. */
  rule: string;
  /** Rules that decided along the way. */
  via: string[];
  why: string;
  /** The input the model lacked (verdict 'unknown'). */
  unknown?: string;
}

/**
 * match: kernel = model; mismatch: kernel ≠ model; violation: a safety
 * property broke, whatever the model predicted; skipped: not judged (reason);
 * unknown: the model lacked an input the lab could not observe (the reason
 * names it), so nothing was judged; flaky: the outcome varied between the
 * repeats of a run (format/repeats.ts), never a finding.
 */
export type ProbeVerdict = 'match' | 'mismatch' | 'violation' | 'skipped' | 'unknown' | 'flaky';

export interface ProbeRecord extends Omit<ProbeSpec, 'addr'> {
  addr: string; // hex in reports: kernel people read addresses in hex
  observed: ProbeObserved;
  expected?: ProbeExpectation;
  verdict?: ProbeVerdict;
  /** Why the verdict: the mismatch or violation in words. */
  verdictReason?: string;
  /** In a repeated run: how many repeats reached it, and each outcome it had with its count. */
  repeats?: { runs: number; outcomes: { outcome: string; verdict: string; count: number }[] };
}

export { hex } from '../util/hex.js';
export const PAGE = 4096;
