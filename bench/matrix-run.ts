// One matrix run: runMatrix() on fixed cells with a given --jobs, booted
// (--fresh-boot) or from saved guests, into a scratch directory, timed from
// the call to its return; how each cell's guest came up is counted from
// its report.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrixCells } from '../src/matrix/cells.js';
import { runMatrix } from '../src/matrix/run.js';
import { announce, competitorMain } from './competitor.js';

export interface MatrixParams {
  kernels: string[];
  cmdlines: string[];
  scenarios: string[];
  jobs: number;
  freshBoot?: boolean;
}

export interface MatrixResult {
  wallMs: number;
  cells: number;
  completed: number;
  probes: number;
  /** Cells that did not complete, with why. */
  failures: string[];
  /** Cells by how their guest came up (environment.origin.mode: booted, restored, booted-and-saved…). */
  origins: Record<string, number>;
}

competitorMain<MatrixParams, MatrixResult>(async (p, signal) => {
  const out = await mkdtemp(join(tmpdir(), 'devmem-lab-bench-matrix-'));
  try {
    const cells = matrixCells(p.kernels, p.cmdlines, p.scenarios);
    const t0 = performance.now();
    const m = await runMatrix({
      cells,
      out,
      jobs: p.jobs,
      accel: 'tcg',
      freshBoot: p.freshBoot,
      signal,
      onEvent: (_c, e) => {
        if (e.type === 'vm-start') announce(e.dir);
      },
    });
    const wallMs = performance.now() - t0;
    const failures: string[] = [];
    const origins: Record<string, number> = {};
    for (const c of m.cells) {
      const r = JSON.parse(await readFile(join(out, c.report), 'utf8').catch(() => '{}')) as { fault?: { kind: string; message: string; step?: string }; environment?: { origin?: { mode: string } } };
      const mode = r.environment?.origin?.mode ?? 'unknown';
      origins[mode] = (origins[mode] ?? 0) + 1;
      if (c.status !== 'completed') failures.push(`${c.id}: ${r.fault ? `${r.fault.kind} in ${r.fault.step ?? '-'}: ${r.fault.message}` : c.status}`);
    }
    return { wallMs, cells: m.totals.cells, completed: m.totals.completed, probes: m.totals.probes, failures, origins };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
