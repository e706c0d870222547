// The agent's lseek request and answer lines (guest-image/agent.c).
import { describe, expect, it } from 'vitest';
import { formatLseekLine, parseLseekAnswer } from '../../src/probe/lseek.js';

describe('lseek protocol', () => {
  it('writes whence in decimal and the offset as 64-bit hex', () => {
    expect(formatLseekLine({ id: 3, whence: 1, offset: 0xffffffffffffefffn })).toBe('3 lseek 1 0xffffffffffffefff');
    expect(() => formatLseekLine({ id: 3, whence: 16, offset: 0n })).toThrow(/whence 16/);
    expect(() => formatLseekLine({ id: 3, whence: 0, offset: 1n << 64n })).toThrow(/64-bit/);
  });
  it('reads a position and an errno answer', () => {
    expect(parseLseekAnswer('{"id":1,"op":"lseek","whence":0,"offset":"0x8000000000000000","result":"ok","pos":"0x8000000000000000"}')).toEqual({
      id: 1, whence: 0, offset: 0x8000000000000000n, observed: { result: 'ok', pos: 0x8000000000000000n },
    });
    expect(parseLseekAnswer('{"id":2,"op":"lseek","whence":0,"offset":"0xffffffffffffffff","result":"errno","errno":"EOVERFLOW","syscall":"lseek"}').observed).toEqual({ result: 'errno', errno: 'EOVERFLOW', syscall: 'lseek' });
  });
  it('refuses what the agent never writes', () => {
    expect(() => parseLseekAnswer('{"id":1,"error":"lseek takes a decimal whence"}')).toThrow(/error/);
    expect(() => parseLseekAnswer('{"id":1,"op":"lseek","whence":0,"offset":"0x1","result":"ok"}')).toThrow(/no ok pos/);
    expect(() => parseLseekAnswer('not json')).toThrow(/not JSON/);
  });
});
