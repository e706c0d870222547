// A step's probes, judged by the model and recorded as they arrive: the
// plan over the observed iomem tree, the scenario's own access, the hold
// requests, the uses of mappings held since earlier steps, and /proc/kcore.
// Probe ids come from one allocator (ProbeIds), in that order.
import type { KernelFacts, StepState } from '../model/index.js';
import { deviceAddresses, planProbes } from '../probe/plan.js';
import { runProbes } from '../probe/run-agent.js';
import type { ProbeRecord, ProbeSpec } from '../probe/types.js';
import type { ActionDone } from './actions/index.js';
import type { RunContext } from './context.js';
import { heldUseOps, judgeHeldUses, judgeKcore, kcorePage, kcoreSpecs, readsWithheld, useHeldSpecs, type Held, type StepClaims } from './held.js';
import { judgeProbe } from './judge.js';
import type { Observation } from './observe.js';
import { ProbeIds } from './probe-ids.js';

export interface ProbeInputs {
  obs: Observation;
  /** The model's state, the lab's own mappings included. */
  state: StepState;
  done: ActionDone;
  /** Mappings held since an earlier step (usable now), and every claim seen so far. */
  usable: Held[];
  claims: StepClaims[];
  /** Records each judged probe (the step report, the event log). */
  record: (step: string, p: ProbeRecord) => void;
}

export async function runStepProbes(ctx: RunContext, stepName: string, x: ProbeInputs): Promise<void> {
  const { obs, state, done } = x;
  const facts: KernelFacts = ctx.facts;
  const dev = obs.device;
  const specs = planProbes({
    iomem: obs.iomem,
    highMemoryEnd: state.highMemoryEnd,
    physBits: ctx.facts.physBits,
    extra: deviceAddresses(dev),
    // With no driver bound, the kernel lets /dev/mem read unplugged device
    // memory; the guest must not touch it (virtio spec), and doing so
    // would populate the backend and break S4. Only mmap is probed there.
    mmapOnly: dev && !obs.virtioMemBound ? [{ start: dev.memaddr + dev.size, end: dev.memaddr + dev.maxSize - 1 }] : [],
  });
  const ids = new ProbeIds(specs.length);
  // The held uses and /proc/kcore are planned here, in id order, so the
  // step's total is known before the agent's first answer.
  const withheld = new Set(x.usable.filter((h) => readsWithheld(facts, state, h, x.claims)).map((h) => h.name));
  const useCount = x.usable.reduce((a, h) => a + heldUseOps(h, withheld.has(h.name)).length, 0);
  const uses = useHeldSpecs(x.usable, ids.take(useCount), withheld);
  const kcore = ctx.kcore ? kcoreSpecs(state, dev, ids.take(0)) : [];
  ids.take(kcore.length);
  const total = specs.length + (done.access ? 1 : 0) + done.held.length + uses.length + kcore.length;
  ctx.events.emit({ type: 'probes-planned', step: stepName, total });
  const byId = new Map(specs.map((s) => [s.id, s]));
  const record = (p: ProbeRecord) => x.record(stepName, p);
  // Results land in the step as they arrive, so a step that dies midway
  // keeps the probes it finished.
  await runProbes(ctx.ch, specs, {
    timeoutMs: ctx.t.probes,
    onResult: (probe) => {
      ctx.onSafety(judgeProbe(facts, state, byId.get(probe.id)!, probe));
      record(probe);
    },
  });
  if (done.access) {
    const { rec, spec, withoutRawio } = done.access;
    rec.id = ids.access;
    if (spec.op === 'kcore') judgeKcore(facts, state, kcorePage(state, dev, spec.addr), rec, !withoutRawio);
    else ctx.onSafety(judgeProbe(facts, state, spec, rec, { capSysRawio: !withoutRawio }));
    record(rec);
  }
  for (const { rec, spec } of done.held) {
    ctx.onSafety(judgeProbe(facts, state, spec, rec));
    record(rec);
  }
  if (uses.length > 0) await heldUses(ctx, state, x, uses, withheld, record);
  if (kcore.length > 0) {
    const recs = await runProbes(ctx.ch, kcore.map((k) => k.spec), { timeoutMs: ctx.t.probes });
    recs.forEach((r, i) => {
      judgeKcore(facts, state, kcore[i].page, r);
      record(r);
    });
  }
}

/** Every held mapping touched, read through /proc/self/mem and process_vm_readv, and mapped again O_SYNC. */
async function heldUses(ctx: RunContext, state: StepState, x: ProbeInputs, uses: ProbeSpec[], withheld: Set<string>, record: (p: ProbeRecord) => void): Promise<void> {
  const recs = await (await ctx.agent()).run(uses, ctx.t.probes);
  let at = 0;
  for (const h of x.usable) {
    const k = heldUseOps(h, withheld.has(h.name)).length;
    const mine = uses.slice(at, at + k).map((spec, i) => ({ spec, rec: recs[at + i] }));
    at += k;
    judgeHeldUses(ctx.facts, state, h, x.claims, mine).forEach(ctx.onSafety);
  }
  recs.forEach(record);
}
