// The agent's answer lines (guest-image/agent.c), checked strictly: one
// JSON object per request, keys in the agent's order, and per op (its
// ProbeOpDef, probe/ops/) the success fields it gives, the syscalls it can
// fail in, and whether it may fault or be refused.
import { AGENT_MAX_ADDR, AGENT_MAX_LEN, AgentProtocolError, type AgentAnswer } from './agent-protocol.js';
import { opDef } from './ops/index.js';
import type { ProbeObserved, ProbeOp } from './types.js';

type Json = Record<string, unknown>;

/** Parses one line the agent printed. Throws AgentProtocolError on anything else. */
export function parseAgentLine(line: string): AgentAnswer {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new AgentProtocolError('not-json', `agent answer is not JSON: ${clip(line)}`, {
      line,
      cause,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentProtocolError('not-json', `agent answer is not a JSON object: ${clip(line)}`, {
      line,
    });
  }
  const o = value as Json;
  const bad = (why: string): never => {
    throw new AgentProtocolError('bad-answer', `agent answer ${why}: ${clip(line)}`, { line });
  };

  if ('error' in o) {
    keys(o, ['id', 'error'], bad);
    const id = o.id === null ? null : uint(o.id, 'id', bad);
    return { kind: 'error', id, error: str(o.error, 'error', bad) };
  }
  const id = uint(o.id, 'id', bad);
  if (o.op === 'highmem') {
    keys(o, ['id', 'op', 'end'], bad);
    return { kind: 'highmem', id, highmemEnd: hexAddr(o.end, 'end', AGENT_MAX_ADDR + 1, bad) };
  }
  const def = typeof o.op === 'string' ? opDef(o.op) : undefined;
  if (!def) return bad('has an unknown op');
  const op = o.op as ProbeOp;
  const addr = hexAddr(o.addr, 'addr', AGENT_MAX_ADDR, bad);
  const len = uint(o.len, 'len', bad);
  if (len < 1 || len > AGENT_MAX_LEN) bad('has len out of range');
  const head = ['id', 'op', 'addr', 'len', 'result'];
  const isTouch = def.touches === true;

  switch (o.result) {
    case 'ok': {
      if (def.ok === 'done') {
        keys(o, head, bad);
        return { kind: 'probe', id, op, addr, len, observed: { result: 'ok' } };
      }
      if (def.ok === 'written') {
        keys(o, [...head, 'bytes'], bad);
        const bytes = uint(o.bytes, 'bytes', bad);
        if (bytes > len) bad('wrote more bytes than asked');
        return { kind: 'probe', id, op, addr, len, observed: { result: 'ok', bytes } };
      }
      keys(o, [...head, 'bytes', 'zero', 'fnv'], bad);
      const bytes = uint(o.bytes, 'bytes', bad);
      if (bytes > len) bad('read more bytes than asked');
      if (isTouch && bytes !== len) bad('touched a different length than mapped');
      if (typeof o.zero !== 'boolean') bad('has a non-boolean zero');
      if (typeof o.fnv !== 'string' || !/^[0-9a-f]{16}$/.test(o.fnv)) bad('has a malformed fnv');
      const observed: ProbeObserved = {
        result: 'ok',
        bytes,
        zero: o.zero as boolean,
        fnv: o.fnv as string,
      };
      return { kind: 'probe', id, op, addr, len, observed };
    }
    case 'errno': {
      keys(o, [...head, 'errno', 'syscall'], bad);
      const errno = str(o.errno, 'errno', bad);
      if (!/^E[A-Z0-9]+$/.test(errno)) bad('has a malformed errno');
      const syscall = str(o.syscall, 'syscall', bad);
      if (!def.syscalls.includes(syscall)) bad(`names syscall ${syscall} for ${op}`);
      return { kind: 'probe', id, op, addr, len, observed: { result: 'errno', errno, syscall } };
    }
    case 'signal': {
      if (!isTouch) bad(`reports a signal for ${op}`);
      keys(o, [...head, 'signal', 'sigCode', 'bytes'], bad);
      const signal = str(o.signal, 'signal', bad);
      if (signal !== 'SIGBUS' && signal !== 'SIGSEGV') bad('has an unknown signal');
      const sigCode = str(o.sigCode, 'sigCode', bad);
      if (!/^([A-Z][A-Z0-9_]*|-?\d+)$/.test(sigCode)) bad('has a malformed sigCode');
      const bytes = uint(o.bytes, 'bytes', bad);
      if (bytes >= len) bad('faulted after touching every byte');
      const observed: ProbeObserved = { result: 'signal', signal, sigCode, bytes };
      return { kind: 'probe', id, op, addr, len, observed };
    }
    case 'refused': {
      if (!def.needsWrite && !def.mayRefuse) bad(`reports ${op} as refused`);
      keys(o, [...head, 'reason'], bad);
      return { kind: 'refused', id, op, addr, len, reason: str(o.reason, 'reason', bad) };
    }
    default:
      return bad('has an unknown result');
  }
}

function keys(o: Json, expected: readonly string[], bad: (why: string) => never): void {
  const got = Object.keys(o);
  for (const k of expected) if (!(k in o)) bad(`lacks ${k}`);
  for (const k of got) if (!expected.includes(k)) bad(`has unexpected key ${k}`);
}

function uint(v: unknown, name: string, bad: (why: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`has a bad ${name}`);
  return v as number;
}

function str(v: unknown, name: string, bad: (why: string) => never): string {
  if (typeof v !== 'string' || v.length === 0) bad(`has a bad ${name}`);
  return v as string;
}

function hexAddr(v: unknown, name: string, max: number, bad: (why: string) => never): number {
  if (typeof v !== 'string' || !/^0x[0-9a-f]{1,14}$/.test(v)) bad(`has a bad ${name}`);
  const n = Number.parseInt((v as string).slice(2), 16);
  if (n > max) bad(`has ${name} out of range`);
  return n;
}

const clip = (s: string): string => (s.length > 200 ? s.slice(0, 200) + '…' : s);

