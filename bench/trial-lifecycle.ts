// Trial "lifecycle": the wall time of a full lab run (runLab, lifecycle
// scenario) against a bare boot-to-poweroff of the same kernel and image
// plus the time the device itself took to plug and unplug. Rounds alternate
// which goes first; every guest runs alone.
import type { BareParams, BareResult } from './boot-bare.js';
import { runChild, nodeChild } from './child.js';
import type { LabParams, LabResult } from './lifecycle-lab.js';
import { addRatio, goal, timeRow } from './rows.js';
import { summarize } from './stats.js';
import type { Row, TrialContext, TrialOutcome } from './types.js';

export const LIFECYCLE_GOAL = { ratio: 1.5, minProbes: 1000 };

export async function runLifecycleTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const bare: BareResult[] = [];
  const lab: LabResult[] = [];
  for (let r = 0; r < ctx.rounds; r++) {
    const order = r % 2 === 0 ? (['bare', 'lab'] as const) : (['lab', 'bare'] as const);
    for (const c of order) {
      ctx.signal.throwIfAborted();
      if (c === 'bare') {
        const p: BareParams = { kernel: ctx.kernel };
        bare.push(await runChild<BareResult>(nodeChild('bare boot', 'boot-bare.js', p, 300_000), ctx.cleanup));
      } else {
        const p: LabParams = { kernel: ctx.kernel };
        const res = await runChild<LabResult>(nodeChild('lab run', 'lifecycle-lab.js', p, 600_000), ctx.cleanup);
        if (res.status !== 'completed') throw new Error(`lifecycle run ${res.status}: ${res.error}`);
        lab.push(res);
      }
      ctx.log(`lifecycle: round ${r + 1}/${ctx.rounds} ${c} done`);
    }
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
  const rows: Row[] = [
    wall, baseline, bareTotal, resize, bareReady, barePrep, bareResolve, firstProbe, probes,
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
    ],
    notes: [
      `${ctx.rounds} rounds, each a bare boot and a lab run (alternating first), each in a fresh process; kernel ${ctx.kernel}; ` +
        'step times are the lab\'s step-end events (action + /proc/iomem settle + observation + probes)',
    ],
  };
}
