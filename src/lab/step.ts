// One scenario step, top to bottom: the action, the observation, the
// model's state with the lab's own mappings, the probes, the step-level
// checks and the host's view of the device. It takes the run's fixed
// context and the history the previous step left, and returns the step's
// report and the history for the next one.
import type { StepMapping, StepState } from '../model/index.js';
import { runLseek } from '../probe/lseek.js';
import type { ProbeRecord } from '../probe/types.js';
import type { StepReport } from '../format/types.js';
import { describeAction, type ScenarioStep } from './scenario.js';
import { errorMessage } from '../util/errors.js';
import { actionObservation, actionOpaque, runAction, type ActionDone } from './actions/index.js';
import type { RunContext, StepHistory } from './context.js';
import { labMappings, stepClaims, withReservations, type Held } from './held.js';
import { hostView } from './hostview.js';
import { stepSafety } from './safety/index.js';
import { stepChecks } from './judge.js';
import { lseekChecks, lseekRequests } from './lseek.js';
import { observe, reportObservations } from './observe.js';
import { runStepProbes } from './probes.js';

export { TIMEOUTS, type Timeouts } from './timeouts.js';

export interface StepResult {
  report: StepReport;
  history: StepHistory;
}

export async function runStep(ctx: RunContext, hist: StepHistory, step: ScenarioStep): Promise<StepResult> {
  const t0 = Date.now();
  const rep: StepReport = {
    name: step.name,
    action: describeAction(step.action),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    observations: { iomem: '', dmesg: [], memoryDevices: [], virtioMemBound: false, virtioMemLoaded: false, highMemoryEnd: '', action: {} },
    probes: [],
  };
  const record = (name: string, probe: ProbeRecord) => {
    rep.probes.push(probe);
    ctx.events.emit({ type: 'probe', step: name, probe });
  };
  try {
    const done = await runAction(ctx, hist, step.name, step.action);
    rep.observations.action = actionObservation(done.record);
    const obs = await observe(ctx, hist);
    rep.observations = reportObservations(obs, rep.observations.action);
    ctx.onDmesg(obs.dmesgDelta, step.name);
    const claims = [...hist.claims, stepClaims(hist.index, hist.iomem, obs.state, actionOpaque(step.action))];
    const held = withReservations(ctx.facts, obs.state, done.holding, hist.index);
    const released = withReservations(ctx.facts, obs.state, [...done.released, ...transient(done, hist.index)], hist.index);
    const state: StepState = { ...obs.state, labMappings: labMappings(ctx.facts, held, claims, obs.iomem) };

    await runStepProbes(ctx, step.name, { obs, state, done, usable: held.filter((h) => h.stepIndex < hist.index), claims, record });

    const act = done.record;
    rep.checks = stepChecks({
      facts: ctx.facts,
      state,
      previous: hist.state,
      action: step.action as { kind: string; module?: string },
      exitCode: act.kind === 'module' ? act.exitCode : undefined,
      stderr: act.kind === 'module' ? act.stderr : undefined,
      dmesg: obs.dmesgDelta,
      hostPattern: act.kind === 'host-pattern' ? act : undefined,
    });
    // lseek does not depend on memory state: asked once, at the boot step.
    if (step.action.kind === 'boot') rep.checks.push(...lseekChecks(ctx.facts, ctx.boot.lockdown, await runLseek(ctx.ch, lseekRequests(1), ctx.t.observe)));
    const host = obs.device ? hostView(ctx.shm.extents(), obs.device, obs.iomem) : undefined;
    if (host) rep.observations.host = host;
    stepSafety({
      step: step.name,
      facts: ctx.facts,
      state,
      iomem: obs.iomem,
      virtioMemBound: obs.virtioMemBound,
      memoryBlockSize: ctx.boot.memoryBlockSize,
      memtypes: obs.memtypes?.entries,
      released: labMappings(ctx.facts, released, claims, obs.iomem),
      made: syncMapsMade(rep.probes),
      host,
    }).forEach(ctx.onSafety);
    rep.durationMs = Date.now() - t0;
    return { report: rep, history: { index: hist.index + 1, dmesg: obs.dmesg, held, released, claims, iomem: obs.iomem, state } };
  } catch (e) {
    rep.error = { code: (e as { code?: string }).code ?? 'E_UNEXPECTED', message: errorMessage(e) };
    rep.durationMs = Date.now() - t0;
    throw new StepFailed(rep, e);
  }
}

/**
 * The scenario's own mapping that it unmapped again within the step
 * (cow-write): for S6 it was made and released here, so its reservation
 * must be gone by the observation.
 */
function transient(done: ActionDone, stepIndex: number): Held[] {
  const a = done.access;
  if (!a || a.spec.op !== 'cow-write' || a.rec.observed.result !== 'ok') return [];
  return [{ name: `${a.spec.op} ${a.rec.addr}`, start: a.spec.addr, end: a.spec.addr + a.spec.len - 1, private: true, stepIndex, ptraceWrite: false }];
}

/** The O_SYNC (uncached-minus) mappings the step's probes made: every mmap-sync that succeeded. */
const syncMapsMade = (probes: ProbeRecord[]): StepMapping[] =>
  probes
    .filter((p) => p.op.startsWith('mmap-sync-') && p.observed.result === 'ok')
    .map((p) => ({ what: `probe ${p.id} (${p.op})`, start: parseInt(p.addr, 16), endExcl: parseInt(p.addr, 16) + p.len, type: 'uncached-minus' as const }));

/** A step that failed, with what it had observed and probed until then. */
export class StepFailed extends Error {
  constructor(
    readonly step: StepReport,
    readonly cause: unknown,
  ) {
    super(`step ${step.name} failed: ${errorMessage(cause)}`);
  }
}
