// Builds result rows and goals from raw samples.
import { ratio, summarize, summarizeRate, type Summary } from './stats.js';
import type { Goal, Row } from './types.js';

export function row(name: string, competitor: string, metric: string, unit: string, s: Summary): Row {
  return { name, competitor, metric, unit, samples: s.samples, p50: s.p50, p99: s.p99, mean: s.mean };
}

/** Samples of one competitor: flat, or one array per round (then each round's p50 is kept too). */
export type Samples = number[] | number[][];

function build(name: string, competitor: string, metric: string, unit: string, values: Samples, sum: (v: number[]) => Summary): Row {
  const perRound = values.length > 0 && Array.isArray(values[0]) ? (values as number[][]) : undefined;
  const r = row(name, competitor, metric, unit, sum(perRound ? perRound.flat() : (values as number[])));
  if (perRound && perRound.length > 1) r.roundP50s = perRound.map((v) => sum(v).p50);
  return r;
}

export const timeRow = (name: string, competitor: string, metric: string, unit: string, values: Samples): Row =>
  build(name, competitor, metric, unit, values, summarize);

export const rateRow = (name: string, competitor: string, metric: string, unit: string, rates: Samples): Row =>
  build(name, competitor, metric, unit, rates, summarizeRate);

/** Adds target's ratios to baseline (under `key`, default the baseline's competitor). */
export function addRatio(target: Row, baseline: Row, key = baseline.competitor): Row {
  target.ratioTo = {
    ...target.ratioTo,
    [key]: { p50: ratio(target.p50, baseline.p50), p99: ratio(target.p99, baseline.p99) },
  };
  return target;
}

/** Judged on the exact value; rounding happens only when results are written or printed. */
export function goal(name: string, what: string, value: number, limit: number, atLeast = false): Goal {
  return { name, what, value, limit, atLeast: atLeast || undefined, met: atLeast ? value >= limit : value <= limit };
}

/** Rotates a list by r: round r starts with a different competitor. */
export function rotate<T>(list: readonly T[], r: number): T[] {
  const k = ((r % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

export const nsToUs = (ns: number[]): number[] => ns.map((v) => v / 1000);
