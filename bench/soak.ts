// The soak: `npm run soak -- [--lifecycle N] [--each N] [--cells N] [options]`.
// Runs the real CLI back to back, each run its own process and directory:
//   1. N lifecycle runs;
//   2. N runs of every other built-in scenario;
//   3. a --jobs 2 matrix (2 kernels × 5 command lines × 4 scenarios, cut to
//      --cells) beside a CPU hog, a busy process of the kind CI machines run.
// For each phase it counts failed runs (exit ≥ 2 or a report that is not
// completed), relaunched guests (environment.bootRetries), flaky verdicts,
// mismatches and violations, QEMU processes and /dev/shm/devmem-lab-*
// entries left behind, and wall time; a Markdown table for
// docs/reliability.md goes to stdout, every run's figures to --json.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pkgPath } from '../src/util/paths.js';

const USAGE = `usage: npm run soak -- [--lifecycle N] [--each N] [--cells N] [--kernel SPEC] [--kernels A,B] [--no-hog] [--fresh-boot] [--out DIR] [--json FILE]

  --lifecycle  lifecycle runs (default 100)
  --each       runs of each other built-in scenario (default 50)
  --cells      matrix cells: the kernels × 4 scenarios × enough of 5 command lines (default 40; 0 skips the matrix)
  --kernel     kernel of phases 1 and 2 (default debian:bookworm)
  --kernels    the matrix's kernels (default debian:bookworm,debian:newest)
  --no-hog     run the matrix without the CPU hog
  --fresh-boot every run and cell boots its guest (run/matrix --fresh-boot): the soak of boots themselves
  --out        working directory (default a new one under /tmp; run directories are removed after they are counted)
  --json       every run's figures (default OUT/soak.json)`;

const CMDLINES = ['', 'iomem=relaxed', 'iomem=strict', 'lockdown=integrity', 'nokaslr'];
const MATRIX_SCENARIOS = ['lifecycle', 'revoke', 'capabilities', 'unclean-unload'];

interface RunFigures {
  label: string;
  exit: number;
  wallMs: number;
  failed: boolean;
  relaunches: number;
  restored: boolean;
  flaky: number;
  mismatches: number;
  violations: number;
  findings: number;
}

interface Leftovers {
  qemu: number;
  shm: number;
}

interface Phase {
  name: string;
  runs: RunFigures[];
  wallMs: number;
  leftovers: Leftovers;
}

/** QEMU processes and /dev/shm entries of the lab, now. */
function labResidue(): { qemu: Set<string>; shm: Set<string> } {
  let ps = '';
  try {
    ps = execFileSync('pgrep', ['-f', 'qemu-system.*devmem-lab'], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches.
  }
  const shm = existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((n) => n.startsWith('devmem-lab-')) : [];
  return { qemu: new Set(ps.split('\n').filter(Boolean)), shm: new Set(shm) };
}

function newSince(before: ReturnType<typeof labResidue>): Leftovers {
  const now = labResidue();
  return { qemu: [...now.qemu].filter((p) => !before.qemu.has(p)).length, shm: [...now.shm].filter((n) => !before.shm.has(n)).length };
}

function cli(args: string[]): Promise<{ exit: number; wallMs: number; stderr: string }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [pkgPath('bin', 'devmem-lab'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('close', (code, signal) => resolve({ exit: code ?? (signal ? 128 : 255), wallMs: Date.now() - t0, stderr }));
  });
}

type Counted = Omit<RunFigures, 'label' | 'exit' | 'wallMs'>;

/** Figures of one report.json; a missing or unreadable report is a failed run. */
function fromReport(path: string): Counted {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8'));
    const s = r.summary ?? {};
    const safety = (r.safety ?? []) as { status: string }[];
    return {
      failed: r.status !== 'completed',
      relaunches: (r.environment?.bootRetries ?? []).length,
      restored: r.environment?.origin?.mode === 'restored',
      flaky: (s.flaky ?? 0) + (s.checks?.flaky ?? 0) + safety.filter((e) => e.status === 'flaky').length,
      mismatches: (s.mismatches ?? 0) + (s.checks?.mismatch ?? 0),
      violations: safety.filter((e) => e.status === 'violated').length,
      findings: (r.findings ?? []).length,
    };
  } catch {
    return { failed: true, relaunches: 0, restored: false, flaky: 0, mismatches: 0, violations: 0, findings: 0 };
  }
}

async function runPhase(name: string, work: () => Promise<RunFigures[]>, log: (l: string) => void): Promise<Phase> {
  const before = labResidue();
  const t0 = Date.now();
  const runs = await work();
  const phase = { name, runs, wallMs: Date.now() - t0, leftovers: newSince(before) };
  log(`soak: ${name}: ${runs.length} runs in ${(phase.wallMs / 1000).toFixed(0)} s, ${runs.filter((r) => r.failed).length} failed`);
  return phase;
}

async function scenarioRuns(dir: string, kernel: string, scenario: string, n: number, log: (l: string) => void, fresh: string[]): Promise<RunFigures[]> {
  const out: RunFigures[] = [];
  for (let i = 0; i < n; i++) {
    const runDir = join(dir, `${scenario}-${i}`);
    const r = await cli(['run', '--kernel', kernel, '--scenario', scenario, '--out', runDir, ...fresh]);
    const f: RunFigures = { label: `${scenario} #${i + 1}`, exit: r.exit, wallMs: r.wallMs, ...fromReport(join(runDir, 'report.json')) };
    if (r.exit >= 2) f.failed = true;
    if (f.failed || f.relaunches || f.flaky) log(`soak: ${f.label}: exit ${r.exit}${f.relaunches ? `, ${f.relaunches} relaunches` : ''}${f.flaky ? `, ${f.flaky} flaky` : ''}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`);
    else rmSync(runDir, { recursive: true, force: true });
    out.push(f);
  }
  return out;
}

/** A busy loop in its own process for as long as `work` runs. */
async function withHog<T>(on: boolean, work: () => Promise<T>): Promise<T> {
  if (!on) return work();
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    return await work();
  } finally {
    hog.kill('SIGKILL');
  }
}

async function matrixRuns(dir: string, kernels: string, cells: number, hog: boolean, fresh: string[]): Promise<RunFigures[]> {
  const ks = kernels.split(',');
  const cmdlines = CMDLINES.slice(0, Math.max(1, Math.ceil(cells / (ks.length * MATRIX_SCENARIOS.length))));
  const args = ['matrix', '--kernels', ks.join(','), '--cmdlines', ...cmdlines,
    '--scenarios', MATRIX_SCENARIOS.join(','), '--jobs', '2', '--out', dir, ...fresh];
  const r = await withHog(hog, () => cli(args));
  const cellsDir = join(dir, 'cells');
  const ids = existsSync(cellsDir) ? readdirSync(cellsDir) : [];
  const runs = ids.map((id) => ({ label: `matrix ${id}`, exit: r.exit, wallMs: r.wallMs, ...fromReport(join(cellsDir, id, 'report.json')) }));
  if (r.exit >= 2 || runs.length === 0) runs.push({ label: 'matrix', exit: r.exit, wallMs: r.wallMs, failed: true, relaunches: 0, restored: false, flaky: 0, mismatches: 0, violations: 0, findings: 0 });
  return runs;
}

function table(phases: Phase[]): string {
  const sum = (rs: RunFigures[], k: keyof Counted) => rs.reduce((a, r) => a + Number(r[k]), 0);
  const rows = phases.map((p) => {
    const walls = p.runs.map((r) => r.wallMs).sort((a, b) => a - b);
    const p50 = walls.length ? walls[Math.floor(walls.length / 2)] / 1000 : 0;
    // A matrix's cells share one process: its rate, not a per-run time.
    const per = p.name.startsWith('matrix') ? `${((p.runs.length * 60_000) / p.wallMs).toFixed(1)} cells/min` : `p50 ${p50.toFixed(1)} s`;
    return `| ${p.name} | ${p.runs.length} | ${sum(p.runs, 'failed')} | ${sum(p.runs, 'relaunches')} | ${sum(p.runs, 'restored')} | ${sum(p.runs, 'flaky')} | ${sum(p.runs, 'mismatches')} | ${sum(p.runs, 'violations')} | ${sum(p.runs, 'findings')} | ${p.leftovers.qemu} | ${p.leftovers.shm} | ${(p.wallMs / 60_000).toFixed(1)} min (${per}) |`;
  });
  return ['| phase | runs | failed | relaunches | restored | flaky | mismatches | violations | console findings | QEMU left | /dev/shm left | wall |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({ args: argv, options: {
      lifecycle: { type: 'string', default: '100' }, each: { type: 'string', default: '50' }, cells: { type: 'string', default: '40' },
      kernel: { type: 'string', default: 'debian:bookworm' }, kernels: { type: 'string', default: 'debian:bookworm,debian:newest' },
      'no-hog': { type: 'boolean', default: false }, 'fresh-boot': { type: 'boolean', default: false }, out: { type: 'string' }, json: { type: 'string' },
    } }).values;
  } catch (e) {
    process.stderr.write(`soak: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const num = (k: 'lifecycle' | 'each' | 'cells') => {
    const v = Number(a[k]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} wants a whole number ≥ 0, not ${JSON.stringify(a[k])}`);
    return v;
  };
  const [nLife, nEach, nCells] = [num('lifecycle'), num('each'), num('cells')];
  const out = a.out ?? join('/tmp', `devmem-lab-soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(out, { recursive: true });
  const log = (l: string) => process.stderr.write(l + '\n');
  const scenarios = readdirSync(pkgPath('src', 'scenario', 'builtin')).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter((n) => n !== 'lifecycle').sort();
  const phases: Phase[] = [];
  const fresh = a['fresh-boot'] ? ['--fresh-boot'] : [];
  const booted = fresh.length ? ' (booted)' : '';
  if (nLife) phases.push(await runPhase(`lifecycle${booted}`, () => scenarioRuns(out, a.kernel, 'lifecycle', nLife, log, fresh), log));
  if (nEach) for (const s of scenarios) phases.push(await runPhase(`${s}${booted}`, () => scenarioRuns(out, a.kernel, s, nEach, log, fresh), log));
  if (nCells) phases.push(await runPhase(`matrix --jobs 2${a['no-hog'] ? '' : ' + CPU hog'}${booted}`, () => matrixRuns(join(out, 'matrix'), a.kernels, nCells, !a['no-hog'], fresh), log));
  const json = a.json ?? join(out, 'soak.json');
  writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), argv, phases }, null, 2) + '\n');
  process.stdout.write(`${table(phases)}\n\nEvery run's figures: ${json}\n`);
  const bad = phases.some((p) => p.runs.some((r) => r.failed || r.relaunches) || p.leftovers.qemu || p.leftovers.shm);
  return bad ? 1 : 0;
}

main(process.argv.slice(2)).then((c) => (process.exitCode = c), (e) => {
  process.stderr.write(`soak: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
