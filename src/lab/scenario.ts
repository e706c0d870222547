// A scenario: a named list of steps. After every step the lab observes the
// guest and the device and runs the probe plan. Scenario files
// (scenario/file.ts) are parsed into this shape; the actions are the lab's
// (actions/index.ts).
import type { MachineProfile } from '../vm/profile.js';
import { checkActionsFit, type StepAction } from './actions/index.js';
import type { HeldSpec } from './held-spec.js';

export type { HeldSpec, StepAction };

export interface ScenarioStep {
  name: string;
  action: StepAction;
}

export interface Scenario {
  name: string;
  description: string;
  /** Extra kernel command line the scenario needs. */
  cmdline?: string[];
  /** Probe /proc/kcore at every step. */
  kcore?: boolean;
  /** The machine profile (qemu-config/NAME.json) the scenario needs when the run names none. */
  profile?: string;
  steps: ScenarioStep[];
}

/** Checks a scenario against the machine it will run on, before anything boots. */
export const checkScenarioFits = (s: Scenario, profile: MachineProfile): void => checkActionsFit(s.steps, profile.virtioMem);

export { describeAction } from './actions/index.js';
