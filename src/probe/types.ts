// The probe vocabulary shared by the planner, the guest agent protocol,
// the model and the report. One place, so the three cannot drift apart.

/** What a probe does to /dev/mem at one physical address. */
export type ProbeOp =
  | 'read' // pread(fd, buf, len, addr)
  | 'write' // pwrite of a pattern; only where a scenario explicitly allows it
  | 'mmap-shared' // mmap(PROT_READ, MAP_SHARED) then munmap: does the mapping succeed?
  | 'mmap-private' // mmap(PROT_READ, MAP_PRIVATE) then munmap
  | 'touch-shared' // mmap shared, read every byte, SIGBUS/SIGSEGV caught
  | 'touch-private' // same with MAP_PRIVATE
  | 'mmap-sync-shared' // mmap-shared on an O_SYNC fd: PAT is asked for UC- instead of WB
  | 'mmap-sync-private'
  // Held mappings: made by one request, kept by a long-lived agent, used by
  // later ones (keyed by op kind, address and length).
  | 'hold-shared' // mmap(PROT_READ, MAP_SHARED) and keep it
  | 'hold-private'
  | 'held-touch-shared' // read every byte of the held mapping, SIGBUS/SIGSEGV caught
  | 'held-touch-private'
  | 'held-procmem-shared' // pread of /proc/self/mem at the mapping: the ptrace path (generic_access_phys)
  | 'held-procmem-private'
  | 'held-vmreadv-shared' // process_vm_readv of the mapping
  | 'held-vmreadv-private'
  | 'held-procmem-write-shared' // pwrite of the write pattern to /proc/self/mem at the (read-only) mapping; needs -w
  | 'held-procmem-write-private'
  | 'release-shared' // munmap a held mapping (its PAT reservation must go with it)
  | 'release-private'
  | 'release-split-shared' // mprotect the held mapping's last page PROT_NONE (a VMA split), then munmap it all
  | 'release-split-private'
  | 'cow-procmem' // mmap MAP_PRIVATE rw, write each page (COW), pread /proc/self/mem there (generic_access_phys on anon pages)
  | 'cow-write' // the same mapping and stores, then munmap: a COW mapping's PAT reservation must go with it (S6)
  | 'kcore'; // read the physical address through /proc/kcore's direct-map offset

export const PROBE_OPS: readonly ProbeOp[] = [
  'read',
  'write',
  'mmap-shared',
  'mmap-private',
  'touch-shared',
  'touch-private',
  'mmap-sync-shared',
  'mmap-sync-private',
  'hold-shared',
  'hold-private',
  'held-touch-shared',
  'held-touch-private',
  'held-procmem-shared',
  'held-procmem-private',
  'held-vmreadv-shared',
  'held-vmreadv-private',
  'held-procmem-write-shared',
  'held-procmem-write-private',
  'release-shared',
  'release-private',
  'release-split-shared',
  'release-split-private',
  'cow-procmem',
  'cow-write',
  'kcore',
];

/** Ops that need the long-lived agent (their mappings outlive one request batch). */
export const isHeldOp = (op: ProbeOp): boolean => op.startsWith('hold-') || op.startsWith('held-') || op.startsWith('release-');

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
