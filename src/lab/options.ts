// What a caller asks a run for (the CLI, the matrix, the tests).
import type { EventLog } from '../format/events.js';
import type { ResolveOptions } from '../kernel/resolve.js';
import type { Scenario } from './scenario.js';
import type { AccelMode } from './boot.js';
import type { Timeouts } from './timeouts.js';

export interface RunOptions {
  kernel: string;
  scenario: Scenario;
  out: string;
  accel: AccelMode;
  profile?: string;
  extraCmdline?: string[];
  signal?: AbortSignal;
  events: EventLog;
  /** Overrides of the named timeouts (fault tests shorten them). */
  timeouts?: Partial<Timeouts>;
  /** --modules/--config (path: kernels) and --config-fragment (build: kernels). */
  kernelOptions?: Pick<ResolveOptions, 'modules' | 'config' | 'configFragment'>;
  /** Boot even when a saved guest exists (and save none): --fresh-boot. */
  freshBoot?: boolean;
}
