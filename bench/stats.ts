// Percentiles, summaries and ratios for the benchmark results. Every figure
// the suite reports is a ratio against a baseline measured in the same run,
// so these few helpers carry the whole verdict and have their own tests
// (test/unit/bench-stats.test.ts).

export interface Summary {
  /** How many samples the figures come from. */
  samples: number;
  p50: number;
  p99: number;
  mean: number;
}

function checkSamples(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what}: no samples`);
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`${what}: sample ${v} is not a finite number`);
  }
}

/**
 * The p-th percentile by nearest rank: the smallest sample such that at
 * least p% of the samples are at or below it. Always a measured value, never
 * an interpolation. p in [0, 100]; p = 0 gives the minimum.
 */
export function percentile(values: readonly number[], p: number): number {
  checkSamples(values, 'percentile');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p ${p} is not within [0, 100]`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function mean(values: readonly number[]): number {
  checkSamples(values, 'mean');
  return values.reduce((s, v) => s + v, 0) / values.length;
}

export function summarize(values: readonly number[]): Summary {
  checkSamples(values, 'summarize');
  return { samples: values.length, p50: percentile(values, 50), p99: percentile(values, 99), mean: mean(values) };
}

/** a / b, refusing a baseline of zero or a non-finite input. */
export function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new RangeError(`ratio: ${a} / ${b} is not finite`);
  if (b === 0) throw new RangeError(`ratio: baseline is zero (${a} / 0)`);
  return a / b;
}

/**
 * Per-sample throughput in GB/s (10^9 bytes per second) of `bytes` moved in
 * each of the given times (ns). Note the order flips: the slowest time is
 * the lowest rate.
 */
export function gbPerSecond(bytes: number, timesNs: readonly number[]): number[] {
  checkSamples(timesNs, 'gbPerSecond');
  return timesNs.map((ns) => {
    if (ns <= 0) throw new RangeError(`gbPerSecond: time ${ns} ns is not positive`);
    return bytes / ns;
  });
}

/**
 * Summary of a throughput: p50 is the median rate, p99 the rate at the
 * 99th-percentile (slow) time, i.e. the 1st percentile of the rates, so that
 * "p99" stays the tail a user waits on, as it is for times.
 */
export function summarizeRate(rates: readonly number[]): Summary {
  checkSamples(rates, 'summarizeRate');
  return { samples: rates.length, p50: percentile(rates, 50), p99: percentile(rates, 1), mean: mean(rates) };
}

/**
 * JSON.stringify replacer for results files: fractions to 6 significant
 * digits (ns clocks give no more), integers untouched.
 */
export function roundForJson(_key: string, v: unknown): unknown {
  return typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v;
}
