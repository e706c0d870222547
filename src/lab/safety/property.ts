// A safety property: something that must hold whatever the model predicts
// (kernel-model.md). Each property is one file in this folder exporting a
// SafetyProperty; index.ts lists them. A property is fed either by a hook
// here (every step, or the run's end) or by the part of the lab that sees
// its evidence (the probe judge, the held mappings, the console), through
// RunContext.onSafety.
import type { IomemNode } from '../../guest/iomem.js';
import type { KernelFacts, LabMapping, SafetyEvidence, SafetyId, StepMapping, StepState } from '../../model/index.js';
import type { MemtypeEntry } from '../../model/facts.js';
import type { HostView } from '../hostview.js';

/** What a step shows a step-level property, once its probes have run. */
export interface StepSafetyView {
  step: string;
  facts: KernelFacts;
  state: StepState;
  iomem: IomemNode[];
  virtioMemBound: boolean;
  memoryBlockSize: number;
  /** The guest's PAT memtype list, when it can be read. */
  memtypes?: MemtypeEntry[];
  /** The lab's mappings released so far (their reservations must be gone). */
  released: LabMapping[];
  /** Mappings the step's probes made and unmapped again (the O_SYNC ones that succeeded). */
  made?: StepMapping[];
  /** The host's view of the device backend, when there is a device. */
  host?: HostView;
}

/** What the end of a run that reached its last step shows. */
export interface RunSafetyView {
  steps: number;
}

export interface SafetyProperty {
  id: SafetyId;
  /** The property in one sentence, as reports print it. */
  text: string;
  /** Where the kernel decides it: the functions a violation points at. */
  source: string;
  atStep?: (v: StepSafetyView) => SafetyEvidence[];
  atEnd?: (v: RunSafetyView) => SafetyEvidence[];
}
