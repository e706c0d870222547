// The benchmark's statistics: every verdict in docs/benchmarks.md is one of
// these percentiles or ratios, so they are pinned here.
import { describe, expect, it } from 'vitest';
import { addRatio, goal, rotate, timeRow } from '../../bench/rows.js';
import { gbPerSecond, mean, percentile, ratio, summarize, summarizeRate } from '../../bench/stats.js';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
  it('gives measured values at the usual ranks', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
  });

  it('does not depend on input order and does not reorder the input', () => {
    const shuffled = [7, 1, 9, 3, 5];
    expect(percentile(shuffled, 50)).toBe(5);
    expect(shuffled).toEqual([7, 1, 9, 3, 5]);
  });

  // Nearest rank (bench/stats.ts): the smallest sample with at least p% of the
  // samples at or below it. Of 4 samples, 2 (50%) are at or below the 2nd
  // smallest, so p50 of an even count is the lower middle, never the upper.
  it('takes the lower middle of an even count and the maximum as p99 of few samples', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([60, 10, 50, 20, 40, 30], 50)).toBe(30);
    expect(percentile([10, 20, 30], 99)).toBe(30);
  });

  it('refuses no samples, non-finite samples and p outside [0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });
});

describe('summaries', () => {
  it('summarize reports count, p50, p99 and mean', () => {
    expect(summarize(oneToHundred)).toEqual({ samples: 100, p50: 50, p99: 99, mean: 50.5 });
    expect(mean([1, 2, 6])).toBe(3);
  });

  it('throughput: GB/s per sample, and p99 is the slow tail (the low rate)', () => {
    expect(gbPerSecond(2e9, [1e9, 2e9])).toEqual([2, 1]);
    const rates = gbPerSecond(1e9, oneToHundred.map((ms) => ms * 1e6)); // 1 GB in 1..100 ms
    const s = summarizeRate(rates);
    expect(s.p50).toBeCloseTo(1000 / 51, 9); // the 50th-highest rate is the 51st-slowest time
    expect(s.p99).toBeCloseTo(10, 9); // 1 GB in 100 ms, the slowest scan
    expect(() => gbPerSecond(1, [0])).toThrow(RangeError);
  });
});

describe('ratios and goals', () => {
  it('ratio divides and refuses a zero or non-finite baseline', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(() => ratio(1, 0)).toThrow(RangeError);
    expect(() => ratio(Number.POSITIVE_INFINITY, 1)).toThrow(RangeError);
  });

  it('addRatio keys p50 and p99 ratios by the baseline competitor', () => {
    const native = timeRow('qmp', 'native', 'rt', 'µs', [110, 110, 220]);
    const c = timeRow('qmp', 'c', 'rt', 'µs', [100, 100, 200]);
    addRatio(native, c);
    expect(native.ratioTo).toEqual({ c: { p50: 1.1, p99: 1.1 } });
    addRatio(native, c, 'c/other');
    expect(Object.keys(native.ratioTo!)).toEqual(['c', 'c/other']);
  });

  it('timeRow keeps each round\'s p50 when samples come in rounds', () => {
    const r = timeRow('qmp', 'c', 'rt', 'µs', [[1, 2, 3], [10, 20, 30]]);
    expect(r.samples).toBe(6);
    expect(r.roundP50s).toEqual([2, 20]);
    expect(r.p50).toBe(3);
  });

  it('a goal holds at its limit and fails above it (or below, for at-least goals)', () => {
    expect(goal('qmp', 'x', 1.1, 1.1).met).toBe(true);
    expect(goal('qmp', 'x', 1.1001, 1.1).met).toBe(false);
    expect(goal('lifecycle', 'probes', 999, 1000, true).met).toBe(false);
    expect(goal('lifecycle', 'probes', 1000, 1000, true).met).toBe(true);
  });

  it('rotate starts each round with the next competitor', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
  });
});

describe('results file rounding', () => {
  it('rounds fractions to 6 significant digits and leaves integers alone', async () => {
    const { roundForJson } = await import('../../bench/stats.js');
    expect(JSON.parse(JSON.stringify({ a: 1.23456789, n: 123456789, s: 'x' }, roundForJson))).toEqual({ a: 1.23457, n: 123456789, s: 'x' });
  });
});
