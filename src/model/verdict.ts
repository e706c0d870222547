// Verdicts: does an observation match the model's expectation, and do the
// safety properties (kernel-model.md) hold whatever the model said.

import type { ProbeObserved, ProbeSpec } from '../probe/types.js';
import { PAGE_SIZE, type KernelFacts, type StepState } from './facts.js';
import { modelContext } from './context.js';
import type { Expected } from './expected.js';
import type { ClaimEvent, HeldMapping } from './touch.js';
import { findParent } from './vmem.js';
import { hex } from '../util/hex.js';

/** unknown: the model lacked an input (Expected.unknown), so nothing was judged. */
export type Verdict = 'match' | 'mismatch' | 'unknown';

export interface Judgement {
  verdict: Verdict;
  reason: string;
}

/**
 * Precise matching: 'data' is any successful full transfer (bytes equal),
 * 'zeros' additionally needs observed.zero === true, 'ok' a success, errno
 * and syscall must be equal, a signal must be the same signal (and si_code
 * and bytes touched when both sides name them).
 */
export function explainJudgement(expected: Expected, observed: ProbeObserved): Judgement {
  const bytesOk = (): string | null => {
    if (expected.bytes === undefined) return null;
    if (observed.bytes === undefined) return `expected ${expected.bytes} bytes, agent reported no count`;
    return observed.bytes === expected.bytes ? null : `expected ${expected.bytes} bytes, got ${observed.bytes}`;
  };
  if (expected.unknown) return { verdict: 'unknown', reason: `the model lacks an input: ${expected.unknown}` };
  const no = (reason: string): Judgement => ({ verdict: 'mismatch', reason });
  if (observed.result === 'refused') return no(`the agent refused the probe${observed.reason ? `: ${observed.reason}` : ''}`);
  const got = observed.result === 'errno' ? `${observed.syscall ?? '?'} ${observed.errno}` : observed.result === 'signal' ? `${observed.signal} ${observed.sigCode ?? ''}`.trim() : `ok`;
  switch (expected.outcome) {
    case 'data':
    case 'zeros':
    case 'ok': {
      if (observed.result !== 'ok') return no(`expected ${expected.outcome}, got ${got}`);
      const b = bytesOk();
      if (b) return no(b);
      if (expected.outcome === 'zeros' && observed.zero !== true) return no('expected all-zero bytes, got non-zero contents');
      return { verdict: 'match', reason: expected.outcome };
    }
    case 'errno': {
      if (observed.result !== 'errno') return no(`expected ${expected.syscall ?? ''} ${expected.errno}, got ${got}`);
      if (observed.errno !== expected.errno) return no(`expected ${expected.errno}, got ${observed.errno}`);
      if (expected.syscall && observed.syscall && observed.syscall !== expected.syscall) {
        return no(`expected ${expected.errno} from ${expected.syscall}, got it from ${observed.syscall}`);
      }
      return { verdict: 'match', reason: `${expected.errno}` };
    }
    case 'signal': {
      if (observed.result !== 'signal') return no(`expected ${expected.signal}, got ${got}`);
      if (observed.signal !== expected.signal) return no(`expected ${expected.signal}, got ${observed.signal}`);
      if (expected.sigCode && observed.sigCode && observed.sigCode !== expected.sigCode) return no(`expected ${expected.sigCode}, got ${observed.sigCode}`);
      if (expected.bytes !== undefined && observed.bytes !== undefined && observed.bytes !== expected.bytes) {
        return no(`expected the fault after ${expected.bytes} bytes, got ${observed.bytes}`);
      }
      return { verdict: 'match', reason: `${expected.signal}` };
    }
  }
}

export function judge(expected: Expected, observed: ProbeObserved): Verdict {
  return explainJudgement(expected, observed).verdict;
}

/** A safety property's id (S1, S2, …); the lab's registry (lab/safety/) says which exist and what each means. */
export type SafetyId = `S${number}`;
export type SafetyStatus = 'holds' | 'violated' | 'not-exercised';

export interface SafetyResult {
  id: SafetyId;
  status: SafetyStatus;
  /** How many checks exercised the property. */
  checks: number;
  /** Evidence lines; every violation is listed, passes are summarised. */
  evidence: string[];
}

export type SafetyReport = Record<SafetyId, SafetyResult>;

/** One check of one property, from whatever part of the lab observed it. */
export interface SafetyEvidence {
  property: SafetyId;
  /** False when the check did not apply (e.g. the driver was not bound). */
  exercised: boolean;
  violated: boolean;
  evidence: string;
}

const unexercised = (id: SafetyId): SafetyResult => ({ id, status: 'not-exercised', checks: 0, evidence: [] });

export function emptySafetyReport(ids: readonly SafetyId[]): SafetyReport {
  const out = {} as SafetyReport;
  for (const id of ids) out[id] = unexercised(id);
  return out;
}

/** Folds one check into a report (pure: returns a new report). Violations are sticky. */
export function foldSafety(report: SafetyReport, ev: SafetyEvidence): SafetyReport {
  if (!ev.exercised) return report;
  const cur = report[ev.property] ?? unexercised(ev.property);
  const status: SafetyStatus = cur.status === 'violated' || ev.violated ? 'violated' : 'holds';
  const evidence = ev.violated || cur.checks === 0 ? [...cur.evidence, ev.evidence] : cur.evidence;
  return { ...report, [ev.property]: { ...cur, status, checks: cur.checks + 1, evidence } };
}


/** The physical bytes a probe reaches: mmap/touch map whole pages. */
function probeSpan(spec: ProbeSpec): { start: number; end: number } | null {
  if (spec.len <= 0) return null;
  if (spec.op === 'read' || spec.op === 'write') return { start: spec.addr, end: spec.addr + spec.len - 1 };
  return { start: spec.addr, end: spec.addr + Math.ceil(spec.len / PAGE_SIZE) * PAGE_SIZE - 1 };
}

/**
 * S1 for one probe, whatever the model predicted: with the driver bound, a
 * read or write that transferred data, or an mmap that succeeded (a touch
 * that ran or faulted had a successful mmap first) inside the device region
 * is a violation.
 */
export function checkS1(facts: KernelFacts, state: StepState, spec: ProbeSpec, observed: ProbeObserved): SafetyEvidence {
  const region = state.virtioMem.region ?? findParent(modelContext(facts, state).tree);
  const span = probeSpan(spec);
  const none = (why: string): SafetyEvidence => ({ property: 'S1', exercised: false, violated: false, evidence: why });
  if (!state.virtioMem.bound) return none('virtio-mem driver not bound');
  if (observed.result === 'refused') return none(`probe #${spec.id} not run: the agent refused it`);
  if (!region) return none('no device region known');
  if (!span || span.end < region.start || span.start > region.end) return none('probe outside the device region');
  const where = `probe #${spec.id} ${spec.op} ${hex(spec.addr)}+${spec.len} in region ${hex(region.start)}-${hex(region.end)}`;
  let succeeded: boolean;
  if (spec.op === 'touch-shared' || spec.op === 'touch-private') succeeded = observed.result === 'ok' || observed.result === 'signal';
  else if (spec.op === 'read' || spec.op === 'write') succeeded = observed.result === 'ok' && (observed.bytes ?? 1) > 0;
  else succeeded = observed.result === 'ok';
  return {
    property: 'S1',
    exercised: true,
    violated: succeeded,
    evidence: succeeded
      ? `${where}: succeeded (${observed.result}${observed.bytes !== undefined ? `, ${observed.bytes} bytes` : ''}) while the driver is bound`
      : `${where}: refused (${observed.syscall ?? ''} ${observed.errno ?? observed.result})`.replace('  ', ' '),
  };
}

/**
 * S2 for a touch of a mapping held across driver claims: once any claim on
 * the iomem root overlapping it has happened (whatever the config says about
 * revocation), a touch that still returns bytes reached the new owner's memory.
 */
export function checkS2(mapping: HeldMapping, events: ClaimEvent[], observed: ProbeObserved): SafetyEvidence {
  const claim = events.map((e) => e.claim).find((c) => c.kind === 'request' && c.start <= mapping.end && c.end >= mapping.start);
  const where = `mapping ${hex(mapping.start)}-${hex(mapping.end)}`;
  if (!claim || observed.result === 'refused') return { property: 'S2', exercised: false, violated: false, evidence: `${where}: no driver claimed it` };
  // Bytes before the claimed part are the old owner's; touching past its start is not.
  const firstClaimed = Math.max(claim.start, mapping.start) - mapping.start;
  const reached = observed.result === 'ok' || (observed.bytes ?? 0) > firstClaimed;
  return {
    property: 'S2',
    exercised: true,
    violated: reached,
    evidence: `${where} after "${claim.name}" claimed ${hex(claim.start)}-${hex(claim.end)}: ${reached ? `touch returned ${observed.bytes ?? '?'} bytes` : `${observed.signal ?? observed.errno ?? observed.result}`}`,
  };
}

/** S3 for ptrace or /proc/PID/mem on a mapping known to be revoked: any bytes back is a violation. */
/** `livePrefix`: bytes at the mapping's start the revocation left mapped; reading no more than those reaches no revoked page. */
export function checkS3(revoked: boolean, observed: ProbeObserved, what: string, livePrefix = 0): SafetyEvidence {
  if (!revoked || observed.result === 'refused') return { property: 'S3', exercised: false, violated: false, evidence: `${what}: mapping not revoked` };
  const reached = observed.result === 'ok' && (livePrefix === 0 || (observed.bytes ?? Infinity) > livePrefix);
  return { property: 'S3', exercised: true, violated: reached, evidence: `${what} on a revoked mapping: ${reached ? `returned ${observed.bytes ?? '?'} bytes` : `${observed.errno ?? observed.result}`}` };
}
