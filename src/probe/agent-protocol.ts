// The host's end of the guest probe agent's line protocol
// (guest-image/agent.c documents it in its header comment, and each file of
// guest-image/ops/ its ops): request lines out, JSON answer lines in, and
// the write pattern the agent stores so the host can check a write through
// the shared memory backend.

import { opDef } from './ops/index.js';
import { PROBE_OPS, type ProbeObserved, type ProbeOp, type ProbeSpec } from './types.js';

/** Largest len the agent accepts (its one buffer is 1 MiB). */
export const AGENT_MAX_LEN = 1 << 20;
/** Largest addr the agent accepts: x86-64's architectural physical limit. */
export const AGENT_MAX_ADDR = 2 ** 52;
/** The guest's page size; mmap-* and touch-* addresses must be multiples of it. */
export const AGENT_PAGE = 4096;
/** The write pattern: the word at physical address a is a ^ this, little-endian. */
export const WRITE_PATTERN_XOR = 0x5a5a5a5a5a5a5a5an;
/** FNV-1a 64 of no bytes: what a 0-byte read reports. */
export const FNV1A64_EMPTY = 'cbf29ce484222325';

export type AgentProtocolErrorReason =
  | 'bad-request' // a spec the agent would reject as malformed
  | 'not-json' // an answer line that is not a JSON object
  | 'bad-answer'; // JSON, but not a shape the agent produces

export class AgentProtocolError extends Error {
  readonly code = 'E_AGENT_PROTOCOL' as const;
  readonly reason: AgentProtocolErrorReason;
  /** The offending answer line, when parsing. */
  readonly line: string | undefined;

  constructor(
    reason: AgentProtocolErrorReason,
    message: string,
    options: { line?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentProtocolError';
    this.reason = reason;
    this.line = options.line;
  }
}

/** A probe's answer, echoing the request so the caller can match it. */
export interface AgentProbeAnswer {
  kind: 'probe';
  id: number;
  op: ProbeOp;
  addr: number;
  len: number;
  observed: ProbeObserved;
}

/** A write probe the agent declined because it was started without -w. */
export interface AgentRefusedAnswer {
  kind: 'refused';
  id: number;
  op: ProbeOp;
  addr: number;
  len: number;
  reason: string;
}

/** The lowest address whose 1-byte read fails EFAULT, or hi + 1. */
export interface AgentHighmemAnswer {
  kind: 'highmem';
  id: number;
  highmemEnd: number;
}

/** The agent could not run a request line; id is null if it had no readable id. */
export interface AgentErrorAnswer {
  kind: 'error';
  id: number | null;
  error: string;
}

export type AgentAnswer =
  | AgentProbeAnswer
  | AgentRefusedAnswer
  | AgentHighmemAnswer
  | AgentErrorAnswer;

// ---- requests -------------------------------------------------------------

function badRequest(what: string, fix: string): never {
  throw new AgentProtocolError('bad-request', `${what}; ${fix}`);
}

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) {
    badRequest(`probe id ${id} is not a non-negative safe integer`, 'number probes 0, 1, 2, …');
  }
}

function checkAddr(name: string, addr: number): void {
  if (!Number.isSafeInteger(addr) || addr < 0 || addr > AGENT_MAX_ADDR) {
    badRequest(`${name} ${addr} is out of range`, `use an integer from 0 to 2^52`);
  }
}

const hexOf = (n: number): string => '0x' + n.toString(16);

/** One request line for the agent, without the newline. */
export function formatProbeLine(spec: ProbeSpec): string {
  checkId(spec.id);
  const def = opDef(spec.op);
  if (!def) {
    badRequest(`unknown probe op ${JSON.stringify(spec.op)}`, `use one of ${PROBE_OPS.join(', ')}`);
  }
  checkAddr('addr', spec.addr);
  if (!Number.isSafeInteger(spec.len) || spec.len < 1 || spec.len > AGENT_MAX_LEN) {
    badRequest(`len ${spec.len} is out of range`, `use 1 to ${AGENT_MAX_LEN} bytes`);
  }
  if (def.align === 'word' && (spec.addr % 8 !== 0 || spec.len % 8 !== 0)) {
    badRequest(
      `${spec.op} at ${hexOf(spec.addr)} len ${spec.len} is not whole 8-byte words`,
      'align addr and len to 8',
    );
  }
  if (def.align === 'page' && spec.addr % AGENT_PAGE !== 0) {
    badRequest(`${spec.op} at ${hexOf(spec.addr)} is not page aligned`, 'use a multiple of 4096');
  }
  return `${spec.id} ${spec.op} ${hexOf(spec.addr)} ${spec.len}`;
}

/** The request for a binary search of the direct map's end in [lo, hi]. */
export function formatHighmemLine(id: number, lo: number, hi: number): string {
  checkId(id);
  checkAddr('lo', lo);
  checkAddr('hi', hi);
  if (lo > hi) badRequest(`lo ${hexOf(lo)} exceeds hi ${hexOf(hi)}`, 'swap them');
  return `${id} highmem ${hexOf(lo)} ${hexOf(hi)}`;
}

// ---- data -----------------------------------------------------------------

/** The exact bytes a write probe at addr stores: words a ^ 0x5a5a…5a, little-endian. */
export function writePattern(addr: number, len: number): Buffer {
  if (!Number.isSafeInteger(addr) || addr < 0 || addr % 8 !== 0) {
    badRequest(`write pattern addr ${addr} is not a multiple of 8`, 'align it to 8');
  }
  if (!Number.isSafeInteger(len) || len < 0 || len % 8 !== 0) {
    badRequest(`write pattern len ${len} is not a multiple of 8`, 'use whole 8-byte words');
  }
  if (!Number.isSafeInteger(addr + len)) {
    badRequest(`write pattern ${hexOf(addr)}+${len} passes 2^53`, 'stay below 2^53');
  }
  const out = Buffer.alloc(len);
  const base = BigInt(addr);
  for (let i = 0; i < len; i += 8) {
    out.writeBigUInt64LE((base + BigInt(i)) ^ WRITE_PATTERN_XOR, i);
  }
  return out;
}

/** FNV-1a 64 as the agent reports it (16 lowercase hex digits). */
export function fnv1a64(data: Uint8Array): string {
  // 64-bit state in two 32-bit halves; prime = 2^40 + 0x1b3.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < data.length; i++) {
    lo = (lo ^ data[i]) >>> 0;
    const loMul = lo * 0x1b3; // < 2^41: exact in a double
    const newLo = loMul >>> 0;
    const carry = Math.floor(loMul / 0x1_0000_0000);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    lo = newLo;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

