// One lab run: kernel → guest image → QEMU → QMP → SSH → scenario steps,
// each observed and probed, streamed to events.jsonl and written to
// report.json after every step (atomically), so a run that dies keeps a
// valid report of everything it finished.
import { randomBytes } from 'node:crypto';
import { access, constants, readFile } from 'node:fs/promises';
import { release as osRelease } from 'node:os';
import { join } from 'node:path';
import { readBootFacts } from '../guest/observe.js';
import { GuestChannel, generateRunKey } from '../guest/ssh.js';
import { buildGuestImage, runCpio } from '../image/build.js';
import { parseConfigText, pick } from '../kernel/config.js';
import { resolveKernel, type ResolveOptions } from '../kernel/resolve.js';
import { emptySafetyReport, foldSafety, SAFETY_IDS, SAFETY_TEXT, type KernelFacts, type SafetyReport } from '../model/index.js';
import { QmpClient } from '../qmp/client.js';
import { ruleCoverage } from '../report/coverage.js';
import type { EventLog } from '../report/events.js';
import { REPORT_SCHEMA, summarize, type Report, type SafetyEntry } from '../report/types.js';
import type { Scenario } from '../scenario/types.js';
import { checkScenarioFits } from '../scenario/file.js';
import { ShmBackend } from '../shm/backend.js';
import { writeFileAtomic } from '../util/cache.js';
import { LabError, errorMessage } from '../util/errors.js';
import { pollUntil, sleep } from '../util/wait.js';
import { loadProfile, type MachineProfile } from '../vm/profile.js';
import { Vm } from '../vm/qemu.js';
import { kernelFacts } from './judge.js';
import { runStep, StepFailed, TIMEOUTS, type StepContext, type Timeouts } from './step.js';
import { classifyFault, consoleFinding } from './faults.js';
import { driverPrecondition } from './precondition.js';
import { moduleSigned } from '../image/modules.js';

/** Boots of one run when a guest comes up but never serves SSH (see bootRetries in the report). */
const BOOT_ATTEMPTS = 2;

export { TIMEOUTS, type Timeouts } from './step.js';

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
  /** Overrides of the named timeouts (fault tests shorten them). */
  timeouts?: Partial<Timeouts>;
  /** --modules/--config (path: kernels) and --config-fragment (build: kernels). */
  kernelOptions?: Pick<ResolveOptions, 'modules' | 'config' | 'configFragment'>;
}


function safetyEntries(r: SafetyReport): SafetyEntry[] {
  return SAFETY_IDS.map((id) => ({ id, text: SAFETY_TEXT[id], status: r[id].status, checks: r[id].checks, evidence: r[id].evidence.slice(0, 20) }));
}

export async function runLab(opts: RunOptions): Promise<Report> {
  const t0 = Date.now();
  const t: Timeouts = { ...TIMEOUTS, ...opts.timeouts };
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const report: Report = {
    schema: REPORT_SCHEMA,
    status: 'running',
    environment: { runId, startedAt: new Date().toISOString(), scenario: opts.scenario.name, host: { node: process.version, platform: process.platform, release: osRelease() } },
    steps: [],
    findings: [],
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
  let currentStep: string | undefined;
  const onConsoleLine = (line: string) => {
    const f = consoleFinding(line, currentStep);
    if (f) report.findings.push(f);
    ev.emit({ type: 'console', line });
  };
  let qmp: QmpClient | undefined;
  let ch: GuestChannel | undefined;
  let shm: ShmBackend | undefined;
  let ctxRef: StepContext | undefined;
  try {
    const profile = await loadProfile(opts.profile);
    checkScenarioFits(opts.scenario, profile);
    const progress = (message: string) => ev.emit({ type: 'progress', message });
    const kernel = await resolveKernel(opts.kernel, { ...opts.kernelOptions, signal: opts.signal, onProgress: progress });
    // Read once: the report's config summary and the model's facts both come from it.
    const configText = await readFile(kernel.config, 'utf8');
    const config = parseConfigText(configText);
    // The kernel's virtio-mem driver decides unplugged-inaccessible (5.10's
    // refuses the device with it on); a profile that sets it explicitly wins.
    const { deviceOptions } = kernel;
    if (deviceOptions && profile.virtioMem.unpluggedInaccessible === undefined) profile.virtioMem.unpluggedInaccessible = deviceOptions.unpluggedInaccessible;
    const kernelEnv = { spec: kernel.spec, source: kernel.source, release: kernel.release, imageSha256: kernel.imageSha256, config: pick(config), deviceOptions };
    report.environment.kernel = kernelEnv;
    report.environment.profile = profile;
    const image = await buildGuestImage(kernel, { onProgress: progress });
    report.environment.image = { key: image.key, size: image.size };
    const key = generateRunKey();

    const tBoot = Date.now();
    for (let attempt = 1; ; attempt++) {
      vm = await startVm(opts, t, onConsoleLine, profile, kernel.image, [image.cpio, runCpio(runId, key.publicKey)]);
      ev.emit({ type: 'vm-start', argv: vm.argv, accel: vm.accel, sshPort: vm.sshPort, pid: vm.proc.pid ?? -1, dir: vm.paths.dir });
      const liveVm = vm;
      await pollUntil('QMP socket', () => access(liveVm.paths.qmpSocket, constants.F_OK).then(() => true, () => undefined), {
        timeoutMs: t.qmpConnect, intervalMs: 20, signal: opts.signal, check: () => liveVm.checkAlive(),
      });
      qmp = await QmpClient.connect(vm.paths.qmpSocket, { timeoutMs: t.qmpConnect, signal: opts.signal });
      // QEMU has created the backend by the time QMP answers, and loaded the
      // kernel and initrd once the machine exists (query-status answers).
      // Writable only when a scenario has the host write a pattern (data, never code).
      shm = ShmBackend.open(vm.paths.backend, { writable: opts.scenario.steps.some((st) => st.action.kind === 'host-pattern') });
      await qmp.execute('query-status');
      await vm.detachFiles();
      const v = qmp.version;
      report.environment.qemu = { version: `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro}${v.package ? ` ${v.package.trim()}` : ''}`, argv: vm.argv, accel: vm.accel };
      await vm.waitForConsole('guest init "ready" on the console', /devmem-lab-init: ready/, t.guestReady, opts.signal);
      try {
        ch = await GuestChannel.connect({ port: vm.sshPort, key, hostKey: image.hostKey, timeoutMs: t.ssh, signal: opts.signal, check: () => checkGuestInit(liveVm) });
        break;
      } catch (e) {
        // Init said "ready" (network and sshd up) yet no session came: a
        // guest that failed to serve SSH this once, cause unknown. One more
        // boot, recorded; any other failure, or a second one, ends the run.
        if ((e as LabError).code !== 'E_SSH_CONNECT' || attempt >= BOOT_ATTEMPTS) throw e;
        (report.environment.bootRetries ??= []).push({ code: 'E_SSH_CONNECT', message: errorMessage(e), consoleTail: vm.consoleTail.slice(-30) });
        ev.emit({ type: 'progress', message: `${errorMessage(e)}; relaunching the guest (attempt ${attempt + 1} of ${BOOT_ATTEMPTS})` });
        await save();
        qmp.close();
        shm.close();
        await vm.dispose();
        qmp = undefined;
        shm = undefined;
        vm = undefined;
      }
    }
    ev.emit({ type: 'guest-ready', ms: Date.now() - tBoot });
    const boot = await readBootFacts(ch);
    report.environment.guest = { version: boot.procVersion, cmdline: boot.cmdline, physBits: boot.physBits, lockdown: boot.lockdown };
    const model = { ...kernelFacts(boot, configText), virtioMemSigned: await moduleSigned(kernel.modulesDir, 'virtio_mem') };
    facts = model;
    report.environment.model = { version: model.version, config: model.config, cmdline: model.cmdline, virtioMemSigned: model.virtioMemSigned, flagsInferred: true };
    await save();

    const ctx: StepContext = (ctxRef = { events: ev, signal: opts.signal, t, profile, vm, qmp, ch, shm, boot, model, lastDmesg: [], stepIndex: 0, held: [], released: [], claims: [], heldWrites: opts.scenario.steps.some((s) => s.action.kind === 'hold' && s.action.mappings.some((m) => m.ptraceWrite)), kcore: !!opts.scenario.kcore, onSafety: (e) => (safety = foldSafety(safety, e)) });
    const steps = opts.scenario.steps;
    for (const [i, step] of steps.entries()) {
      opts.signal?.throwIfAborted();
      ev.emit({ type: 'step-start', step: step.name, index: i, total: steps.length });
      currentStep = step.name;
      ctx.stepIndex = i;
      let s;
      try {
        s = await runStep(ctx, step);
      } catch (e) {
        if (!(e instanceof StepFailed)) throw e;
        report.steps.push(e.step);
        throw e.cause;
      }
      report.steps.push(s);
      report.safety = safetyEntries(safety);
      ev.emit({ type: 'step-end', step: step.name, probes: s.probes.length, ms: s.durationMs });
      await save();
      const stop = driverPrecondition(step, s, steps.slice(i + 1));
      if (stop) throw stop;
    }
    report.status = 'completed';
  } catch (e) {
    report.status = opts.signal?.aborted ? 'interrupted' : 'failed';
    // A guest panic or a killed QEMU often surfaces first as a broken SSH or
    // QMP connection: give QEMU's exit a moment to be seen before judging.
    if (vm && !vm.exit) await Promise.race([vm.exited, sleep(1000)]);
    const le = e instanceof LabError ? e : undefined;
    report.fault = classifyFault(e, { aborted: !!opts.signal?.aborted, vmExit: vm?.exit, consoleTail: vm?.consoleTail ?? [], step: currentStep });
    report.error = { code: report.fault.code, kind: le?.kind ?? 'run', message: errorMessage(e), hint: le?.hint, context: le?.context };
  } finally {
    // A failed step's probes count: its safety evidence is folded in too.
    report.safety = safetyEntries(safety);
    ctxRef?.session?.close();
    ch?.close();
    qmp?.close();
    shm?.close();
    await vm?.dispose();
    await save();
    ev.emit({ type: 'run-end', status: report.status === 'running' ? 'failed' : report.status, ms: Date.now() - t0, error: report.error?.message });
  }
  return report;
}

/** QEMU alive and the guest's init not reporting a fatal problem (see guest-image/init.sh). */
function checkGuestInit(vm: Vm): void {
  vm.checkAlive();
  const fatal = vm.consoleTail.find((l) => l.startsWith('devmem-lab-init: fatal:'));
  if (fatal) {
    throw new LabError('E_GUEST_INIT', 'environment', `the guest cannot be reached: ${fatal.slice('devmem-lab-init: fatal: '.length)}`, {
      hint: 'the guest kernel must be able to load virtio_net (lockdown=integrity refuses modules it cannot verify)',
    });
  }
}

async function startVm(opts: RunOptions, t: Timeouts, onConsoleLine: (line: string) => void, profile: MachineProfile, kernelImage: string, initrdParts: (string | Buffer)[]): Promise<Vm> {
  const launch = (accel: 'tcg' | 'kvm') =>
    Vm.launch({ profile, kernelImage, initrdParts, accel, extraCmdline: opts.extraCmdline, consoleLog: join(opts.out, 'console.log'), onConsoleLine });
  const kvmUsable = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
  if (opts.accel === 'tcg' || (opts.accel === 'auto' && !kvmUsable)) return launch('tcg');
  // KVM must prove it boots: some hosts' /dev/kvm (a paravirtual hypervisor)
  // hangs standard kernels before their first console line.
  const vm = await launch('kvm');
  try {
    await vm.waitForConsole('first console line under KVM', /\S/, t.firstConsoleKvm, opts.signal);
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

