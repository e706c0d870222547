// One scenario step: the action (module command, resize, access, guest
// command), the settle, the observations, the probe plan run through the
// agent and judged by the model, the step-level checks and the host view.
import { parseIomem, type IomemNode } from '../guest/iomem.js';
import { dmesgDelta, parseMemtypesAnswer, PAT_MEMTYPES_COMMAND, readGuestState, readSections, type GuestBootFacts } from '../guest/observe.js';
import type { GuestChannel } from '../guest/ssh.js';
import { checkS6, type KernelFacts, type SafetyEvidence, type StepState } from '../model/index.js';
import { deviceAddresses, planProbes } from '../probe/plan.js';
import { highmemCommand, parseHighmemAnswer, runProbes } from '../probe/run-agent.js';
import { hex, type ProbeRecord, type ProbeSpec } from '../probe/types.js';
import { heldUseOps, judgeHeldUses, judgeKcore, kcorePage, kcoreSpecs, labMappings, stepClaims, useHeldSpecs, type Held, type StepClaims } from './held.js';
import { runAction, type ActionDone } from './actions.js';
import type { AgentSession } from '../probe/session.js';
import type { QmpClient } from '../qmp/client.js';
import type { EventLog } from '../report/events.js';
import type { StepReport } from '../report/types.js';
import { describeAction, type ScenarioStep } from '../scenario/types.js';
import type { ShmBackend } from '../shm/backend.js';
import { errorMessage } from '../util/errors.js';
import { pollUntil } from '../util/wait.js';
import type { MachineProfile } from '../vm/profile.js';
import type { Vm } from '../vm/qemu.js';
import { checkS4, checkS5, deviceInfo, hostView } from './hostview.js';
import { judgeProbe, stepChecks, stepState } from './judge.js';
import { lseekChecks, lseekRequests } from './lseek.js';
import { runLseek } from '../probe/lseek.js';

/** Named timeouts of a run (ms); a run may override any of them. */
export const TIMEOUTS = {
  firstConsoleKvm: 15_000,
  guestReady: 120_000,
  /** From init's "ready" to an SSH session (longer under load: two TCG guests on two cores). */
  ssh: 120_000,
  qmpConnect: 10_000,
  /** /proc/iomem reading the same twice after an action. */
  settle: 30_000,
  /** modprobe / rmmod / a scenario's guest command. */
  module: 60_000,
  resize: 180_000,
  /** One guest observation (iomem, dmesg, modules) or the high_memory search. */
  observe: 60_000,
  /** The agent's whole probe batch of one step. */
  probes: 300_000,
};
export type Timeouts = typeof TIMEOUTS;

export interface StepContext {
  events: EventLog;
  signal?: AbortSignal;
  t: Timeouts;
  profile: MachineProfile;
  vm: Vm;
  qmp: QmpClient;
  ch: GuestChannel;
  shm: ShmBackend;
  boot: GuestBootFacts;
  model: KernelFacts;
  lastDmesg: string[];
  /** Index of the step being run. */
  stepIndex: number;
  /** The long-lived agent, opened by the first hold. */
  session?: AgentSession;
  /** Some held mapping is also written through /proc/self/mem: the long-lived agent gets -w. */
  heldWrites: boolean;
  /** /dev/mem mappings held since an earlier step. */
  held: Held[];
  /** Held mappings a release step has unmapped (S6: their reservations must be gone). */
  released: Held[];
  /** Claims seen between consecutive steps (what can revoke a held mapping). */
  claims: StepClaims[];
  prevIomem?: IomemNode[];
  /** Probe /proc/kcore at every step. */
  kcore: boolean;
  /** The model's state at the previous step (for step-level rules). */
  previous?: StepState;
  onSafety: (e: SafetyEvidence) => void;
}

export async function runStep(ctx: StepContext, step: ScenarioStep): Promise<StepReport> {
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const ev = ctx.events;
  const rep: StepReport = {
    name: step.name,
    action: describeAction(step.action),
    startedAt,
    durationMs: 0,
    observations: { iomem: '', dmesg: [], memoryDevices: [], virtioMemBound: false, virtioMemLoaded: false, highMemoryEnd: '', action: {} },
    probes: [],
  };
  let done: ActionDone = { held: [] };
  try {
    done = await runAction(ctx, step, rep);
    rep.observations.iomem = await settleIomem(ctx);
    const state = await readGuestState(ctx.ch, { timeoutMs: ctx.t.observe, extra: { highmem: highmemCommand(ctx.boot.physBits), memtypes: PAT_MEMTYPES_COMMAND } });
    rep.observations.dmesg = dmesgDelta(ctx.lastDmesg, state.dmesg);
    ctx.lastDmesg = state.dmesg;
    rep.observations.virtioMemBound = state.virtioMemBound;
    rep.observations.virtioMemLoaded = state.virtioMemLoaded;
    rep.observations.memoryDevices = await ctx.qmp.execute<unknown[]>('query-memory-devices');
    const measured = parseHighmemAnswer(state.extra.highmem);
    rep.observations.highMemoryEnd = measured === undefined ? null : hex(measured);
    // Unknown when /dev/mem cannot be opened: every probe then fails at
    // open (R-OPEN-*) before any range check, so the value is never used.
    const highEnd = measured ?? Number.NaN;
    const iomem = parseIomem(rep.observations.iomem);
    const dev = deviceInfo(rep.observations.memoryDevices);
    const memtypes = parseMemtypesAnswer(state.extra.memtypes);
    if (memtypes) rep.observations.patMemtypes = memtypes.text;
    const base = stepState({
      memtypes: memtypes?.entries,
      iomem,
      highMemoryEnd: highEnd,
      lockdown: ctx.boot.lockdown,
      device: dev,
      bound: state.virtioMemBound,
      memoryBlockSize: ctx.boot.memoryBlockSize,
    });
    // Held mappings (made at an earlier step) and /proc/kcore: the probes
    // whose outcome depends on history.
    const claims = stepClaims(ctx.stepIndex, ctx.prevIomem, base);
    ctx.claims.push(claims);
    ctx.prevIomem = iomem;
    const model: StepState = { ...base, labMappings: labMappings(ctx.model, base, ctx.held, ctx.claims, ctx.stepIndex) };
    checkS6(step.name, memtypes?.entries, model.labMappings!, labMappings(ctx.model, base, ctx.released, ctx.claims, ctx.stepIndex)).forEach(ctx.onSafety);
    const specs = planProbes({
      iomem,
      highMemoryEnd: highEnd,
      physBits: ctx.boot.physBits,
      extra: deviceAddresses(dev),
      // With no driver bound, the kernel lets /dev/mem read unplugged device
      // memory; the guest must not touch it (virtio spec), and doing so
      // would populate the backend and break S4. Only mmap is probed there.
      mmapOnly: dev && !state.virtioMemBound ? [{ start: dev.memaddr + dev.size, end: dev.memaddr + dev.maxSize - 1 }] : [],
    });
    const byId = new Map(specs.map((s) => [s.id, s]));
    // Results land in the step as they arrive, so a step that dies midway
    // keeps the probes it finished.
    await runProbes(ctx.ch, specs, {
      timeoutMs: ctx.t.probes,
      onResult: (probe) => {
        ctx.onSafety(judgeProbe(ctx.model, model, byId.get(probe.id)!, probe));
        rep.probes.push(probe);
        ev.emit({ type: 'probe', step: step.name, probe });
      },
    });
    const record = (probe: ProbeRecord) => {
      rep.probes.push(probe);
      ev.emit({ type: 'probe', step: step.name, probe });
    };
    if (done.access) {
      const { rec, spec, withoutRawio } = done.access;
      rec.id = nextIdAfter(specs);
      if (spec.op === 'kcore') judgeKcore(ctx.model, model, kcorePage(model, dev, spec.addr), rec, !withoutRawio);
      else ctx.onSafety(judgeProbe(ctx.model, model, spec, rec, { capSysRawio: !withoutRawio }));
      record(rec);
    }
    for (const { rec, spec } of done.held) {
      ctx.onSafety(judgeProbe(ctx.model, model, spec, rec));
      record(rec);
    }
    let nextId = specs.length + 2;
    const usable = ctx.held.filter((h) => h.stepIndex < ctx.stepIndex);
    if (usable.length > 0 && ctx.session) {
      const uses = useHeldSpecs(usable, nextId);
      nextId += uses.length;
      const recs = await ctx.session.run(uses, ctx.t.probes);
      let at = 0;
      for (const h of usable) {
        const n = heldUseOps(h).length;
        const mine = uses.slice(at, at + n).map((spec, i) => ({ spec, rec: recs[at + i] }));
        at += n;
        judgeHeldUses(ctx.model, model, h, ctx.claims, mine).forEach(ctx.onSafety);
      }
      recs.forEach(record);
    }
    if (ctx.kcore) {
      const planned = kcoreSpecs(model, dev, nextId);
      const recs = await runProbes(ctx.ch, planned.map((k) => k.spec), { timeoutMs: ctx.t.probes });
      recs.forEach((r, i) => {
        judgeKcore(ctx.model, model, planned[i].page, r);
        record(r);
      });
    }
    rep.checks = stepChecks({
      facts: ctx.model,
      state: model,
      previous: ctx.previous,
      action: step.action as { kind: string; module?: string },
      exitCode: rep.observations.action.exitCode as number | null | undefined,
      stderr: rep.observations.action.stderr as string | undefined,
      dmesg: rep.observations.dmesg,
      hostPattern: step.action.kind === 'host-pattern' ? (rep.observations.action as { agree: boolean; hostFnv: string; addr: string; guest: unknown }) : undefined,
    });
    if (step.action.kind === 'boot') rep.checks.push(...lseekChecks(ctx.model, ctx.boot.lockdown, await runLseek(ctx.ch, lseekRequests(1), ctx.t.observe)));
    ctx.previous = model;
    if (dev) {
      const view = hostView(ctx.shm.extents(), dev, iomem);
      rep.observations.host = view;
      ctx.onSafety(checkS4(step.name, view));
      ctx.onSafety(checkS5(step.name, view, state.virtioMemBound, ctx.boot.memoryBlockSize));
    }
  } catch (e) {
    rep.error = { code: (e as { code?: string }).code ?? 'E_UNEXPECTED', message: errorMessage(e) };
    rep.durationMs = Date.now() - t0;
    throw new StepFailed(rep, e);
  }
  rep.durationMs = Date.now() - t0;
  return rep;
}

/** A step that failed, with what it had observed and probed until then. */
export class StepFailed extends Error {
  constructor(
    readonly step: StepReport,
    readonly cause: unknown,
  ) {
    super(`step ${step.name} failed: ${errorMessage(cause)}`);
  }
}

/**
 * Waits until /proc/iomem reads the same twice in a row (hot-add and driver
 * binding finish after the device reports its size) and returns it.
 */
async function settleIomem(ctx: StepContext): Promise<string> {
  let prev: string | undefined;
  return pollUntil(
    'guest /proc/iomem to settle',
    async () => {
      const s = (await readSections(ctx.ch, { iomem: 'cat /proc/iomem' }, ctx.t.observe)).iomem;
      const same = s === prev;
      prev = s;
      return same ? s : undefined;
    },
    { timeoutMs: ctx.t.settle, intervalMs: 20, signal: ctx.signal, check: () => ctx.vm.checkAlive() },
  );
}

/** The id after the step's planned probes (the scenario's own access takes it). */
const nextIdAfter = (specs: ProbeSpec[]) => specs.length + 1;
