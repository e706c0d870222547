// The full lab run: runLab() with the lifecycle scenario and an EventLog,
// exactly as `devmem-lab run` calls it, booted or restored, into a scratch
// output directory.
// Figures come from the run's own records: events.jsonl (time to the first
// probe, guest ready, per-step times, probe count) and report.json (the
// device's resize times: how long plug/unplug itself took).
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab } from '../src/lab/run.js';
import { EventLog } from '../src/format/events.js';
import { resolveScenario } from '../src/scenario/file.js';
import { announce, competitorMain } from './competitor.js';

export interface LabParams {
  kernel: string;
  /** Boot (--fresh-boot); otherwise restore the saved guest (or boot and save one). */
  freshBoot?: boolean;
  /** Copy report.json here (the trial compares restored and booted reports). */
  keepReport?: string;
}

export interface LabStep {
  step: string;
  /** step-start to step-end. */
  ms: number;
  /** step-start to the step's first probe answer: action, /proc/iomem settle, observation. */
  beforeProbesMs: number;
  /** First to last probe answer of the step, as streamed back. */
  probingMs: number;
  probes: number;
}

export interface LabResult {
  status: string;
  error?: string;
  /** runLab() call to return. */
  wallMs: number;
  /** Phases from events.jsonl (t = ms since the EventLog was created, just before runLab). */
  phases: {
    /** Run start to QEMU launched: kernel resolution, guest image, initrd. */
    prepareMs: number;
    /** QEMU launched to init's "ready" console line. */
    bootMs: number;
    /** "ready" on the console to the SSH session up (guest-ready). */
    sshMs: number;
    /** guest-ready to the first step: boot facts. */
    factsMs: number;
    /** Last step-end to run-end: closing SSH and QMP, stopping QEMU, the last report write. */
    teardownMs: number;
  };
  firstProbeT: number;
  /** QEMU launched (vm-start) to the first probe answer: what a restored guest saves over a boot. */
  launchToFirstProbeMs: number;
  /** environment.origin.mode: booted, restored, booted-and-saved. */
  origin: string;
  probes: number;
  steps: LabStep[];
  /** Each resize step's own time (qom-set until the device's size got there). */
  resizeMs: { step: string; ms: number }[];
}

type Ev = { t: number; type: string; [k: string]: unknown };

competitorMain<LabParams, LabResult>(async (p, signal) => {
  const out = await mkdtemp(join(tmpdir(), 'devmem-lab-bench-run-'));
  try {
    const events = new EventLog(join(out, 'events.jsonl'));
    events.on((e) => {
      if (e.type !== 'vm-start') return;
      // The backend's directory is QEMU's private one: announce it so the
      // driver can reclaim it if this process dies mid-run.
      const mem = e.argv.find((a) => a.includes('mem-path='));
      const dir = /mem-path=(\/dev\/shm\/[^,]+)\/[^/,]+/.exec(mem ?? '')?.[1];
      if (dir) announce(dir);
    });
    const t0 = performance.now();
    let report;
    try {
      report = await runLab({ kernel: p.kernel, scenario: await resolveScenario('lifecycle'), out, accel: 'tcg', events, signal, freshBoot: p.freshBoot });
    } finally {
      events.close();
    }
    const wallMs = performance.now() - t0;
    const evs = (await readFile(join(out, 'events.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Ev);
    const at = (pred: (e: Ev) => boolean): number => evs.find(pred)?.t ?? NaN;
    const resizeMs: LabResult['resizeMs'] = [];
    for (const s of report.steps as { name: string; observations?: { action?: { requested?: unknown; ms?: unknown } } }[]) {
      const a = s.observations?.action;
      if (a && typeof a.requested === 'number' && typeof a.ms === 'number') resizeMs.push({ step: s.name, ms: a.ms });
    }
    const steps: LabStep[] = evs
      .filter((e) => e.type === 'step-end')
      .map((end) => {
        const start = at((e) => e.type === 'step-start' && e.step === end.step);
        const probeTs = evs.filter((e) => e.type === 'probe' && e.step === end.step).map((e) => e.t);
        return {
          step: end.step as string,
          ms: end.ms as number,
          beforeProbesMs: probeTs.length ? probeTs[0] - start : end.t - start,
          probingMs: probeTs.length ? probeTs[probeTs.length - 1] - probeTs[0] : 0,
          probes: end.probes as number,
        };
      });
    const vmStart = at((e) => e.type === 'vm-start');
    const initReady = at((e) => e.type === 'console' && /devmem-lab-init: ready/.test(String(e.line)));
    const guestReady = at((e) => e.type === 'guest-ready');
    const lastStepEnd = evs.filter((e) => e.type === 'step-end').pop()?.t ?? NaN;
    return {
      status: report.status,
      error: report.error?.message,
      wallMs,
      phases: {
        prepareMs: vmStart,
        bootMs: initReady - vmStart,
        sshMs: guestReady - initReady,
        factsMs: at((e) => e.type === 'step-start') - guestReady,
        teardownMs: at((e) => e.type === 'run-end') - lastStepEnd,
      },
      firstProbeT: at((e) => e.type === 'probe'),
      launchToFirstProbeMs: at((e) => e.type === 'probe') - vmStart,
      origin: report.environment.origin?.mode ?? 'unknown',
      probes: evs.filter((e) => e.type === 'probe').length,
      steps,
      resizeMs,
    };
  } finally {
    if (p.keepReport) await copyFile(join(out, 'report.json'), p.keepReport).catch(() => undefined);
    await rm(out, { recursive: true, force: true });
  }
});
