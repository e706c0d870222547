// explore: random action sequences from the scenario grammar (grammar.ts),
// each run as a scenario with the model as oracle and S1–S7 as invariants.
// fast-check generates the sequences from the seed and, when one fails,
// shrinks it by re-running smaller sequences; the smallest that still fails
// is written as a scenario file `run --scenario` replays, with a finding
// report (finding.ts). Each sequence gets a fresh boot: a leaked PAT
// reservation outlives everything but a reboot, so sequences sharing a
// guest would judge each other's leftovers.
import fc from 'fast-check';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventLog, type Listener } from '../format/events.js';
import { EXIT, findings, reportExitCode } from '../format/findings.js';
import type { Report } from '../format/types.js';
import type { AccelMode } from '../lab/boot.js';
import { runLab } from '../lab/run.js';
import { writeRunArtifacts } from '../report/artifacts.js';
import { describeAction, type Scenario, type ScenarioStep } from '../lab/scenario.js';
import { exploreCommands, stepsOf, type DeviceShape } from './grammar.js';
import { findingMarkdown, findingParts, signature } from './finding.js';

export interface ExploreOptions {
  kernel: string;
  seed: number;
  /** Sequences to run (without: until the budget is spent). */
  runs?: number;
  /** Wall time for new sequences, in ms; shrinking a finding gets `shrinkMs` more. */
  budgetMs?: number;
  shrinkMs: number;
  maxCommands: number;
  cmdline: string[];
  accel: AccelMode;
  /** Boot every sequence's guest instead of restoring the saved one (the baseline). */
  freshBoot?: boolean;
  profile: string;
  device: DeviceShape;
  out: string;
  signal?: AbortSignal;
  /** Progress lines. */
  say: (line: string) => void;
  /** Each sequence's run events (the CLI's --verbose). */
  onEvent?: Listener;
}

export interface SequenceRecord {
  n: number;
  round: number;
  shrinking: boolean;
  steps: number;
  /** The sequence's actions, as describeAction() words them. */
  actions: string[];
  status: Report['status'];
  exit: number;
  findings: number;
  ms: number;
  signature?: string;
  /** It failed, but only in kinds an earlier finding of this exploration already has. */
  known?: boolean;
}

export interface ExploreResult {
  seed: number;
  sequences: SequenceRecord[];
  findings: { n: number; signature: string; steps: number; dir: string }[];
  /** Sequences whose run failed without a finding (the lab's problem, not the kernel's). */
  labFailures: number;
  ms: number;
}

const fmtMs = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')}s`;

export async function explore(o: ExploreOptions): Promise<ExploreResult> {
  const t0 = Date.now();
  const deadline = o.budgetMs === undefined ? Infinity : t0 + o.budgetMs;
  const result: ExploreResult = { seed: o.seed, sequences: [], findings: [], labFailures: 0, ms: 0 };
  const seen = new Set<string>();
  let runsLeft = o.runs ?? Infinity;
  const save = () => writeFile(join(o.out, 'explore.json'), JSON.stringify({ ...result, ms: Date.now() - t0 }, null, 2) + '\n');

  for (let round = 0; runsLeft > 0 && Date.now() < deadline && !o.signal?.aborted; round++) {
    // One fast-check run per round: it stops at its first failing sequence and shrinks it.
    let failing: { steps: ScenarioStep[]; report: Report; dir: string } | undefined;
    let firstSteps = 0;
    let shrinkDeadline = Infinity;
    const property = fc.asyncProperty(fc.commands(exploreCommands(o.device), { maxCommands: o.maxCommands }), async (cmds) => {
      const shrinking = failing !== undefined;
      if (!shrinking && (runsLeft <= 0 || Date.now() >= deadline)) return true; // the budget is spent: the rest are not run
      if (o.signal?.aborted || (shrinking && Date.now() >= shrinkDeadline)) return true;
      const steps = stepsOf(cmds);
      const n = result.sequences.length + 1;
      if (!shrinking) runsLeft--;
      const dir = join(o.out, 'sequences', String(n));
      const report = await runSequence(o, steps, `explore-${o.seed}-${n}`, dir);
      const exit = reportExitCode(report);
      // Only a kind of failure no earlier finding had makes a new finding; the rest are counted.
      const fresh = [...findingParts(report)].filter((p) => !seen.has(p));
      const found = exit === EXIT.findings && fresh.length > 0;
      const rec: SequenceRecord = { n, round, shrinking, steps: steps.length, actions: steps.map((st) => describeAction(st.action)), status: report.status, exit, findings: findings(report), ms: report.summary.durationMs, ...(exit === EXIT.findings ? { signature: signature(report), known: !found } : {}) };
      result.sequences.push(rec);
      if (!found && report.status !== 'completed') result.labFailures++;
      const left = o.budgetMs === undefined ? `${Number.isFinite(runsLeft) ? runsLeft : '?'} left` : `${fmtMs(Math.max(0, deadline - Date.now()))} left`;
      o.say(`${shrinking ? 'shrink' : 'sequence'} ${n}: ${steps.length} steps, ${found ? `FINDING ${rec.signature}` : exit === EXIT.findings ? `only known kinds (${rec.signature})` : report.status === 'completed' ? 'as the model expects' : `run ${report.status} (${report.fault?.kind ?? report.error?.code ?? 'no finding'})`} in ${(rec.ms / 1000).toFixed(1)} s · ${result.findings.length} findings · ${left}`);
      if (found) {
        if (failing) await rm(failing.dir, { recursive: true, force: true });
        else {
          firstSteps = steps.length;
          shrinkDeadline = Date.now() + o.shrinkMs;
        }
        failing = { steps, report, dir };
      } else if (report.status === 'completed' && exit !== EXIT.findings) {
        await rm(dir, { recursive: true, force: true });
      }
      await save();
      return !found;
    });
    const r = await fc.check(property, { seed: o.seed + round, numRuns: 10_000, endOnFailure: false });
    if (!r.failed || !failing) break;
    const sig = signature(failing.report);
    const n = result.findings.length + 1;
    const dir = join(o.out, `finding-${n}`);
    await writeFinding(o, dir, n, firstSteps, failing);
    result.findings.push({ n, signature: sig, steps: failing.steps.length, dir });
    o.say(`finding ${n}: ${sig}, shrunk from ${firstSteps} to ${failing.steps.length} steps → ${dir}/finding.md`);
    for (const p of findingParts(failing.report)) seen.add(p);
    await save();
  }
  result.ms = Date.now() - t0;
  await save();
  return result;
}

async function runSequence(o: ExploreOptions, steps: ScenarioStep[], name: string, dir: string): Promise<Report> {
  await mkdir(dir, { recursive: true });
  const events = new EventLog(join(dir, 'events.jsonl'));
  if (o.onEvent) events.on(o.onEvent);
  try {
    const scenario: Scenario = { name, description: 'a sequence explore generated', steps };
    await writeFile(join(dir, 'scenario.json'), JSON.stringify(scenario, null, 2) + '\n');
    return await runLab({ kernel: o.kernel, scenario, out: dir, accel: o.accel, profile: o.profile, extraCmdline: o.cmdline, freshBoot: o.freshBoot, signal: o.signal, events });
  } finally {
    events.close();
  }
}

async function writeFinding(o: ExploreOptions, dir: string, n: number, originalSteps: number, f: { steps: ScenarioStep[]; report: Report; dir: string }): Promise<void> {
  await mkdir(dir, { recursive: true });
  const scenario: Scenario = {
    name: `explore-finding-${n}`,
    description: `found by devmem-lab explore --seed ${o.seed} on ${f.report.environment.guest?.version ?? o.kernel}: ${signature(f.report)}`,
    ...(o.cmdline.length ? { cmdline: o.cmdline } : {}),
    steps: f.steps,
  };
  await writeFile(join(dir, 'scenario.json'), JSON.stringify(scenario, null, 2) + '\n');
  await rm(join(dir, 'run'), { recursive: true, force: true });
  await rename(f.dir, join(dir, 'run'));
  await writeRunArtifacts(join(dir, 'run'), f.report);
  await writeFile(join(dir, 'finding.md'), findingMarkdown({ n, kernel: o.kernel, scenarioPath: join(dir, 'scenario.json'), seed: o.seed, originalSteps, scenario, report: f.report }));
}
