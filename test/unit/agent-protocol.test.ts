import { describe, expect, it } from 'vitest';
import {
  AGENT_MAX_ADDR,
  AGENT_MAX_LEN,
  AgentProtocolError,
  FNV1A64_EMPTY,
  fnv1a64,
  formatHighmemLine,
  formatProbeLine,
  writePattern,
} from '../../src/probe/agent-protocol.js';
import { parseAgentLine } from '../../src/probe/agent-answers.js';
import type { ProbeSpec } from '../../src/probe/types.js';

const spec = (over: Partial<ProbeSpec>): ProbeSpec => ({
  id: 1,
  op: 'read',
  addr: 0x1000,
  len: 4096,
  why: 'test',
  ...over,
});

function protocolError(fn: () => unknown): AgentProtocolError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AgentProtocolError);
    expect((e as AgentProtocolError).code).toBe('E_AGENT_PROTOCOL');
    return e as AgentProtocolError;
  }
  throw new Error('expected an AgentProtocolError');
}

describe('formatProbeLine', () => {
  it('writes id, op, hex addr and decimal len', () => {
    expect(formatProbeLine(spec({}))).toBe('1 read 0x1000 4096');
    expect(formatProbeLine(spec({ id: 7, op: 'touch-private', addr: 0x1_0000_0000 }))).toBe(
      '7 touch-private 0x100000000 4096',
    );
    expect(formatProbeLine(spec({ op: 'read', addr: 0x123, len: 1 }))).toBe('1 read 0x123 1');
    expect(formatProbeLine(spec({ op: 'write', addr: 0x1008, len: 16 }))).toBe('1 write 0x1008 16');
    expect(formatProbeLine(spec({ addr: AGENT_MAX_ADDR, len: AGENT_MAX_LEN }))).toBe(
      '1 read 0x10000000000000 1048576',
    );
  });

  it.each([
    ['negative id', spec({ id: -1 })],
    ['fractional id', spec({ id: 1.5 })],
    ['unknown op', spec({ op: 'poke' as ProbeSpec['op'] })],
    ['negative addr', spec({ addr: -4096 })],
    ['addr past 2^52', spec({ addr: AGENT_MAX_ADDR + 4096 })],
    ['zero len', spec({ len: 0 })],
    ['len past 1 MiB', spec({ len: AGENT_MAX_LEN + 1 })],
    ['unaligned write addr', spec({ op: 'write', addr: 0x1004, len: 8 })],
    ['partial-word write len', spec({ op: 'write', addr: 0x1000, len: 12 })],
    ['unaligned mmap', spec({ op: 'mmap-shared', addr: 0x1001 })],
    ['unaligned touch', spec({ op: 'touch-shared', addr: 0x800 })],
  ])('rejects %s', (_name, s) => {
    expect(protocolError(() => formatProbeLine(s)).reason).toBe('bad-request');
  });
});

describe('formatHighmemLine', () => {
  it('writes lo and hi in hex', () => {
    expect(formatHighmemLine(3, 0, 0x4000_0000)).toBe('3 highmem 0x0 0x40000000');
  });
  it('rejects lo > hi and out-of-range bounds', () => {
    expect(protocolError(() => formatHighmemLine(3, 2, 1)).reason).toBe('bad-request');
    expect(protocolError(() => formatHighmemLine(3, 0, AGENT_MAX_ADDR + 1)).reason).toBe(
      'bad-request',
    );
  });
});

describe('parseAgentLine', () => {
  it('parses a successful read', () => {
    const line =
      '{"id":4,"op":"read","addr":"0x1000","len":4096,"result":"ok","bytes":4096,"zero":false,"fnv":"146753c7759ae701"}';
    expect(parseAgentLine(line)).toEqual({
      kind: 'probe',
      id: 4,
      op: 'read',
      addr: 0x1000,
      len: 4096,
      observed: { result: 'ok', bytes: 4096, zero: false, fnv: '146753c7759ae701' },
    });
  });

  it("parses kcore's refusal of an address /proc/kcore has no offset for (arm64, below PHYS_OFFSET)", () => {
    expect(parseAgentLine('{"id":7,"op":"kcore","addr":"0x10042000","len":4096,"result":"refused","reason":"no /proc/kcore offset: below the direct map\'s first physical address"}')).toEqual({
      kind: 'refused', id: 7, op: 'kcore', addr: 0x10042000, len: 4096, reason: "no /proc/kcore offset: below the direct map's first physical address",
    });
  });
  it('parses write, mmap, errno, signal, refused, highmem and error answers', () => {
    const head = (op: string) => `"id":2,"op":"${op}","addr":"0x2000","len":4096`;
    expect(parseAgentLine(`{${head('write')},"result":"ok","bytes":4096}`)).toMatchObject({
      observed: { result: 'ok', bytes: 4096 },
    });
    expect(parseAgentLine(`{${head('mmap-private')},"result":"ok"}`)).toMatchObject({
      kind: 'probe',
      observed: { result: 'ok' },
    });
    expect(
      parseAgentLine(`{${head('mmap-shared')},"result":"errno","errno":"EPERM","syscall":"mmap"}`),
    ).toMatchObject({ observed: { result: 'errno', errno: 'EPERM', syscall: 'mmap' } });
    expect(
      parseAgentLine(
        `{${head('touch-shared')},"result":"signal","signal":"SIGBUS","sigCode":"BUS_ADRERR","bytes":0}`,
      ),
    ).toMatchObject({
      observed: { result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0 },
    });
    expect(
      parseAgentLine(
        `{${head('touch-private')},"result":"signal","signal":"SIGSEGV","sigCode":"128","bytes":8}`,
      ),
    ).toMatchObject({ observed: { sigCode: '128' } });
    expect(
      parseAgentLine(`{${head('write')},"result":"refused","reason":"write probes need -w"}`),
    ).toEqual({
      kind: 'refused',
      id: 2,
      op: 'write',
      addr: 0x2000,
      len: 4096,
      reason: 'write probes need -w',
    });
    expect(parseAgentLine('{"id":9,"op":"highmem","end":"0x40000000"}')).toEqual({
      kind: 'highmem',
      id: 9,
      highmemEnd: 0x4000_0000,
    });
    expect(parseAgentLine('{"id":null,"error":"id must be a decimal integer"}')).toEqual({
      kind: 'error',
      id: null,
      error: 'id must be a decimal integer',
    });
    expect(parseAgentLine('{"id":5,"error":"unknown op"}')).toMatchObject({ id: 5 });
  });

  it('round-trips every op through the request format', () => {
    for (const op of ['read', 'mmap-shared', 'touch-private'] as const) {
      const s = spec({ id: 11, op, addr: 0xfee0_0000 });
      const [id, gotOp, addr, len] = formatProbeLine(s).split(' ');
      const answer = parseAgentLine(
        JSON.stringify({ id: Number(id), op: gotOp, addr, len: Number(len), result: 'errno', errno: 'EPERM', syscall: 'open' }),
      );
      expect(answer).toMatchObject({ kind: 'probe', id: s.id, op: s.op, addr: s.addr, len: s.len });
    }
  });

  const ok = '"id":1,"op":"read","addr":"0x0","len":8,"result":"ok"';
  it.each([
    ['not JSON', 'segfault', 'not-json'],
    ['an array', '[1,2]', 'not-json'],
    ['null', 'null', 'not-json'],
    ['a missing key', `{${ok},"bytes":8,"zero":true}`, 'bad-answer'],
    ['an extra key', `{${ok},"bytes":8,"zero":true,"fnv":"0000000000000000","x":1}`, 'bad-answer'],
    ['a string id', `{"id":"1","op":"read","addr":"0x0","len":8,"result":"ok"}`, 'bad-answer'],
    ['a null id on a probe', `{"id":null,"op":"mmap-shared","addr":"0x0","len":8,"result":"ok"}`, 'bad-answer'],
    ['decimal addr', `{"id":1,"op":"mmap-shared","addr":"4096","len":8,"result":"ok"}`, 'bad-answer'],
    ['upper-case hex addr', `{"id":1,"op":"mmap-shared","addr":"0xABC","len":8,"result":"ok"}`, 'bad-answer'],
    ['an unknown op', `{"id":1,"op":"poke","addr":"0x0","len":8,"result":"ok"}`, 'bad-answer'],
    ['an unknown result', `{"id":1,"op":"read","addr":"0x0","len":8,"result":"maybe"}`, 'bad-answer'],
    ['more bytes than len', `{${ok},"bytes":9,"zero":true,"fnv":"0000000000000000"}`, 'bad-answer'],
    ['a short fnv', `{${ok},"bytes":8,"zero":true,"fnv":"abc"}`, 'bad-answer'],
    ['a string zero', `{${ok},"bytes":8,"zero":"yes","fnv":"0000000000000000"}`, 'bad-answer'],
    ['a signal on read', `{"id":1,"op":"read","addr":"0x0","len":8,"result":"signal","signal":"SIGBUS","sigCode":"BUS_ADRERR","bytes":0}`, 'bad-answer'],
    ['a fault after the last byte', `{"id":1,"op":"touch-shared","addr":"0x0","len":8,"result":"signal","signal":"SIGBUS","sigCode":"BUS_ADRERR","bytes":8}`, 'bad-answer'],
    ['a partial successful touch', `{"id":1,"op":"touch-shared","addr":"0x0","len":8,"result":"ok","bytes":4,"zero":true,"fnv":"0000000000000000"}`, 'bad-answer'],
    ['pread failing an mmap', `{"id":1,"op":"mmap-shared","addr":"0x0","len":8,"result":"errno","errno":"EPERM","syscall":"pread"}`, 'bad-answer'],
    ['a numeric errno', `{"id":1,"op":"read","addr":"0x0","len":8,"result":"errno","errno":1,"syscall":"pread"}`, 'bad-answer'],
    ['a refused read', `{"id":1,"op":"read","addr":"0x0","len":8,"result":"refused","reason":"no"}`, 'bad-answer'],
    ['zero len', `{"id":1,"op":"mmap-shared","addr":"0x0","len":0,"result":"ok"}`, 'bad-answer'],
    ['a highmem end that is not hex', '{"id":1,"op":"highmem","end":12}', 'bad-answer'],
  ])('rejects %s', (_name, line, reason) => {
    const e = protocolError(() => parseAgentLine(line));
    expect(e.reason).toBe(reason);
    expect(e.line).toBe(line);
  });
});

describe('writePattern', () => {
  it('stores a ^ 0x5a5a5a5a5a5a5a5a little-endian for each word', () => {
    expect(writePattern(0, 16).toString('hex')).toBe('5a5a5a5a5a5a5a5a' + '525a5a5a5a5a5a5a');
    expect(writePattern(0x1_0000_0000, 8).toString('hex')).toBe('5a5a5a5a5b5a5a5a');
    const b = writePattern(0x1000, 4096);
    expect(b.length).toBe(4096);
    expect(b.readBigUInt64LE(4088)).toBe(BigInt(0x1000 + 4088) ^ 0x5a5a5a5a5a5a5a5an);
    expect(writePattern(8, 0).length).toBe(0);
  });
  it('rejects partial words', () => {
    expect(protocolError(() => writePattern(4, 8)).reason).toBe('bad-request');
    expect(protocolError(() => writePattern(8, 12)).reason).toBe('bad-request');
  });
});

describe('fnv1a64', () => {
  it('matches the published FNV-1a 64 vectors', () => {
    expect(fnv1a64(Buffer.alloc(0))).toBe(FNV1A64_EMPTY);
    expect(fnv1a64(Buffer.from('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(Buffer.from('foobar'))).toBe('85944171f73967e8');
  });
  it('matches a BigInt reference on random data', () => {
    const data = Buffer.from(Array.from({ length: 257 }, (_, i) => (i * 131 + 7) & 0xff));
    let h = 0xcbf29ce484222325n;
    for (const byte of data) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    expect(fnv1a64(data)).toBe(h.toString(16).padStart(16, '0'));
  });
});
