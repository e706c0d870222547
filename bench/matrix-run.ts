// One matrix run: runMatrix() on fixed cells with a given --jobs, into a
// scratch directory, timed from the call to its return.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrixCells } from '../src/matrix/cells.js';
import { runMatrix } from '../src/matrix/run.js';
import { announce, competitorMain } from './competitor.js';

export interface MatrixParams {
  kernel: string;
  cmdlines: string[];
  jobs: number;
}

export interface MatrixResult {
  wallMs: number;
  cells: number;
  completed: number;
  probes: number;
  /** Cells that did not complete, with why. */
  failures: string[];
}

competitorMain<MatrixParams, MatrixResult>(async (p, signal) => {
  const out = await mkdtemp(join(tmpdir(), 'devmem-lab-bench-matrix-'));
  try {
    const cells = matrixCells([p.kernel], p.cmdlines, ['lifecycle']);
    const t0 = performance.now();
    const m = await runMatrix({
      cells,
      out,
      jobs: p.jobs,
      accel: 'tcg',
      signal,
      onEvent: (_c, e) => {
        if (e.type === 'vm-start') announce(e.dir);
      },
    });
    const wallMs = performance.now() - t0;
    const failures: string[] = [];
    for (const c of m.cells.filter((x) => x.status !== 'completed')) {
      const r = JSON.parse(await readFile(join(out, c.report), 'utf8').catch(() => '{}')) as { fault?: { kind: string; message: string; step?: string } };
      failures.push(`${c.id}: ${r.fault ? `${r.fault.kind} in ${r.fault.step ?? '-'}: ${r.fault.message}` : c.status}`);
    }
    return { wallMs, cells: m.totals.cells, completed: m.totals.completed, probes: m.totals.probes, failures };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
