// The safety properties the lab checks. A new property is a file in this
// folder exporting a SafetyProperty (property.ts) and its name in SAFETY:
// reports list it, findings name its kernel source, and its hooks run at
// every step or at the run's end.
import type { SafetyEvidence, SafetyId } from '../../model/index.js';
import type { RunSafetyView, SafetyProperty, StepSafetyView } from './property.js';
import { s1 } from './s1.js';
import { s2 } from './s2.js';
import { s3 } from './s3.js';
import { s4 } from './s4.js';
import { s5 } from './s5.js';
import { s6 } from './s6.js';
import { s7 } from './s7.js';

export const SAFETY: readonly SafetyProperty[] = [s1, s2, s3, s4, s5, s6, s7];

export const SAFETY_IDS: readonly SafetyId[] = SAFETY.map((p) => p.id);
export const safetyProperty = (id: string): SafetyProperty | undefined => SAFETY.find((p) => p.id === id);

export const stepSafety = (v: StepSafetyView): SafetyEvidence[] => SAFETY.flatMap((p) => p.atStep?.(v) ?? []);
export const endSafety = (v: RunSafetyView): SafetyEvidence[] => SAFETY.flatMap((p) => p.atEnd?.(v) ?? []);

export type { RunSafetyView, SafetyProperty, StepSafetyView };
