// Shapes shared by the driver and the trials: one results row per
// (trial, competitor, metric), the goals a trial checks, and what a trial
// gets to run with.
import type { Cleanup } from './cleanup.js';

export interface Ratio {
  p50: number;
  p99: number;
}

export interface Row {
  /** Trial name, as given on the command line (qmp, shm, lifecycle, probes). */
  name: string;
  competitor: string;
  metric: string;
  unit: string;
  /** How many samples p50/p99/mean come from. */
  samples?: number;
  p50: number;
  p99: number;
  mean: number;
  /** p50 of each round on its own, when samples came in rounds: how much the machine drifted. */
  roundP50s?: number[];
  /**
   * This row's p50 (p99) over the baseline's, keyed by the baseline's
   * competitor name (or "competitor/metric" when the metric differs). In
   * the row's own unit: for times above 1 is slower, for rates below 1 is.
   */
  ratioTo?: Record<string, Ratio>;
}

export interface Goal {
  name: string;
  /** What is compared, e.g. "native p50 / C p50 (query-status)". */
  what: string;
  value: number;
  /** The goal holds when value <= limit (or >= when atLeast). */
  limit: number;
  atLeast?: boolean;
  met: boolean;
}

export interface TrialOutcome {
  rows: Row[];
  goals: Goal[];
  /** Facts a reader needs to judge the figures (guest state, validations). */
  notes: string[];
}

export interface TrialContext {
  rounds: number;
  quick: boolean;
  kernel: string;
  cleanup: Cleanup;
  signal: AbortSignal;
  log(line: string): void;
}

export interface Trial {
  name: string;
  title: string;
  /** Rounds when --rounds is not given (competitors interleave within each). */
  rounds: number;
  run(ctx: TrialContext): Promise<TrialOutcome>;
}
