// devmem-lab matrix and devmem-lab merge.
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { matrixCells, parseShard, shardCells } from '../matrix/cells.js';
import { defaultJobs, readMatrix, runMatrix } from '../matrix/run.js';
import { matrixExitCode, mergeSummaries, type MatrixSummary } from '../matrix/summary.js';
import type { AccelMode } from '../lab/run.js';
import { inputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/cache.js';
import { writeMatrixArtifacts } from '../matrix/artifacts.js';
import { LiveView } from './live.js';
import { checkKernelInput, ensureOutDir, parseAccel, parseRepeat, withSignals } from './common.js';
import { DEFAULT_KERNEL } from '../kernel/spec.js';
import { checkCmdline } from '../lab/prepare.js';
import { checkScenarioFits } from '../lab/scenario.js';
import { resolveScenario } from '../scenario/file.js';
import { pickProfile } from '../vm/profile.js';
import { DEFAULT_ARCH, parseArch, type Arch } from '../util/arch.js';
import { LAB_FILE, loadLabFile } from '../matrix/labfile.js';

/** The kernels of a matrix when --kernels is not given: the host suite's and the newest Debian has. */
export const DEFAULT_MATRIX_KERNELS = `${DEFAULT_KERNEL},debian:newest`;

export const MATRIX_USAGE = `usage: devmem-lab matrix [--kernels A,B,…] [--cmdlines '' 'iomem=relaxed' …] [--scenarios lifecycle,…]
                         [--arches x86_64,arm64] --out DIR [--jobs N] [--shard i/n] [--accel tcg|kvm|auto] [--fresh-boot]
                         [--repeat N [--repeat-boots]]
       devmem-lab matrix [--lab FILE]      (no arguments: ./devmem-lab.json)
       devmem-lab merge --out DIR SHARD_DIR…

  --kernels defaults to ${DEFAULT_MATRIX_KERNELS}; --arches to x86_64 (arm64: Debian's arm64
  build of each kernel on QEMU virt, judged by the arm64 model).
  Every architecture × kernel × command line × scenario is a cell with its own report in
  DIR/cells/<id>/; DIR/matrix.json summarises them. A re-run skips cells
  that completed. --shard i/n runs the cells whose index mod n is i-1, for
  spreading one matrix over machines; merge combines their DIRs. Cells of one
  kernel and command line restore one saved post-boot guest (--fresh-boot:
  every cell boots). --repeat N runs each cell's scenario N times (restored
  guests; --repeat-boots: each repeat boots): what varied between repeats is
  flaky, never a finding.`;

/** `--cmdlines a b c` takes every following word that is not an option. */
export function takeListOption(argv: string[], name: string): { values: string[] | undefined; rest: string[] } {
  const i = argv.indexOf(name);
  if (i < 0) return { values: undefined, rest: argv };
  let j = i + 1;
  while (j < argv.length && !argv[j].startsWith('--')) j++;
  return { values: argv.slice(i + 1, j), rest: [...argv.slice(0, i), ...argv.slice(j)] };
}

/** One matrix, from the command line or from a lab file. */
interface MatrixRequest {
  arches: Arch[];
  kernels: string[];
  cmdlines: string[];
  scenarios: string[];
  out: string;
  jobs?: number;
  shard?: string;
  accel: AccelMode;
  freshBoot: boolean;
  repeats: number;
  repeatBoots: boolean;
}

function requestFromArgs(argv: string[]): MatrixRequest {
  const { values: cmdlines, rest } = takeListOption(argv, '--cmdlines');
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        kernels: { type: 'string', default: DEFAULT_MATRIX_KERNELS },
        arches: { type: 'string', default: DEFAULT_ARCH },
        scenarios: { type: 'string', default: 'lifecycle' },
        out: { type: 'string' },
        jobs: { type: 'string' },
        shard: { type: 'string' },
        accel: { type: 'string', default: 'tcg' },
        'fresh-boot': { type: 'boolean', default: false },
        repeat: { type: 'string', default: '1' },
        'repeat-boots': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw inputError('E_USAGE', (e as Error).message, MATRIX_USAGE);
  }
  if (!values.out) throw inputError('E_USAGE', '--out is required', `${MATRIX_USAGE}\n(or write a ${LAB_FILE} and run \`devmem-lab matrix\` with no arguments)`);
  const accel = parseAccel(values.accel, MATRIX_USAGE);
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw inputError('E_USAGE', `--jobs ${values.jobs} is not a positive integer`, MATRIX_USAGE);
  const split = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  return {
    arches: [...new Set(split(values.arches).map(parseArch))],
    kernels: split(values.kernels), cmdlines: cmdlines ?? [''], scenarios: split(values.scenarios), out: resolve(values.out),
    jobs, shard: values.shard, accel, freshBoot: values['fresh-boot'], repeats: parseRepeat(values.repeat, MATRIX_USAGE), repeatBoots: values['repeat-boots'],
  };
}

/** `matrix` with no arguments: ./devmem-lab.json; `matrix --lab FILE`: that file. Its `out` is relative to the file. */
async function requestFromLabFile(argv: string[]): Promise<MatrixRequest> {
  if (argv.length > 0 && (argv[0] !== '--lab' || argv.length !== 2)) throw inputError('E_USAGE', '--lab takes one file and no other option', MATRIX_USAGE);
  const path = resolve(argv[1] ?? LAB_FILE);
  const f = await loadLabFile(path);
  return { ...f, arches: [...new Set(f.arches.map(parseArch))], out: resolve(dirname(path), f.out) };
}

export async function cmdMatrix(argv: string[]): Promise<number> {
  const req = argv.length === 0 || argv[0] === '--lab' ? await requestFromLabFile(argv) : requestFromArgs(argv);
  const jobs = req.jobs ?? defaultJobs();
  if (req.repeatBoots && req.repeats === 1) throw inputError('E_USAGE', '--repeat-boots goes with --repeat N (N > 1)', 'add --repeat 3, or drop --repeat-boots');
  // Every kernel, scenario and command line is checked before anything is resolved or booted.
  for (const k of req.kernels) for (const arch of req.arches) checkKernelInput(k, arch);
  for (const name of req.scenarios) {
    const sc = await resolveScenario(name);
    for (const arch of req.arches) {
      const { profile } = await pickProfile({ arch, scenarioProfile: sc.profile, scenario: sc.name });
      checkScenarioFits(sc, profile);
      for (const c of req.cmdlines) checkCmdline(profile, [...(sc.cmdline ?? []), ...c.split(/\s+/).filter(Boolean)]);
    }
  }
  const all = matrixCells(req.kernels, req.cmdlines, req.scenarios, req.arches);
  const cells = shardCells(all, req.shard ? parseShard(req.shard) : undefined);
  const out = req.out;
  await ensureOutDir(out);

  const view = new LiveView(cells);
  try {
    const summary = await withSignals((signal) =>
      runMatrix({ cells, out, jobs, accel: req.accel, freshBoot: req.freshBoot, repeats: req.repeats, repeatBoots: req.repeatBoots, signal, onEvent: (c, e) => view.event(c, e), onCellDone: (r, reused) => view.done(r, reused) }),
    );
    view.close();
    process.stdout.write(renderMatrix(summary) + `${out}/matrix.json\n`);
    return matrixExitCode(summary);
  } finally {
    view.close();
  }
}

export async function cmdMerge(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { out: { type: 'string' } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw inputError('E_USAGE', (e as Error).message, MATRIX_USAGE);
  }
  const { values, positionals } = parsed;
  if (!values.out || positionals.length === 0) throw inputError('E_USAGE', 'merge needs --out DIR and at least one shard directory', MATRIX_USAGE);
  const parts: MatrixSummary[] = [];
  for (const d of positionals) {
    const m = await readMatrix(resolve(d));
    if (!m) throw inputError('E_MERGE', `${d} has no matrix.json`, 'give the --out directories of `devmem-lab matrix --shard` runs');
    // Paths of cell reports stay valid from the merged directory.
    parts.push({ ...m, cells: m.cells.map((c) => ({ ...c, report: resolve(d, c.report) })) });
  }
  const merged = mergeSummaries(parts);
  const out = resolve(values.out);
  await ensureOutDir(out);
  await writeFileAtomic(`${out}/matrix.json`, JSON.stringify(merged, null, 2) + '\n');
  await writeMatrixArtifacts(out, merged);
  process.stdout.write(renderMatrix(merged) + `${out}/matrix.json\n`);
  return matrixExitCode(merged);
}

export function renderMatrix(m: MatrixSummary): string {
  const rows = m.cells.map(
    (c) => `  ${c.status.padEnd(11)} ${c.id}  ${c.probes} probes, ${c.mismatches} mismatch, ${c.violations} violation, ${c.checkMismatches} check mismatch${c.fault ? `, ${c.fault}` : ''}`,
  );
  const t = m.totals;
  return `${rows.join('\n')}\n${t.cells} cells: ${t.completed} completed, ${t.failed} failed; ${t.probes} probes, ${t.mismatches} mismatches, ${t.violations} violations\n`;
}
