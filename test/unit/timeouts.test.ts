// The named waits scale with the accelerator that ran and with how slowly
// the guest came up against the reference (lab/timeouts.ts). Expected
// values are worked out by hand from the base table and the references.
import { describe, expect, it } from 'vitest';
import { scaledTimeouts, speedFactor } from '../../src/lab/timeouts.js';

describe('speed factor', () => {
  it('is the measured time over the reference, never below 1 and at most 8', () => {
    // TCG boot reference 6 s: a 12 s boot is twice as slow.
    expect(speedFactor('tcg', 'boot', 12_000)).toEqual({ accel: 'tcg', basis: 'boot', measuredMs: 12_000, referenceMs: 6_000, factor: 2 });
    expect(speedFactor('tcg', 'boot', 3_000).factor).toBe(1);
    expect(speedFactor('tcg', 'boot', 600_000).factor).toBe(8);
    // TCG restore reference 1.5 s: 2.25 s is 1.5 ×.
    expect(speedFactor('tcg', 'restore', 2_250).factor).toBe(1.5);
    // KVM boot reference 2 s.
    expect(speedFactor('kvm', 'boot', 5_000).factor).toBe(2.5);
  });
});

describe('scaled timeouts', () => {
  it('keeps the TCG base at factor 1, halves it under KVM and stretches it by the factor', () => {
    expect(scaledTimeouts('tcg', 1).resize).toBe(180_000);
    expect(scaledTimeouts('kvm', 1).resize).toBe(90_000);
    expect(scaledTimeouts('tcg', 2).ssh).toBe(240_000);
    expect(scaledTimeouts('kvm', 3).settle).toBe(45_000);
  });
  it('keeps a value the run set itself', () => {
    const t = scaledTimeouts('tcg', 4, { ssh: 1_500 });
    expect(t.ssh).toBe(1_500);
    expect(t.module).toBe(240_000);
  });
});
