// One lab run: kernel → guest image → QEMU → QMP → SSH → scenario steps,
// each observed and probed, streamed to events.jsonl and written to
// report.json after every step (atomically), so a run that dies keeps a
// valid report of everything it finished.
import { randomBytes } from 'node:crypto';
import { access, constants, readFile } from 'node:fs/promises';
import { release as osRelease } from 'node:os';
import { join } from 'node:path';
import { buildGuestImage, runCpio } from '../image/build.js';
import { pick, readConfig } from '../kernel/config.js';
import { resolveKernel } from '../kernel/resolve.js';
import { parseIomem } from '../guest/iomem.js';
import { dmesgDelta, readBootFacts, readGuestState, readSections, type GuestBootFacts } from '../guest/observe.js';
import { GuestChannel, generateRunKey } from '../guest/ssh.js';
import { deviceAddresses, planProbes } from '../probe/plan.js';
import { measureHighMemoryEnd, runProbes } from '../probe/run-agent.js';
import { hex } from '../probe/types.js';
import { QmpClient } from '../qmp/client.js';
import type { EventLog } from '../report/events.js';
import { REPORT_SCHEMA, summarize, type Report, type SafetyEntry, type StepReport } from '../report/types.js';
import { emptySafetyReport, foldSafety, SAFETY_IDS, SAFETY_TEXT, type KernelFacts, type SafetyEvidence, type SafetyReport, type StepState } from '../model/index.js';
import { ruleCoverage } from '../report/coverage.js';
import { judgeProbe, kernelFacts, stepChecks, stepState } from './judge.js';
import { checkS4, checkS5, deviceInfo, hostView } from './hostview.js';
import { ShmBackend } from '../shm/backend.js';
import { resizeDevice } from '../scenario/resize.js';
import { describeAction, type Scenario, type ScenarioStep } from '../scenario/types.js';
import { writeFileAtomic } from '../util/cache.js';
import { LabError, errorMessage } from '../util/errors.js';
import { pollUntil } from '../util/wait.js';
import { loadProfile, type MachineProfile } from '../vm/profile.js';
import { Vm } from '../vm/qemu.js';
import { shq } from '../guest/ssh.js';

export type AccelMode = 'auto' | 'tcg' | 'kvm';

export interface RunOptions {
  kernel: string;
  scenario: Scenario;
  out: string;
  accel: AccelMode;
  profile?: string;
  extraCmdline?: string[];
  signal?: AbortSignal;
  events: EventLog;
}

/** Named timeouts of a run (ms). */
export const TIMEOUTS = {
  firstConsoleKvm: 15_000,
  guestReady: 120_000,
  ssh: 60_000,
  qmpConnect: 10_000,
  settle: 30_000,
  module: 60_000,
  resize: 180_000,
};

interface Ctx {
  opts: RunOptions;
  profile: MachineProfile;
  vm: Vm;
  qmp: QmpClient;
  ch: GuestChannel;
  shm: ShmBackend;
  boot: GuestBootFacts;
  model: KernelFacts;
  lastDmesg: string[];
  /** The model's state at the previous step (for step-level rules). */
  previous?: StepState;
  onSafety: (e: SafetyEvidence) => void;
}

function safetyEntries(r: SafetyReport): SafetyEntry[] {
  return SAFETY_IDS.map((id) => ({ id, text: SAFETY_TEXT[id], status: r[id].status, checks: r[id].checks, evidence: r[id].evidence.slice(0, 20) }));
}

export async function runLab(opts: RunOptions): Promise<Report> {
  const t0 = Date.now();
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const report: Report = {
    schema: REPORT_SCHEMA,
    status: 'running',
    environment: { runId, startedAt: new Date().toISOString(), scenario: opts.scenario.name, host: { node: process.version, platform: process.platform, release: osRelease() } },
    steps: [],
    safety: safetyEntries(emptySafetyReport()),
    summary: summarize([], 0),
  };
  let safety = emptySafetyReport();
  let facts: KernelFacts | undefined;
  const save = () => {
    report.summary = summarize(report.steps, Date.now() - t0);
    report.coverage = ruleCoverage(report.summary, facts);
    return writeFileAtomic(join(opts.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  };
  const ev = opts.events;
  ev.emit({ type: 'run-start', runId, kernel: opts.kernel, scenario: opts.scenario.name, out: opts.out });
  await save();

  let vm: Vm | undefined;
  let qmp: QmpClient | undefined;
  let ch: GuestChannel | undefined;
  let shm: ShmBackend | undefined;
  try {
    const profile = await loadProfile(opts.profile);
    const progress = (message: string) => ev.emit({ type: 'progress', message });
    const kernel = await resolveKernel(opts.kernel, { signal: opts.signal, onProgress: progress });
    const config = await readConfig(kernel.config);
    report.environment.kernel = { spec: kernel.spec, source: kernel.source, release: kernel.release, imageSha256: kernel.imageSha256, config: pick(config) };
    report.environment.profile = profile;
    const image = await buildGuestImage(kernel, { onProgress: progress });
    report.environment.image = { key: image.key, size: image.size };
    const key = generateRunKey();

    const tBoot = Date.now();
    vm = await startVm(opts, profile, kernel.image, [image.cpio, runCpio(runId, key.publicKey)]);
    ev.emit({ type: 'vm-start', argv: vm.argv, accel: vm.accel, sshPort: vm.sshPort });
    const liveVm = vm;
    await pollUntil('QMP socket', () => access(liveVm.paths.qmpSocket, constants.F_OK).then(() => true, () => undefined), {
      timeoutMs: TIMEOUTS.qmpConnect, intervalMs: 20, signal: opts.signal, check: () => liveVm.checkAlive(),
    });
    qmp = await QmpClient.connect(vm.paths.qmpSocket, { timeoutMs: TIMEOUTS.qmpConnect, signal: opts.signal });
    // QEMU has created the backend by the time QMP answers.
    shm = ShmBackend.open(vm.paths.backend);
    const v = qmp.version;
    report.environment.qemu = { version: `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro}${v.package ? ` ${v.package.trim()}` : ''}`, argv: vm.argv, accel: vm.accel };
    await vm.waitForConsole('guest init "ready" on the console', /devmem-lab-init: ready/, TIMEOUTS.guestReady, opts.signal);
    ch = await GuestChannel.connect({ port: vm.sshPort, key, hostKey: image.hostKey, timeoutMs: TIMEOUTS.ssh, signal: opts.signal, check: () => liveVm.checkAlive() });
    ev.emit({ type: 'guest-ready', ms: Date.now() - tBoot });
    const boot = await readBootFacts(ch);
    report.environment.guest = { version: boot.procVersion, cmdline: boot.cmdline, physBits: boot.physBits, lockdown: boot.lockdown };
    const model = kernelFacts(boot, await readFile(kernel.config, 'utf8'));
    facts = model;
    report.environment.model = { version: model.version, config: model.config, cmdline: model.cmdline, flagsInferred: true };
    await save();

    const ctx: Ctx = { opts, profile, vm, qmp, ch, shm, boot, model, lastDmesg: [], onSafety: (e) => (safety = foldSafety(safety, e)) };
    const steps = opts.scenario.steps;
    for (const [i, step] of steps.entries()) {
      opts.signal?.throwIfAborted();
      ev.emit({ type: 'step-start', step: step.name, index: i, total: steps.length });
      const s = await runStep(ctx, step);
      report.steps.push(s);
      report.safety = safetyEntries(safety);
      ev.emit({ type: 'step-end', step: step.name, probes: s.probes.length, ms: s.durationMs });
      await save();
      if (s.error) throw new LabError(s.error.code, 'run', `step ${step.name} failed: ${s.error.message}`);
    }
    report.status = 'completed';
  } catch (e) {
    report.status = opts.signal?.aborted ? 'interrupted' : 'failed';
    const le = e instanceof LabError ? e : undefined;
    const context: Record<string, unknown> = { ...le?.context };
    if (vm) Object.assign(context, { consoleTail: vm.consoleTail.slice(-30), qemuExit: vm.exit ?? null });
    report.error = { code: le?.code ?? (e as { code?: string }).code ?? 'E_UNEXPECTED', kind: le?.kind ?? 'run', message: errorMessage(e), hint: le?.hint, context };
  } finally {
    ch?.close();
    qmp?.close();
    shm?.close();
    await vm?.dispose();
    await save();
    ev.emit({ type: 'run-end', status: report.status === 'running' ? 'failed' : report.status, ms: Date.now() - t0, error: report.error?.message });
  }
  return report;
}

async function startVm(opts: RunOptions, profile: MachineProfile, kernelImage: string, initrdParts: (string | Buffer)[]): Promise<Vm> {
  const launch = (accel: 'tcg' | 'kvm') =>
    Vm.launch({ profile, kernelImage, initrdParts, accel, extraCmdline: opts.extraCmdline, consoleLog: join(opts.out, 'console.log'), onConsoleLine: (line) => opts.events.emit({ type: 'console', line }) });
  const kvmUsable = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
  if (opts.accel === 'tcg' || (opts.accel === 'auto' && !kvmUsable)) return launch('tcg');
  // KVM must prove it boots: some hosts' /dev/kvm (a paravirtual hypervisor)
  // hangs standard kernels before their first console line.
  const vm = await launch('kvm');
  try {
    await vm.waitForConsole('first console line under KVM', /\S/, TIMEOUTS.firstConsoleKvm, opts.signal);
    return vm;
  } catch (e) {
    await vm.dispose();
    if (opts.accel === 'kvm') {
      throw new LabError('E_KVM_NO_BOOT', 'environment', 'the guest printed nothing under KVM', { hint: 'use --accel tcg (or auto, which falls back)', cause: e });
    }
    opts.events.emit({ type: 'progress', message: 'KVM did not boot the guest; falling back to TCG' });
    return launch('tcg');
  }
}

async function runStep(ctx: Ctx, step: ScenarioStep): Promise<StepReport> {
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  const ev = ctx.opts.events;
  const signal = ctx.opts.signal;
  const check = () => ctx.vm.checkAlive();
  const rep: StepReport = {
    name: step.name,
    action: describeAction(step.action),
    startedAt,
    durationMs: 0,
    observations: { iomem: '', dmesg: [], memoryDevices: [], virtioMemBound: false, virtioMemLoaded: false, highMemoryEnd: '', action: {} },
    probes: [],
  };
  try {
    const a = step.action;
    if (a.kind === 'modprobe' || a.kind === 'rmmod') {
      const r = await ctx.ch.exec(`${a.kind} ${shq(a.module)}`, { timeoutMs: TIMEOUTS.module });
      rep.observations.action = { command: `${a.kind} ${a.module}`, exitCode: r.code, stderr: r.stderr.trim() };
      ev.emit({ type: 'step-action', step: step.name, detail: `${a.kind} ${a.module}: exit ${r.code}${r.stderr.trim() ? ` (${r.stderr.trim()})` : ''}` });
    } else if (a.kind === 'resize') {
      const r = await resizeDevice(ctx.qmp, ctx.profile.virtioMem.id, a.sizeMiB * 1024 * 1024, { timeoutMs: TIMEOUTS.resize, signal, check });
      rep.observations.action = { ...r };
      ev.emit({ type: 'step-action', step: step.name, detail: `size ${r.from} → ${r.reached} in ${r.ms} ms (${r.kicks} kicks)` });
    } else if (a.kind === 'access') {
      const dev = deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices'));
      if (!dev) throw new LabError('E_NO_DEVICE', 'run', 'the machine has no virtio-mem device to access');
      const addr = dev.memaddr + a.deviceOffsetMiB * 1024 * 1024;
      const [r] = await runProbes(ctx.ch, [{ id: 0, op: a.op, addr, len: 4096, why: 'scenario access' }]);
      rep.observations.action = { access: r };
      ev.emit({ type: 'step-action', step: step.name, detail: `${a.op} ${r.addr}: ${r.observed.result}${r.observed.errno ? ` ${r.observed.errno}` : ''}` });
    }
    await settleIomem(ctx);
    const state = await readGuestState(ctx.ch);
    rep.observations.iomem = state.iomem;
    rep.observations.dmesg = dmesgDelta(ctx.lastDmesg, state.dmesg);
    ctx.lastDmesg = state.dmesg;
    rep.observations.virtioMemBound = state.virtioMemBound;
    rep.observations.virtioMemLoaded = state.virtioMemLoaded;
    rep.observations.memoryDevices = await ctx.qmp.execute<unknown[]>('query-memory-devices');
    const measured = await measureHighMemoryEnd(ctx.ch, ctx.boot.physBits);
    rep.observations.highMemoryEnd = measured === undefined ? null : hex(measured);
    // Unknown when /dev/mem cannot be opened: every probe then fails at
    // open (R-OPEN-*) before any range check, so the value is never used.
    const highEnd = measured ?? Number.NaN;
    const iomem = parseIomem(state.iomem);
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
    rep.probes = await runProbes(ctx.ch, specs, {
      onResult: (probe) => {
        ctx.onSafety(judgeProbe(ctx.model, model, byId.get(probe.id)!, probe));
        ev.emit({ type: 'probe', step: step.name, probe });
      },
    });
    rep.checks = stepChecks({
      facts: ctx.model,
      state: model,
      previous: ctx.previous,
      action: step.action as { kind: string; module?: string },
      exitCode: rep.observations.action.exitCode as number | null | undefined,
      dmesg: rep.observations.dmesg,
    });
    ctx.previous = model;
    if (dev) {
      const view = hostView(ctx.shm.extents(), dev, iomem);
      rep.observations.host = view;
      ctx.onSafety(checkS4(step.name, view));
      ctx.onSafety(checkS5(step.name, view, state.virtioMemBound, ctx.boot.memoryBlockSize));
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    rep.error = { code: (e as { code?: string }).code ?? 'E_UNEXPECTED', message: errorMessage(e) };
  }
  rep.durationMs = Date.now() - t0;
  return rep;
}

/** Waits until /proc/iomem reads the same twice in a row: hot-add and driver binding finish after the device reports its size. */
async function settleIomem(ctx: Ctx): Promise<void> {
  let prev: string | undefined;
  await pollUntil(
    'guest /proc/iomem to settle',
    async () => {
      const s = (await readSections(ctx.ch, { iomem: 'cat /proc/iomem' })).iomem;
      const same = s === prev;
      prev = s;
      return same ? true : undefined;
    },
    { timeoutMs: TIMEOUTS.settle, intervalMs: 250, signal: ctx.opts.signal, check: () => ctx.vm.checkAlive() },
  );
}
