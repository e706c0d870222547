// The probe op registry (src/probe/ops/): the one list ProbeOp, PROBE_OPS,
// request checks, answer parsing and the model's predict() read.
import { describe, expect, it } from 'vitest';
import { predict } from '../../src/model/index.js';
import { OP_FAMILIES, opDef } from '../../src/probe/ops/index.js';
import { isHeldOp, PROBE_OPS } from '../../src/probe/types.js';
import { facts, STEPS } from './model/q35.js';

describe('probe op registry', () => {
  it('names every op once, in the order of its families', () => {
    const names = OP_FAMILIES.flat().flatMap((d) => [...d.names]);
    expect(new Set(names).size).toBe(names.length);
    expect(PROBE_OPS).toEqual(names);
    expect(opDef('poke')).toBeUndefined();
    expect(opDef('constructor')).toBeUndefined();
  });

  it('routes hold-, held- and release- ops to the long-lived agent', () => {
    expect(PROBE_OPS.filter(isHeldOp)).toEqual(PROBE_OPS.filter((op) => /^(hold|held|release)-/.test(op)));
  });

  it('lets predict() judge an op from one step exactly when its definition has a prediction', () => {
    for (const op of PROBE_OPS) {
      const call = () => predict(facts('6.1'), STEPS.beforeDriver, { id: 1, op, addr: 0x1000, len: 4096, why: 'test' });
      if (opDef(op)!.predict) expect(call, op).not.toThrow();
      else expect(call, op).toThrow(/cannot judge/);
    }
  });
});
