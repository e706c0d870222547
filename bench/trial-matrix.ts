// Trial "matrix": the same four lifecycle cells run with --jobs 1 and with
// --jobs 2, every guest booted (--fresh-boot: the parallel cost of booting
// is what is measured), alternating which goes first each round;
// throughput is cells per minute, and the ratio says what a second guest
// buys on this machine.
import { nodeChild, runChild } from './child.js';
import type { MatrixParams, MatrixResult } from './matrix-run.js';
import { addRatio, rateRow, timeRow } from './rows.js';
import type { Row, TrialContext, TrialOutcome } from './types.js';

const CMDLINES = ['', 'iomem=relaxed', 'iomem=strict', 'lockdown=integrity'];

export async function runMatrixTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const res: Record<'jobs1' | 'jobs2', MatrixResult[]> = { jobs1: [], jobs2: [] };
  for (let r = 0; r < ctx.rounds; r++) {
    const order = r % 2 === 0 ? (['jobs1', 'jobs2'] as const) : (['jobs2', 'jobs1'] as const);
    for (const c of order) {
      ctx.signal.throwIfAborted();
      const p: MatrixParams = { kernels: [ctx.kernel], cmdlines: ctx.quick ? CMDLINES.slice(0, 2) : CMDLINES, scenarios: ['lifecycle'], jobs: c === 'jobs1' ? 1 : 2, freshBoot: true };
      const m = await runChild<MatrixResult>(nodeChild(`matrix ${c}`, 'matrix-run.js', p, 900_000), ctx.cleanup);
      if (m.completed !== m.cells) throw new Error(`matrix ${c}: ${m.completed} of ${m.cells} cells completed: ${m.failures.join('; ')}`);
      res[c].push(m);
      ctx.log(`matrix: round ${r + 1}/${ctx.rounds} ${c} done in ${(m.wallMs / 1000).toFixed(1)} s`);
    }
  }
  const N = 'matrix';
  const wall = (c: 'jobs1' | 'jobs2') => timeRow(N, c, 'matrix wall time', 'ms', res[c].map((m) => m.wallMs));
  const cellsPerMin = (c: 'jobs1' | 'jobs2') => rateRow(N, c, 'cells per minute', 'cells/min', res[c].map((m) => (m.cells * 60_000) / m.wallMs));
  const w1 = wall('jobs1');
  const w2 = addRatio(wall('jobs2'), w1);
  const t1 = cellsPerMin('jobs1');
  const t2 = addRatio(cellsPerMin('jobs2'), t1);
  const rows: Row[] = [w1, w2, t1, t2];
  return {
    rows,
    goals: [],
    notes: [`matrix: ${res.jobs1[0]?.cells ?? 0} lifecycle cells (${ctx.kernel}, command lines ${JSON.stringify(ctx.quick ? CMDLINES.slice(0, 2) : CMDLINES)}), ${ctx.rounds} rounds; each run in a fresh process and a fresh output directory`],
  };
}
