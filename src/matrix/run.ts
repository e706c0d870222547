// Runs the cells of a matrix, `jobs` guests at a time, resumably: a cell
// whose report says completed is not run again. matrix.json is rewritten
// after every cell.
import { cpus, freemem } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildGuestImage } from '../image/build.js';
import { resolveKernel } from '../kernel/resolve.js';
import { runRepeated } from '../lab/repeat.js';
import { runLab, type AccelMode } from '../lab/run.js';
import { DEFAULT_ARCH, type Arch } from '../util/arch.js';
import { pickProfile } from '../vm/profile.js';
import { EventLog, type RunEvent } from '../format/events.js';
import type { Report } from '../format/types.js';
import { writeRunArtifacts } from '../report/artifacts.js';
import { writeMatrixArtifacts } from './artifacts.js';
import { resolveScenario } from '../scenario/file.js';
import { readJsonIfExists, writeFileAtomic } from '../util/cache.js';
import type { Cell } from './cells.js';
import { CellQueue } from './queue.js';
import { cellResult, summarizeMatrix, type CellResult, type MatrixSummary } from './summary.js';

/** One guest needs its boot RAM, the device and QEMU itself: budget 3 GiB, one core each (TCG, one vCPU). */
export function defaultJobs(): number {
  return Math.max(1, Math.min(cpus().length, Math.floor(freemem() / (3 * 2 ** 30))));
}

export interface MatrixOptions {
  cells: Cell[];
  out: string;
  jobs: number;
  accel: AccelMode;
  /** Every cell boots (no saved guest restored or saved). */
  freshBoot?: boolean;
  /** Each cell's scenario this many times (lab/repeat.ts); results that varied are flaky. */
  repeats?: number;
  /** Boot every repeat afresh. */
  repeatBoots?: boolean;
  signal?: AbortSignal;
  onEvent?: (cell: Cell, e: RunEvent & { t: number }) => void;
  onCellDone?: (r: CellResult, reused: boolean) => void;
}

export const cellDir = (out: string, c: Cell) => join(out, 'cells', c.id);

export async function runMatrix(opts: MatrixOptions): Promise<MatrixSummary> {
  await mkdir(join(opts.out, 'cells'), { recursive: true });
  const results = new Map<string, CellResult>();
  // Saves are chained: concurrent cells finishing together write in turn.
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(() => writeFileAtomic(join(opts.out, 'matrix.json'), JSON.stringify(summarizeMatrix([...results.values()]), null, 2) + '\n')));

  // Resumable: finished cells keep their report.
  const todo: Cell[] = [];
  for (const c of opts.cells) {
    const rel = join('cells', c.id, 'report.json');
    const r = await readJsonIfExists<Report>(join(opts.out, rel));
    if (r?.status === 'completed') {
      results.set(c.id, cellResult(c, r, rel));
      opts.onCellDone?.(results.get(c.id)!, true);
    } else {
      results.set(c.id, cellResult(c, undefined, rel));
      todo.push(c);
    }
  }
  await save();

  // Kernels and images are resolved one at a time before guests run side by
  // side, so concurrent cells only ever read the cache.
  for (const key of [...new Set(todo.map((c) => `${c.arch ?? DEFAULT_ARCH} ${c.kernel}`))]) {
    opts.signal?.throwIfAborted();
    const [arch, kernel] = key.split(' ') as [Arch, string];
    await buildGuestImage(await resolveKernel(kernel, { arch, signal: opts.signal }));
  }

  const queue = new CellQueue(todo);
  const worker = async () => {
    for (let c = queue.take(); c && !opts.signal?.aborted; queue.done(c), c = queue.take()) {
      const dir = cellDir(opts.out, c);
      await mkdir(dir, { recursive: true });
      const cell = c;
      const scenario = await resolveScenario(c.scenario);
      const { name: profile } = await pickProfile({ arch: c.arch ?? DEFAULT_ARCH, scenarioProfile: scenario.profile, scenario: scenario.name });
      const run = {
        kernel: c.kernel,
        scenario,
        profile,
        accel: opts.accel,
        freshBoot: opts.freshBoot,
        extraCmdline: [...(scenario.cmdline ?? []), ...c.cmdline.split(/\s+/).filter(Boolean)],
        signal: opts.signal,
      };
      let report: Report | undefined;
      if ((opts.repeats ?? 1) > 1) {
        report = await runRepeated({
          ...run,
          out: dir,
          repeats: opts.repeats!,
          freshBoots: opts.repeatBoots,
          onEvents: (events) => events.on((e) => opts.onEvent?.(cell, e)),
          onMerged: (merged) => writeRunArtifacts(dir, merged),
        });
      } else {
        const events = new EventLog(join(dir, 'events.jsonl'));
        events.on((e) => opts.onEvent?.(cell, e));
        try {
          report = await runLab({ ...run, out: dir, events });
        } finally {
          events.close();
        }
        await writeRunArtifacts(dir, report);
      }
      results.set(c.id, cellResult(c, report, join('cells', c.id, 'report.json')));
      opts.onCellDone?.(results.get(c.id)!, false);
      await save();
    }
  };
  // Every worker finishes its cell before the matrix returns, even when one
  // fails: nothing may still write into the directory afterwards.
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(opts.jobs, todo.length)) }, worker));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const summary = summarizeMatrix([...results.values()]);
  await writeMatrixArtifacts(opts.out, summary);
  return summary;
}

export async function readMatrix(dir: string): Promise<MatrixSummary | undefined> {
  return readJsonIfExists<MatrixSummary>(join(dir, 'matrix.json'));
}
