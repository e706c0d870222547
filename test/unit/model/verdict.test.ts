import { describe, expect, it } from 'vitest';
import type { ProbeObserved, ProbeSpec } from '../../../src/probe/types.js';
import { checkS1, checkS2, checkS3, emptySafetyReport, explainJudgement, foldSafety, judge, type ClaimEvent, type Expected } from '../../../src/model/index.js';
import { facts, STEPS } from './q35.js';

const exp = (e: Partial<Expected>): Expected => ({ outcome: 'data', rule: 'R-RW-COPY', via: [], why: 't', ...e });
const obs = (o: Partial<ProbeObserved>): ProbeObserved => ({ result: 'ok', ...o });

describe('judge()', () => {
  it("'data' matches any successful full read, zero or not", () => {
    expect(judge(exp({ bytes: 4096 }), obs({ bytes: 4096, zero: false }))).toBe('match');
    expect(judge(exp({ bytes: 4096 }), obs({ bytes: 4096, zero: true }))).toBe('match');
    expect(judge(exp({ bytes: 4096 }), obs({ bytes: 100 }))).toBe('mismatch');
    expect(judge(exp({ bytes: 4096 }), obs({}))).toBe('mismatch');
    expect(judge(exp({ bytes: 4096 }), obs({ result: 'errno', errno: 'EPERM', syscall: 'pread' }))).toBe('mismatch');
  });

  it("'zeros' requires observed.zero === true", () => {
    expect(judge(exp({ outcome: 'zeros', bytes: 4096 }), obs({ bytes: 4096, zero: true }))).toBe('match');
    expect(judge(exp({ outcome: 'zeros', bytes: 4096 }), obs({ bytes: 4096, zero: false }))).toBe('mismatch');
    expect(judge(exp({ outcome: 'zeros', bytes: 4096 }), obs({ bytes: 4096 }))).toBe('mismatch');
  });

  it('errno and syscall must be equal', () => {
    const e = exp({ outcome: 'errno', errno: 'EPERM', syscall: 'mmap' });
    expect(judge(e, obs({ result: 'errno', errno: 'EPERM', syscall: 'mmap' }))).toBe('match');
    expect(judge(e, obs({ result: 'errno', errno: 'EINVAL', syscall: 'mmap' }))).toBe('mismatch');
    expect(explainJudgement(e, obs({ result: 'errno', errno: 'EPERM', syscall: 'open' })).reason).toMatch(/from mmap, got it from open/);
    expect(judge(e, obs({ result: 'ok' }))).toBe('mismatch');
  });

  it('a touch that faults matches a signal expectation with the same signal', () => {
    const e = exp({ outcome: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0 });
    expect(judge(e, obs({ result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0 }))).toBe('match');
    expect(judge(e, obs({ result: 'signal', signal: 'SIGSEGV' }))).toBe('mismatch');
    expect(judge(e, obs({ result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_OBJERR' }))).toBe('mismatch');
    expect(judge(e, obs({ result: 'ok', bytes: 4096 }))).toBe('mismatch');
  });

  it("'ok' matches a successful mmap or counted write", () => {
    expect(judge(exp({ outcome: 'ok' }), obs({}))).toBe('match');
    expect(judge(exp({ outcome: 'ok', bytes: 4096 }), obs({ bytes: 4096 }))).toBe('match');
  });

  it('a refused probe never matches', () => {
    expect(explainJudgement(exp({}), obs({ result: 'refused', reason: 'write without -w' }))).toMatchObject({ verdict: 'mismatch' });
  });
});

const s = (op: ProbeSpec['op'], addr: number, len = 4096): ProbeSpec => ({ id: 7, op, addr, len, why: 't' });

describe('checkS1()', () => {
  const f = facts('6.1');

  it('a successful read, write or mmap of the bound device region is a violation, whatever the model said', () => {
    expect(checkS1(f, STEPS.plugged512, s('read', 0x100000000), obs({ bytes: 4096 }))).toMatchObject({ exercised: true, violated: true });
    expect(checkS1(f, STEPS.plugged512, s('write', 0x100000000), obs({ bytes: 4096 }))).toMatchObject({ violated: true });
    expect(checkS1(f, STEPS.boundUnplugged, s('mmap-private', 0x130000000), obs({}))).toMatchObject({ violated: true });
  });

  it('a touch that faulted still had a successful mmap', () => {
    expect(checkS1(f, STEPS.plugged512, s('touch-shared', 0x100000000), obs({ result: 'signal', signal: 'SIGBUS' })).violated).toBe(true);
  });

  it('refusals hold; a mapping that only ends inside the region counts', () => {
    expect(checkS1(f, STEPS.plugged512, s('mmap-shared', 0x100000000), obs({ result: 'errno', errno: 'EPERM', syscall: 'mmap' }))).toMatchObject({ exercised: true, violated: false });
    expect(checkS1(f, STEPS.plugged512, s('mmap-shared', 0xfffff000, 1), obs({}))).toMatchObject({ exercised: false });
    expect(checkS1(f, STEPS.plugged512, s('mmap-shared', 0xfffff000, 4097), obs({}))).toMatchObject({ exercised: true, violated: true });
  });

  it('is not exercised with the driver unbound (even with the parent left behind), outside the region, or when the agent refused', () => {
    expect(checkS1(f, STEPS.afterUncleanUnload, s('read', 0x100000000), obs({ bytes: 4096 })).exercised).toBe(false);
    expect(checkS1(f, STEPS.plugged512, s('read', 0x1000), obs({ bytes: 4096 })).exercised).toBe(false);
    expect(checkS1(f, STEPS.plugged512, s('write', 0x100000000), obs({ result: 'refused' })).exercised).toBe(false);
  });
});

describe('SafetyReport folding', () => {
  const ids = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7'] as const;
  it('starts not-exercised, holds after passing checks, and a violation sticks', () => {
    let r = emptySafetyReport(ids);
    expect(Object.values(r).map((x) => x.status)).toEqual(['not-exercised', 'not-exercised', 'not-exercised', 'not-exercised', 'not-exercised', 'not-exercised', 'not-exercised']);
    r = foldSafety(r, { property: 'S1', exercised: false, violated: false, evidence: 'n/a' });
    expect(r.S1.status).toBe('not-exercised');
    r = foldSafety(r, { property: 'S1', exercised: true, violated: false, evidence: 'refused' });
    r = foldSafety(r, { property: 'S1', exercised: true, violated: true, evidence: 'read succeeded' });
    r = foldSafety(r, { property: 'S1', exercised: true, violated: false, evidence: 'refused again' });
    expect(r.S1).toMatchObject({ status: 'violated', checks: 3, evidence: ['refused', 'read succeeded'] });
  });

  it('accepts evidence for S2–S5 from other parts of the lab', () => {
    const r = foldSafety(emptySafetyReport(ids), { property: 'S4', exercised: true, violated: false, evidence: 'no populated page in unplugged blocks' });
    expect(r.S4.status).toBe('holds');
    expect(r.S1.status).toBe('not-exercised');
  });

  it('evidence for a property the report did not start with opens it', () => {
    const r = foldSafety(emptySafetyReport(['S1']), { property: 'S9', exercised: true, violated: true, evidence: 'x' });
    expect(r.S9).toEqual({ id: 'S9', status: 'violated', checks: 1, evidence: ['x'] });
    expect(r.S1.status).toBe('not-exercised');
  });

  it('is pure: folding returns a new report', () => {
    const a = emptySafetyReport(ids);
    foldSafety(a, { property: 'S2', exercised: true, violated: true, evidence: 'x' });
    expect(a.S2.status).toBe('not-exercised');
  });
});

describe('checkS2() / checkS3()', () => {
  const mapping = { start: 0x100000000, end: 0x100001fff, private: false };
  const claimed: ClaimEvent[] = [{ claim: { start: 0x100000000, end: 0x13fffffff, name: 'virtio5', kind: 'request' }, after: STEPS.boundUnplugged }];

  it('S2: a touch that still reads after a driver claimed the range is a violation, whatever the config', () => {
    expect(checkS2(mapping, claimed, obs({ bytes: 8192 }))).toMatchObject({ exercised: true, violated: true });
    expect(checkS2(mapping, claimed, obs({ result: 'signal', signal: 'SIGBUS', bytes: 0 }))).toMatchObject({ exercised: true, violated: false });
  });

  it('S2: bytes before the claimed part do not count, bytes past its start do', () => {
    const half: ClaimEvent[] = [{ claim: { start: 0x100001000, end: 0x100001fff, name: 'x', kind: 'request' }, after: STEPS.boundUnplugged }];
    expect(checkS2(mapping, half, obs({ result: 'signal', signal: 'SIGBUS', bytes: 4096 })).violated).toBe(false);
    expect(checkS2(mapping, half, obs({ result: 'signal', signal: 'SIGBUS', bytes: 4097 })).violated).toBe(true);
  });

  it('S2 is not exercised without an overlapping request', () => {
    expect(checkS2(mapping, [], obs({ bytes: 8192 })).exercised).toBe(false);
    expect(checkS2(mapping, [{ ...claimed[0], claim: { ...claimed[0].claim, kind: 'insert' } }], obs({ bytes: 8192 })).exercised).toBe(false);
  });

  it('S3: ptrace bytes back from a revoked mapping is a violation; EIO holds', () => {
    expect(checkS3(true, obs({ bytes: 8 }), 'PEEKDATA')).toMatchObject({ exercised: true, violated: true });
    expect(checkS3(true, obs({ result: 'errno', errno: 'EIO' }), 'PEEKDATA')).toMatchObject({ exercised: true, violated: false });
    expect(checkS3(false, obs({ bytes: 8 }), 'PEEKDATA').exercised).toBe(false);
  });

  it('S3 with a live prefix: the bytes before the first revoked page hold, one byte more is a violation', () => {
    expect(checkS3(true, obs({ bytes: 4096 }), '/proc/self/mem read', 4096)).toMatchObject({ exercised: true, violated: false });
    expect(checkS3(true, obs({ bytes: 8192 }), '/proc/self/mem read', 4096)).toMatchObject({ exercised: true, violated: true });
  });
});
