// What the steps of a run share, in two parts: the run's fixed resources
// (RunContext, never changed once the guest is up) and what one step leaves
// for the next (StepHistory, a new value per step: runStep() returns it).
import type { IomemNode } from '../guest/iomem.js';
import type { GuestBootFacts } from '../guest/observe.js';
import type { GuestChannel } from '../guest/ssh.js';
import type { KernelFacts, SafetyEvidence, StepState } from '../model/index.js';
import type { AgentSession } from '../probe/session.js';
import type { QmpClient } from '../qmp/client.js';
import type { EventLog } from '../format/events.js';
import type { ShmBackend } from '../shm/backend.js';
import type { MachineProfile } from '../vm/profile.js';
import type { Vm } from '../vm/qemu.js';
import type { Held, StepClaims } from './held.js';
import type { Timeouts } from './timeouts.js';

export interface RunContext {
  events: EventLog;
  signal?: AbortSignal;
  t: Timeouts;
  profile: MachineProfile;
  vm: Vm;
  qmp: QmpClient;
  ch: GuestChannel;
  shm: ShmBackend;
  boot: GuestBootFacts;
  /** The model's kernel facts for this boot. */
  facts: KernelFacts;
  /** Probe /proc/kcore at every step. */
  kcore: boolean;
  /** The long-lived agent for held mappings (opened by the first hold; -w when a hold is written through /proc/self/mem). */
  agent: () => Promise<AgentSession>;
  /** Safety evidence, folded into the run's safety report. */
  onSafety: (e: SafetyEvidence) => void;
  /** Each step's new dmesg lines, for S7 (lab/kernel-log.ts). */
  onDmesg: (lines: string[], step: string) => void;
}

export interface StepHistory {
  /** Index of the step about to run. */
  index: number;
  /** dmesg as of the last step (the next step reports the lines after it). */
  dmesg: string[];
  /** /dev/mem mappings held since an earlier step. */
  held: Held[];
  /** Held mappings a release step has unmapped (S6: their reservations must be gone). */
  released: Held[];
  /** Claims seen between consecutive steps (what can revoke a held mapping). */
  claims: StepClaims[];
  /** The last step's iomem tree and model state (for claims and step-level rules). */
  iomem?: IomemNode[];
  state?: StepState;
}

export const firstHistory = (): StepHistory => ({ index: 0, dmesg: [], held: [], released: [], claims: [] });
