// Trial "lifecycle": the wall time of a full lab run (runLab, lifecycle
// scenario, booted: --fresh-boot) against a bare boot-to-poweroff of the
// same kernel and image plus the time the device itself took to plug and
// unplug; and the same run restored from the saved post-boot guest (saved
// by an untimed warm-up run): how soon it starts probing against the boot's
// launch to init ready, and whether its report differs from the booted
// run's of the same round (compare, timings and page contents aside).
// Rounds rotate which goes first; every guest runs alone.
import type { BareParams, BareResult } from './boot-bare.js';
import { runChild, nodeChild } from './child.js';
import type { LabParams, LabResult } from './lifecycle-lab.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareReports } from '../src/compare/index.js';
import type { Report } from '../src/format/types.js';
import { addRatio, goal, rotate, timeRow } from './rows.js';
import { summarize } from './stats.js';
import type { Row, TrialContext, TrialOutcome } from './types.js';

export const LIFECYCLE_GOAL = { ratio: 1.5, minProbes: 1000, restoredFirstProbe: 0.25 };

export async function runLifecycleTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const bare: BareResult[] = [];
  const lab: LabResult[] = [];
  const restored: LabResult[] = [];
  const differences: number[] = [];
  const diffTitles = new Set<string>();
  const dir = await mkdtemp(join(tmpdir(), 'devmem-lab-bench-reports-'));
  const labRun = async (label: string, p: LabParams) => {
    const res = await runChild<LabResult>(nodeChild(label, 'lifecycle-lab.js', p, 600_000), ctx.cleanup);
    if (res.status !== 'completed') throw new Error(`${label} ${res.status}: ${res.error}`);
    return res;
  };
  try {
    // Saves the post-boot guest the restored runs start from (not timed).
    const warm = await labRun('lab run (warm-up)', { kernel: ctx.kernel });
    ctx.log(`lifecycle: warm-up ${warm.origin}`);
    for (let r = 0; r < ctx.rounds; r++) {
      const keep = { booted: join(dir, `booted-${r}.json`), restored: join(dir, `restored-${r}.json`) };
      for (const c of rotate(['bare', 'booted', 'restored'] as const, r)) {
        ctx.signal.throwIfAborted();
        if (c === 'bare') {
          const p: BareParams = { kernel: ctx.kernel };
          bare.push(await runChild<BareResult>(nodeChild('bare boot', 'boot-bare.js', p, 300_000), ctx.cleanup));
        } else if (c === 'booted') {
          lab.push(await labRun('lab run (booted)', { kernel: ctx.kernel, freshBoot: true, keepReport: keep.booted }));
        } else {
          const res = await labRun('lab run (restored)', { kernel: ctx.kernel, keepReport: keep.restored });
          if (res.origin !== 'restored') throw new Error(`the restored lab run was ${res.origin}`);
          restored.push(res);
        }
        ctx.log(`lifecycle: round ${r + 1}/${ctx.rounds} ${c} done`);
      }
      const read = async (f: string) => JSON.parse(await readFile(f, 'utf8')) as Report;
      const diff = compareReports(await read(keep.booted), await read(keep.restored));
      const real = diff.differences.filter((d) => d.severity !== 'content');
      real.forEach((d) => diffTitles.add(JSON.stringify(d).slice(0, 200)));
      differences.push(real.length);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const N = 'lifecycle';
  const resizeSum = lab.map((l) => l.resizeMs.reduce((s, x) => s + x.ms, 0));
  const bareTotal = timeRow(N, 'bare', 'boot to poweroff', 'ms', bare.map((b) => b.totalMs));
  const bareReady = timeRow(N, 'bare', 'launch to init ready', 'ms', bare.map((b) => b.launchToReadyMs));
  const barePrep = timeRow(N, 'bare', 'resolve kernel + image (cached; not in boot to poweroff)', 'ms', bare.map((b) => b.prepareMs));
  const bareResolve = timeRow(N, 'bare', 'of which resolveKernel', 'ms', bare.map((b) => b.resolveMs));
  const resize = timeRow(N, 'lab', 'plug/unplug (device resize, sum of steps)', 'ms', resizeSum);
  // Paired by round: each lab run's own resize time on top of that round's bare boot.
  const baseline = timeRow(N, 'bare+resize', 'boot to poweroff + plug/unplug', 'ms', bare.map((b, i) => b.totalMs + resizeSum[i]));
  const wall = timeRow(N, 'lab', 'lifecycle wall time', 'ms', lab.map((l) => l.wallMs));
  addRatio(wall, baseline);
  const firstProbe = timeRow(N, 'lab', 'time to first probe', 'ms', lab.map((l) => l.firstProbeT));
  addRatio(firstProbe, bareReady, 'bare/launch to init ready');
  const probes = timeRow(N, 'lab', 'probes per run', 'probes', lab.map((l) => l.probes));
  const phase = (metric: string, f: (l: LabResult) => number) => timeRow(N, 'lab', metric, 'ms', lab.map(f));
  const sumSteps = (f: (s: LabResult['steps'][number]) => number) => (l: LabResult) => l.steps.reduce((t, s) => t + f(s), 0);
  const boot = phase('phase: QEMU launch to init ready', (l) => l.phases.bootMs);
  addRatio(boot, bareReady, 'bare/launch to init ready');
  const restoredWall = addRatio(timeRow(N, 'restored', 'lifecycle wall time', 'ms', restored.map((l) => l.wallMs)), wall);
  const launchFirst = addRatio(timeRow(N, 'restored', 'QEMU launch to first probe', 'ms', restored.map((l) => l.launchToFirstProbeMs)), bareReady, 'bare/launch to init ready');
  const startFirst = addRatio(timeRow(N, 'restored', 'time to first probe (from run start)', 'ms', restored.map((l) => l.firstProbeT)), bareReady, 'bare/launch to init ready');
  const restorePhase = (metric: string, f: (l: LabResult) => number) => timeRow(N, 'restored', metric, 'ms', restored.map(f));
  const diffs = timeRow(N, 'restored', 'report differences from the same round\'s booted run (compare; page contents aside)', 'differences', differences);
  const rows: Row[] = [
    wall, baseline, bareTotal, resize, bareReady, barePrep, bareResolve, firstProbe, probes,
    restoredWall, launchFirst, startFirst, diffs,
    restorePhase('restored phase: run start to QEMU launch', (l) => l.phases.prepareMs),
    restorePhase('restored phase: QEMU launch to guest ready (restore, SSH, key handover)', (l) => l.phases.bootMs + l.phases.sshMs),
    restorePhase('restored phase: guest ready to first step (boot facts)', (l) => l.phases.factsMs),
    restorePhase('restored phase: first step start to first probe', (l) => l.steps[0]?.beforeProbesMs ?? NaN),
    phase('phase: run start to QEMU launch (resolve kernel, image)', (l) => l.phases.prepareMs),
    boot,
    phase('phase: init ready to SSH up', (l) => l.phases.sshMs),
    phase('phase: SSH up to first step (boot facts)', (l) => l.phases.factsMs),
    phase('phase: steps, all', (l) => l.steps.reduce((t, s) => t + s.ms, 0)),
    phase('phase: steps, before first probe (action, settle, observe)', sumSteps((s) => s.beforeProbesMs)),
    phase('phase: steps, first to last probe answer', sumSteps((s) => s.probingMs)),
    phase('phase: last step to run end (teardown)', (l) => l.phases.teardownMs),
  ];
  for (const step of lab[0].steps.map((s) => s.step)) {
    const ms = lab.map((l) => l.steps.find((s) => s.step === step)?.ms ?? NaN).filter(Number.isFinite);
    rows.push(timeRow(N, 'lab', `step ${step}`, 'ms', ms));
  }
  const minProbes = summarize(lab.map((l) => l.probes)).p50;
  return {
    rows,
    goals: [
      goal(N, 'lifecycle wall p50 / (bare boot-to-poweroff + plug/unplug) p50', wall.ratioTo!['bare+resize'].p50, LIFECYCLE_GOAL.ratio),
      goal(N, 'probes per lifecycle run (p50)', minProbes, LIFECYCLE_GOAL.minProbes, true),
      goal(N, 'restored: QEMU launch to first probe p50 / bare launch to init ready p50', launchFirst.ratioTo!['bare/launch to init ready'].p50, LIFECYCLE_GOAL.restoredFirstProbe),
      goal(N, 'restored vs booted reports: differences (max over rounds)', Math.max(...differences), 0),
    ],
    notes: [
      `${ctx.rounds} rounds, each a bare boot, a booted lab run (--fresh-boot) and a restored one (rotating which goes first), each in a fresh process; kernel ${ctx.kernel}; ` +
        'step times are the lab\'s step-end events (action + /proc/iomem settle + observation + probes)',
      `restored runs: ${restored.length}, all from the saved guest of an untimed warm-up run (${restored[0]?.origin ?? '-'}); differences seen: ${[...diffTitles].join(' | ') || 'none'}`,
    ],
  };
}
