// The per-step view every rule reads: features decided once per boot, the
// iomem tree annotated with inferred flags, and iomem='s strictness. Built
// once per (facts, state) pair and cached, because a probe plan asks the
// model about hundreds of addresses at the same step.

import type { KernelFacts, StepState } from './facts.js';
import { annotateIomem, type ResourceNode } from './flags.js';
import { resolveFeatures, type Features } from './versions.js';
import { strictIomemChecks, type StrictIomem } from './strict-iomem.js';

export interface ModelContext {
  facts: KernelFacts;
  state: StepState;
  features: Features;
  tree: ResourceNode[];
  strictIomem: StrictIomem;
}

const cache = new WeakMap<KernelFacts, WeakMap<StepState, ModelContext>>();

export function modelContext(facts: KernelFacts, state: StepState): ModelContext {
  let perFacts = cache.get(facts);
  if (!perFacts) {
    perFacts = new WeakMap();
    cache.set(facts, perFacts);
  }
  const hit = perFacts.get(state);
  // The iomem array identity guards against a caller mutating state in place.
  if (hit && hit.state.iomem === state.iomem) return hit;
  const features = resolveFeatures(facts);
  const ctx: ModelContext = {
    facts,
    state,
    features,
    tree: annotateIomem(state.iomem, features, facts.arch ?? 'x86_64'),
    strictIomem: strictIomemChecks(facts),
  };
  perFacts.set(state, ctx);
  return ctx;
}
