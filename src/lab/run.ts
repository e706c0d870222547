// One lab run: kernel → guest image → QEMU → QMP → SSH → scenario steps,
// each observed and probed, streamed to events.jsonl and written to
// report.json after every step (atomically), so a run that dies keeps a
// valid report of everything it finished.
import { randomBytes } from 'node:crypto';
import { release as osRelease } from 'node:os';
import { join } from 'node:path';
import { generateRunKey } from '../guest/ssh.js';
import { runCpio } from '../image/build.js';
import { moduleSigned } from '../kernel/module-files.js';
import { emptySafetyReport, expectedConsoleWarning, foldSafety, type KernelFacts, type SafetyEvidence, type SafetyReport } from '../model/index.js';
import { endSafety, SAFETY } from './safety/index.js';
import { ruleCoverage } from '../format/coverage.js';
import { REPORT_SCHEMA, summarize, type Report, type SafetyEntry } from '../format/types.js';
import { writeFileAtomic } from '../util/cache.js';
import { LabError, errorMessage } from '../util/errors.js';
import { sleep } from '../util/wait.js';
import { qemuArgv } from '../vm/args.js';
import { LabGuest, type BootOptions } from './boot.js';
import { ARGV_PLACEHOLDERS, findSaved, savedKey } from './saved.js';
import { firstHistory, type RunContext } from './context.js';
import { classifyFault } from './faults.js';
import { KernelLog } from './kernel-log.js';
import { kernelFacts } from './judge.js';
import { driverPrecondition } from './precondition.js';
import { prepareRun, type Prepared } from './prepare.js';
import { runStep, StepFailed } from './step.js';
import type { RunOptions } from './options.js';
import { scaledTimeouts, speedFactor, type Timeouts } from './timeouts.js';

export type { RunOptions } from './options.js';

export { TIMEOUTS, type Timeouts } from './timeouts.js';
export type { AccelMode } from './boot.js';

/** Boot once, run many: the saved guest to restore, or the key to save one under (none with --fresh-boot). */
async function savedOption(opts: RunOptions, prepared: Prepared): Promise<BootOptions['saved']> {
  if (opts.freshBoot) return undefined;
  const paths = { dir: ARGV_PLACEHOLDERS.dir, backend: `${ARGV_PLACEHOLDERS.dir}/backend`, qmpSocket: `${ARGV_PLACEHOLDERS.dir}/qmp.sock`, kernel: prepared.kernel.image, initrd: `${ARGV_PLACEHOLDERS.dir}/initrd.cpio` };
  const argv = qemuArgv({ profile: prepared.profile, accel: opts.accel === 'kvm' ? 'kvm' : 'tcg', paths, sshPort: ARGV_PLACEHOLDERS.port, extraCmdline: opts.extraCmdline });
  const key = await savedKey({ kernelImageSha256: prepared.kernel.imageSha256, imageKey: prepared.image.key, argv, accel: opts.accel, arch: prepared.profile.arch });
  const found = await findSaved(key);
  return found ? { restore: found } : { saveKey: key, argv };
}

const safetyEntries = (r: SafetyReport): SafetyEntry[] =>
  SAFETY.map(({ id, text }) => ({ id, text, status: r[id].status, checks: r[id].checks, evidence: r[id].evidence.slice(0, 20) }));

export async function runLab(opts: RunOptions): Promise<Report> {
  const t0 = Date.now();
  // Until the guest is up the accelerator's scale alone (TCG's for auto);
  // then the waits follow how fast this guest came up (timeouts.ts).
  const t: Timeouts = scaledTimeouts(opts.accel === 'kvm' ? 'kvm' : 'tcg', 1, opts.timeouts);
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const report: Report = {
    schema: REPORT_SCHEMA,
    status: 'running',
    environment: { runId, startedAt: new Date().toISOString(), scenario: opts.scenario.name, host: { node: process.version, platform: process.platform, release: osRelease() } },
    steps: [],
    findings: [],
    safety: safetyEntries(emptySafetyReport(SAFETY.map((p) => p.id))),
    summary: summarize([], 0),
  };
  let safety = emptySafetyReport(SAFETY.map((p) => p.id));
  let facts: KernelFacts | undefined;
  const save = () => {
    report.summary = summarize(report.steps, Date.now() - t0);
    report.coverage = ruleCoverage(report.summary, facts);
    return writeFileAtomic(join(opts.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  };
  const ev = opts.events;
  ev.emit({ type: 'run-start', runId, kernel: opts.kernel, scenario: opts.scenario.name, out: opts.out });
  await save();

  let currentStep: string | undefined;
  const onSafety = (e: SafetyEvidence) => (safety = foldSafety(safety, e));
  const kernelLog = new KernelLog((f) => report.findings.push(f), onSafety);
  const onConsoleLine = (line: string) => {
    kernelLog.feed(line, currentStep);
    ev.emit({ type: 'console', line });
  };
  {
    // Closed at the end of this block, after a failure has been classified.
    await using guest = new LabGuest();
    const steps = opts.scenario.steps;
    try {
      const prepared = await prepareRun(opts, report);
      const key = generateRunKey();
      const saved = await savedOption(opts, prepared);
      const tBoot = Date.now();
      const g = await guest.boot({
        runId,
        saved,
        profile: prepared.profile,
        kernelImage: prepared.kernel.image,
        initrdParts: [prepared.image.cpio, runCpio(runId, key.publicKey)],
        key,
        hostKey: prepared.image.hostKey,
        accel: opts.accel,
        extraCmdline: opts.extraCmdline,
        consoleLog: join(opts.out, 'console.log'),
        onConsoleLine,
        writableBackend: steps.some((st) => st.action.kind === 'host-pattern'),
        t,
        events: ev,
        signal: opts.signal,
        onRetry: async (failed) => {
          (report.environment.bootRetries ??= []).push(failed);
          await save();
        },
        onQmp: (qmp, vm) => {
          const v = qmp.version;
          report.environment.qemu = { version: `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro}${v.package ? ` ${v.package.trim()}` : ''}`, argv: vm.argv, accel: vm.accel };
        },
      });
      ev.emit({ type: 'guest-ready', ms: Date.now() - tBoot });
      report.environment.origin = g.origin;
      const speed = speedFactor(g.vm.accel, g.origin.mode === 'restored' ? 'restore' : 'boot', g.readyMs);
      const tRun = scaledTimeouts(g.vm.accel, speed.factor, opts.timeouts);
      report.environment.timing = { ...speed, timeouts: tRun };
      facts = { ...kernelFacts(g.boot, prepared.configText, prepared.profile.arch), virtioMemSigned: await moduleSigned(prepared.kernel.modulesDir, 'virtio_mem') };
      const known = facts;
      kernelLog.expected = (line) => expectedConsoleWarning(known, line);
      report.environment.guest = { version: g.boot.procVersion, cmdline: g.boot.cmdline, physBits: facts.physBits, lockdown: g.boot.lockdown, ...(prepared.profile.arch ? { arch: prepared.profile.arch } : {}) };
      report.environment.model = { version: facts.version, config: facts.config, cmdline: facts.cmdline, virtioMemSigned: facts.virtioMemSigned, flagsInferred: true };
      await save();

      // The long-lived agent gets -w when some hold is also written through /proc/self/mem.
      const heldWrites = steps.some((s) => s.action.kind === 'hold' && s.action.mappings.some((m) => m.ptraceWrite));
      const ctx: RunContext = {
        ...g, events: ev, signal: opts.signal, t: tRun, profile: prepared.profile, facts, kcore: !!opts.scenario.kcore,
        agent: () => guest.agentSession(heldWrites),
        onSafety,
        onDmesg: (lines, step) => kernelLog.dmesg(lines, step),
      };
      let hist = firstHistory();
      for (const [i, step] of steps.entries()) {
        opts.signal?.throwIfAborted();
        ev.emit({ type: 'step-start', step: step.name, index: i, total: steps.length });
        currentStep = step.name;
        const r = await runStep(ctx, hist, step).catch((e: unknown) => {
          if (e instanceof StepFailed) report.steps.push(e.step);
          throw e instanceof StepFailed ? e.cause : e;
        });
        hist = r.history;
        report.steps.push(r.report);
        report.safety = safetyEntries(safety);
        ev.emit({ type: 'step-end', step: step.name, probes: r.report.probes.length, ms: r.report.durationMs });
        await save();
        const stop = driverPrecondition(step, r.report, steps.slice(i + 1));
        if (stop) throw stop;
      }
      // S7 held if the whole run logged nothing the kernel counts as a bug (a
      // console finding's violation sticks).
      kernelLog.close();
      endSafety({ steps: steps.length }).forEach(onSafety);
      report.status = 'completed';
    } catch (e) {
      report.status = opts.signal?.aborted ? 'interrupted' : 'failed';
      // A guest panic or a killed QEMU often surfaces first as a broken SSH or
      // QMP connection: give QEMU's exit a moment to be seen before judging.
      const vm = guest.vm;
      if (vm && !vm.exit) await Promise.race([vm.exited, sleep(1000)]);
      const le = e instanceof LabError ? e : undefined;
      report.fault = classifyFault(e, { aborted: !!opts.signal?.aborted, vmExit: vm?.exit, consoleTail: vm?.consoleTail ?? [], step: currentStep });
      report.error = { code: report.fault.code, kind: le?.kind ?? 'run', message: errorMessage(e), hint: le?.hint, context: le?.context };
    }
    // A failed step's probes count: its safety evidence is folded in too.
    kernelLog.close();
    report.safety = safetyEntries(safety);
  }
  await save();
  ev.emit({ type: 'run-end', status: report.status, ms: Date.now() - t0, error: report.error?.message });
  return report;
}
