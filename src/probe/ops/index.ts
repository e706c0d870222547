// The probe ops the lab knows. A new op family is a file in this folder
// exporting its ProbeOpDefs (def.ts) and its name in OP_FAMILIES (plus its
// agent side, a file in guest-image/ops/ and a line in
// guest-image/ops/list.h): requests are formatted and checked, answers
// parsed, held ops routed to the long-lived agent, and probes predicted by
// the model from it. The order here is the order reports list ops in.
import type { ProbeOpDef } from './def.js';
import { cowOps } from './cow.js';
import { heldOps } from './held.js';
import { holdOps } from './hold.js';
import { kcoreOps } from './kcore.js';
import { mapOps } from './map.js';
import { releaseOps } from './release.js';
import { rwOps } from './rw.js';

export const OP_FAMILIES = [rwOps, mapOps, holdOps, heldOps, releaseOps, cowOps, kcoreOps] as const;

type Def = (typeof OP_FAMILIES)[number][number];
/** What a probe does to /dev/mem at one physical address. */
export type ProbeOp = Def['names'][number];

// Widened for lookups by name: a def's predict takes only its own names,
// and byName hands each def only requests for those.
const DEFS = OP_FAMILIES.flat() as readonly ProbeOpDef[];

export const PROBE_OPS: readonly ProbeOp[] = DEFS.flatMap((d) => d.names as readonly ProbeOp[]);

const byName = new Map<string, ProbeOpDef>(DEFS.flatMap((d) => d.names.map((n) => [n, d] as const)));

/** The definition of an op by its name, or undefined for a name the lab does not know. */
export const opDef = (op: string): ProbeOpDef | undefined => byName.get(op);

export type { OpRequest, ProbeOpDef, StepModel, StepPredict } from './def.js';
