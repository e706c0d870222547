// The safety registry (src/lab/safety/): which properties a report lists,
// and what the step and end hooks feed them. The values below are written
// from the properties' definitions in docs/kernel-model.md.
import { describe, expect, it } from 'vitest';
import { endSafety, SAFETY, SAFETY_IDS, safetyProperty, stepSafety, type StepSafetyView } from '../../src/lab/safety/index.js';
import type { KernelFacts, StepState } from '../../src/model/index.js';

const MiB = 1024 * 1024;
const view = (over: Partial<StepSafetyView>): StepSafetyView => ({
  step: 'plug',
  facts: {} as KernelFacts,
  state: {} as StepState,
  iomem: [],
  virtioMemBound: true,
  memoryBlockSize: 128 * MiB,
  released: [],
  ...over,
});
const host = { populatedBytes: 4096, extents: 1, strayBlocks: [], qmpSize: 512 * MiB, requestedSize: 512 * MiB, guestAddedBytes: 512 * MiB };

describe('safety properties', () => {
  it('a report lists S1 to S7, each with its text and the kernel code that decides it', () => {
    expect(SAFETY_IDS).toEqual(['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7']);
    for (const p of SAFETY) expect(p.text.length > 20 && p.source.length > 10).toBe(true);
    expect(safetyProperty('S6')?.source).toMatch(/memtype_free/);
    expect(safetyProperty('S8')).toBeUndefined();
  });

  it('at a step with a device, S4 and S5 judge the host view and S6 the memtype list', () => {
    const ok = stepSafety(view({ host, memtypes: [] }));
    expect(ok.map((e) => [e.property, e.exercised, e.violated])).toEqual([
      ['S4', true, false],
      ['S5', true, false],
      // Nothing held or released: nothing to judge.
      ['S6', false, false],
    ]);
    // A populated page in an unplugged block violates both S4 and S5.
    const stray = { ...host, strayBlocks: [{ block: 300, addr: '0x125800000', offset: '0x25800000', bytes: 4096 }] };
    expect(stepSafety(view({ host: stray })).filter((e) => e.violated).map((e) => e.property)).toEqual(['S4', 'S5']);
    // The guest added less than the plugged size rounded up to memory blocks.
    expect(stepSafety(view({ host: { ...host, guestAddedBytes: 384 * MiB } })).filter((e) => e.violated).map((e) => e.property)).toEqual(['S5']);
  });

  it('without a device only S6 speaks; at the end of a run S7 holds', () => {
    expect(stepSafety(view({})).map((e) => e.property)).toEqual(['S6']);
    expect(endSafety({ steps: 5 })).toEqual([expect.objectContaining({ property: 'S7', exercised: true, violated: false })]);
  });
});
