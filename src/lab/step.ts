// One scenario step: the action (module command, resize, access, guest
// command), the settle, the observations, the probe plan run through the
// agent and judged by the model, the step-level checks and the host view.
import { parseIomem, type IomemNode } from '../guest/iomem.js';
import { dmesgDelta, readGuestState, readSections, type GuestBootFacts } from '../guest/observe.js';
import { shq, type GuestChannel } from '../guest/ssh.js';
import type { KernelFacts, SafetyEvidence, StepState } from '../model/index.js';
import { deviceAddresses, planProbes } from '../probe/plan.js';
import { highmemCommand, parseHighmemAnswer, runProbes } from '../probe/run-agent.js';
import { fnv1a64, writePattern } from '../probe/agent-protocol.js';
import { hex, PAGE, type ProbeRecord, type ProbeSpec } from '../probe/types.js';
import { AgentSession } from '../probe/session.js';
import { holdSpecs, judgeHeldUses, judgeKcore, kcorePage, kcoreSpecs, resolveHeld, stepClaims, useHeldSpecs, type Held, type StepClaims } from './held.js';
import type { QmpClient } from '../qmp/client.js';
import type { EventLog } from '../report/events.js';
import type { StepReport } from '../report/types.js';
import { resizeDevice } from '../scenario/resize.js';
import { describeAction, type ScenarioStep } from '../scenario/types.js';
import type { ShmBackend } from '../shm/backend.js';
import { LabError, errorMessage } from '../util/errors.js';
import { pollUntil } from '../util/wait.js';
import type { MachineProfile } from '../vm/profile.js';
import type { Vm } from '../vm/qemu.js';
import { checkS4, checkS5, deviceInfo, hostView } from './hostview.js';
import { judgeProbe, stepChecks, stepState } from './judge.js';

/** Named timeouts of a run (ms); a run may override any of them. */
export const TIMEOUTS = {
  firstConsoleKvm: 15_000,
  guestReady: 120_000,
  ssh: 60_000,
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
  /** /dev/mem mappings held since an earlier step. */
  held: Held[];
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
  const signal = ctx.signal;
  const check = () => ctx.vm.checkAlive();
  const rep: StepReport = {
    name: step.name,
    action: describeAction(step.action),
    startedAt,
    durationMs: 0,
    observations: { iomem: '', dmesg: [], memoryDevices: [], virtioMemBound: false, virtioMemLoaded: false, highMemoryEnd: '', action: {} },
    probes: [],
  };
  let heldRecords: { rec: ProbeRecord; spec: ProbeSpec }[] = [];
  /** The scenario's own access, judged once the step's state is known. */
  let actionRecord: { rec: ProbeRecord; spec: ProbeSpec; withoutRawio: boolean } | undefined;
  try {
    const a = step.action;
    if (a.kind === 'modprobe' || a.kind === 'rmmod') {
      const r = await ctx.ch.exec(`${a.kind} ${shq(a.module)}`, { timeoutMs: ctx.t.module });
      rep.observations.action = { command: `${a.kind} ${a.module}`, exitCode: r.code, stderr: r.stderr.trim() };
      ev.emit({ type: 'step-action', step: step.name, detail: `${a.kind} ${a.module}: exit ${r.code}${r.stderr.trim() ? ` (${r.stderr.trim()})` : ''}` });
    } else if (a.kind === 'resize') {
      const r = await resizeDevice(ctx.qmp, ctx.profile.virtioMem.id, a.sizeMiB * 1024 * 1024, { timeoutMs: ctx.t.resize, signal, check });
      rep.observations.action = { ...r };
      ev.emit({ type: 'step-action', step: step.name, detail: `size ${r.from} → ${r.reached} in ${r.ms} ms (${r.kicks} kicks)` });
    } else if (a.kind === 'access') {
      const dev = deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices'));
      if (!dev) throw new LabError('E_NO_DEVICE', 'run', 'the machine has no virtio-mem device to access');
      const addr = dev.memaddr + a.deviceOffsetMiB * 1024 * 1024;
      const spec: ProbeSpec = { id: 0, op: a.op, addr, len: PAGE, why: `scenario access${a.withoutRawio ? ' without CAP_SYS_RAWIO' : ''}` };
      const [r] = await runProbes(ctx.ch, [spec], { timeoutMs: ctx.t.probes, withoutRawio: a.withoutRawio });
      rep.observations.action = { access: r };
      actionRecord = { rec: r, spec, withoutRawio: !!a.withoutRawio };
      ev.emit({ type: 'step-action', step: step.name, detail: `${a.op} ${r.addr}: ${r.observed.result}${r.observed.errno ? ` ${r.observed.errno}` : ''}` });
    } else if (a.kind === 'hold') {
      const now = parseIomem((await readSections(ctx.ch, { iomem: 'cat /proc/iomem' }, ctx.t.observe)).iomem);
      const held = resolveHeld(a.mappings, now, deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices')), ctx.stepIndex);
      ctx.session ??= await AgentSession.open(ctx.ch);
      const recs = await ctx.session.run(holdSpecs(held, 100_000), ctx.t.probes);
      heldRecords = recs.map((r, i) => ({ rec: r, spec: holdSpecs(held, 100_000)[i] }));
      ctx.held.push(...held.filter((_, i) => recs[i].observed.result === 'ok'));
      rep.observations.action = { held: held.map((h, i) => ({ name: h.name, addr: recs[i].addr, private: h.private, result: recs[i].observed })) };
      ev.emit({ type: 'step-action', step: step.name, detail: held.map((h, i) => `${h.name} ${recs[i].addr}: ${recs[i].observed.result}${recs[i].observed.errno ? ` ${recs[i].observed.errno}` : ''}`).join(', ') });
    } else if (a.kind === 'host-pattern') {
      rep.observations.action = await hostPattern(ctx, a.deviceOffsetMiB);
      ev.emit({ type: 'step-action', step: step.name, detail: `host pattern at ${rep.observations.action.addr}: guest read ${rep.observations.action.agree ? 'the same bytes' : 'different bytes'}` });
    } else if (a.kind === 'guest-command') {
      // Runs in the guest's shell (the scenario author's command, as written);
      // nothing of it reaches a host shell.
      const r = await ctx.ch.exec(a.command, { timeoutMs: ctx.t.module });
      rep.observations.action = { command: a.command, exitCode: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) };
      ev.emit({ type: 'step-action', step: step.name, detail: `${a.command}: exit ${r.code}` });
    }
    rep.observations.iomem = await settleIomem(ctx);
    const state = await readGuestState(ctx.ch, { timeoutMs: ctx.t.observe, extra: { highmem: highmemCommand(ctx.boot.physBits) } });
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
    const model = stepState({
      iomem,
      highMemoryEnd: highEnd,
      lockdown: ctx.boot.lockdown,
      memoryDevices: rep.observations.memoryDevices,
      bound: state.virtioMemBound,
      memoryBlockSize: ctx.boot.memoryBlockSize,
    });
    const dev = deviceInfo(rep.observations.memoryDevices);
    const specs = planProbes({
      iomem,
      highMemoryEnd: highEnd,
      physBits: ctx.boot.physBits,
      extra: deviceAddresses(rep.observations.memoryDevices),
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
    // Held mappings (made at an earlier step) and /proc/kcore: the probes
    // whose outcome depends on history.
    const claims = stepClaims(ctx.stepIndex, ctx.prevIomem, model);
    ctx.claims.push(claims);
    ctx.prevIomem = iomem;
    const record = (probe: ProbeRecord) => {
      rep.probes.push(probe);
      ev.emit({ type: 'probe', step: step.name, probe });
    };
    if (actionRecord) {
      const { rec, spec, withoutRawio } = actionRecord;
      rec.id = nextIdAfter(specs);
      if (spec.op === 'kcore') judgeKcore(ctx.model, model, kcorePage(model, dev, spec.addr), rec, !withoutRawio);
      else ctx.onSafety(judgeProbe(ctx.model, model, spec, rec, { capSysRawio: !withoutRawio }));
      record(rec);
    }
    for (const { rec, spec } of heldRecords) {
      ctx.onSafety(judgeProbe(ctx.model, model, spec, rec));
      record(rec);
    }
    let nextId = specs.length + 2;
    const usable = ctx.held.filter((h) => h.stepIndex < ctx.stepIndex);
    if (usable.length > 0 && ctx.session) {
      const uses = useHeldSpecs(usable, nextId);
      nextId += uses.length;
      const recs = await ctx.session.run(uses, ctx.t.probes);
      usable.forEach((h, i) => judgeHeldUses(ctx.model, model, h, ctx.claims, recs.slice(i * 3, i * 3 + 3)).forEach(ctx.onSafety));
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
      dmesg: rep.observations.dmesg,
      hostPattern: step.action.kind === 'host-pattern' ? (rep.observations.action as { agree: boolean; hostFnv: string; addr: string; guest: unknown }) : undefined,
    });
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

/**
 * The cross-check between the host's and the guest's view of device memory:
 * the host writes a data pattern into a plugged block through the shared
 * backend (offset = guest physical address - memaddr), the guest reads that
 * page through /proc/kcore, and the FNV-1a of both must agree.
 */
async function hostPattern(ctx: StepContext, offsetMiB: number): Promise<Record<string, unknown>> {
  const dev = deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices'));
  if (!dev) throw new LabError('E_NO_DEVICE', 'run', 'the machine has no virtio-mem device');
  const offset = offsetMiB * 1024 * 1024;
  if (offset + PAGE > dev.size) {
    // Writing an unplugged block would populate it: S4 would (rightly) flag the host.
    throw new LabError('E_SCENARIO_SIZE', 'input', `host-pattern at +${offsetMiB} MiB lies beyond the ${dev.size} plugged bytes`, { hint: 'plug the device first, or use a smaller offset' });
  }
  const addr = dev.memaddr + offset;
  const pattern = writePattern(addr, PAGE);
  ctx.shm.write(offset, pattern);
  const [rec] = await runProbes(ctx.ch, [{ id: 0, op: 'kcore', addr, len: PAGE, why: 'host pattern read back' }], { timeoutMs: ctx.t.probes });
  const hostFnv = fnv1a64(pattern);
  return { addr: hex(addr), backendOffset: hex(offset), hostFnv, guest: rec.observed, agree: rec.observed.result === 'ok' && rec.observed.fnv === hostFnv };
}

/** The id after the step's planned probes (the scenario's own access takes it). */
const nextIdAfter = (specs: ProbeSpec[]) => specs.length + 1;
