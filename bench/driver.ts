// The benchmark driver: `npm run bench -- [trial ...] [options]`.
// Runs the chosen trials from the table (bench/trials.ts) one after another
// (every QEMU guest alone on the machine), writes every figure to
// bench/results/<date>.json and prints a Markdown summary for
// docs/benchmarks.md. Every figure is a ratio against a baseline measured
// in the same run: the machine is shared, absolute numbers drift.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_KERNEL } from '../src/kernel/spec.js';
import { pkgPath } from '../src/util/paths.js';
import { stopRunningChildren } from './child.js';
import { Cleanup } from './cleanup.js';
import { roundForJson } from './stats.js';
import { findTrial, TRIALS } from './trials.js';
import type { Goal, Row, TrialOutcome } from './types.js';

const USAGE = `usage: npm run bench -- [${TRIALS.map((t) => t.name).join('|')} ...] [--rounds N] [--quick] [--kernel SPEC] [--out FILE]

  trials     default: all, in this order
${TRIALS.map((t) => `    ${t.name.padEnd(10)} ${t.title}`).join('\n')}
  --rounds   rounds per trial (default per trial: ${TRIALS.map((t) => `${t.name} ${t.rounds}`).join(', ')})
  --quick    fewer samples per round, for a smoke run
  --kernel   kernel for the guests (default ${DEFAULT_KERNEL})
  --out      results file (default bench/results/<date>.json)`;

export interface Results {
  date: string;
  command: string;
  host: { cpus: number; model: string; node: string; kernel: string; qemu: string; loadavgStart: number[]; loadavgEnd?: number[]; otherQemuAtStart: number; otherQemuAtEnd?: number };
  trials: Row[];
  goals: Goal[];
  notes: Record<string, string[]>;
  durationsMs: Record<string, number>;
}

function qemuVersion(): string {
  try {
    return execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return 'not installed';
  }
}

/** QEMU processes running on the machine between trials, i.e. not ours (another user of the machine): recorded, never touched. */
function countQemu(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('qemu-system')) n++;
    } catch {
      // Gone.
    }
  }
  return n;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function markdown(res: Results): string {
  const lines = [
    `Run ${res.date} on ${res.host.cpus} × ${res.host.model}, Node ${res.host.node}, Linux ${res.host.kernel}, ${res.host.qemu}; ` +
      `load average at start ${res.host.loadavgStart.map((v) => v.toFixed(2)).join(' ')}, at end ${(res.host.loadavgEnd ?? []).map((v) => v.toFixed(2)).join(' ')}; ` +
      `QEMU processes of other users of the machine at start ${res.host.otherQemuAtStart}, at end ${res.host.otherQemuAtEnd ?? '?'}.`,
    `Command: \`${res.command}\``,
    '',
    '| trial | metric | competitor | unit | n | p50 | p99 | mean | p50 by round | ratio p50 (p99) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of res.trials) {
    const ratios = Object.entries(r.ratioTo ?? {})
      .map(([k, v]) => `${fmt(v.p50)} (${fmt(v.p99)}) vs ${k}`)
      .join('; ');
    lines.push(`| ${r.name} | ${r.metric} | ${r.competitor} | ${r.unit} | ${r.samples ?? ''} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.mean)} | ${(r.roundP50s ?? []).map(fmt).join(' ')} | ${ratios} |`);
  }
  if (res.goals.length > 0) {
    lines.push('', '| goal | value | limit | met |', '|---|---|---|---|');
    for (const g of res.goals) lines.push(`| ${g.what} | ${fmt(g.value)} | ${g.atLeast ? '≥' : '≤'} ${g.limit} | ${g.met ? 'yes' : '**no**'} |`);
  }
  for (const [trial, notes] of Object.entries(res.notes)) for (const n of notes) lines.push('', `- ${trial}: ${n}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        rounds: { type: 'string' },
        quick: { type: 'boolean', default: false },
        kernel: { type: 'string', default: DEFAULT_KERNEL },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const unknown = positionals.filter((n) => !findTrial(n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown trial ${unknown.join(', ')}; use one of ${TRIALS.map((t) => t.name).join(', ')}\n`);
    return 2;
  }
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) {
    process.stderr.write(`bench: --rounds ${values.rounds} is not a positive integer; write e.g. --rounds 3\n`);
    return 2;
  }
  const selected = positionals.length > 0 ? TRIALS.filter((t) => positionals.includes(t.name)) : TRIALS;

  const cleanup = new Cleanup();
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      // A second signal: do not wait for the trial to unwind.
      void cleanup.runAll().finally(() => process.exit(130));
      return;
    }
    interrupted = true;
    process.stderr.write(`bench: ${sig}: stopping children and cleaning up\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
    stopRunningChildren();
    // The trial unwinds through its finally blocks and main's cleanup; if it
    // is stuck, clean up anyway.
    setTimeout(() => void cleanup.runAll().finally(() => process.exit(130)), 15_000);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const date = new Date().toISOString();
  const res: Results = {
    date,
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    host: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      kernel: release(),
      qemu: qemuVersion(),
      loadavgStart: loadavg(),
      otherQemuAtStart: countQemu(),
    },
    trials: [],
    goals: [],
    notes: {},
    durationsMs: {},
  };
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
  const t0 = performance.now();
  let failed = false;
  try {
    for (const trial of selected) {
      const start = performance.now();
      log(`${trial.name}: ${trial.title}`);
      let out: TrialOutcome;
      try {
        out = await trial.run({ rounds: rounds ?? (values.quick ? Math.min(2, trial.rounds) : trial.rounds), quick: values.quick, kernel: values.kernel, cleanup, signal: controller.signal, log });
      } catch (e) {
        if (interrupted) {
          log(`${trial.name}: interrupted`);
          break;
        }
        failed = true;
        log(`${trial.name} failed: ${(e as Error).stack ?? String(e)}`);
        res.notes[trial.name] = [`FAILED: ${(e as Error).message}`];
        continue;
      }
      res.trials.push(...out.rows);
      res.goals.push(...out.goals);
      res.notes[trial.name] = out.notes;
      res.durationsMs[trial.name] = Math.round(performance.now() - start);
      log(`${trial.name}: done in ${(res.durationsMs[trial.name] / 1000).toFixed(1)} s`);
    }
  } finally {
    await cleanup.runAll();
  }
  if (interrupted) return 130; // no results file: a partial run would read as a complete one
  res.host.loadavgEnd = loadavg();
  res.host.otherQemuAtEnd = countQemu();
  const file = values.out ?? join(pkgPath('bench', 'results'), `${date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(res, roundForJson, 2) + '\n');
  process.stdout.write(markdown(res) + '\n\n');
  process.stdout.write(`results: ${file}\n`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    const interrupted = String((e as Error)?.message).startsWith('interrupted');
    process.stderr.write(interrupted ? `bench: ${(e as Error).message}\n` : `bench: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(interrupted ? 130 : 1);
  },
);
