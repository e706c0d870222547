// Trial "matrix-restore": the 40-cell matrix (2 kernels × 5 command lines ×
// 4 scenarios) with --jobs 2, every guest booted (--fresh-boot, the lab
// before saved guests) against the same cells restored from saved guests
// (one saved state per kernel and command line, saved by a warm-up run
// that is not timed). Rounds alternate which goes first; throughput is
// cells per minute.
import { nodeChild, runChild } from './child.js';
import type { MatrixParams, MatrixResult } from './matrix-run.js';
import { addRatio, goal, rateRow, timeRow } from './rows.js';
import type { Row, TrialContext, TrialOutcome } from './types.js';

export const MATRIX_RESTORE_GOAL = 2.5;
const KERNELS = ['debian:bookworm', 'debian:newest'];
const CMDLINES = ['', 'iomem=relaxed', 'iomem=strict', 'lockdown=integrity', 'nokaslr'];
const SCENARIOS = ['lifecycle', 'revoke', 'capabilities', 'unclean-unload'];

type Side = 'booted' | 'restored';

export async function runMatrixRestoreTrial(ctx: TrialContext): Promise<TrialOutcome> {
  // --quick: 1 kernel × 2 command lines × 2 scenarios.
  const params = (freshBoot: boolean): MatrixParams => ({
    kernels: ctx.quick ? [ctx.kernel] : KERNELS,
    cmdlines: ctx.quick ? CMDLINES.slice(0, 2) : CMDLINES,
    scenarios: ctx.quick ? SCENARIOS.slice(0, 2) : SCENARIOS,
    jobs: 2,
    freshBoot,
  });
  const run = async (label: string, p: MatrixParams): Promise<MatrixResult> => {
    const m = await runChild<MatrixResult>(nodeChild(`matrix ${label}`, 'matrix-run.js', p, 3_600_000), ctx.cleanup);
    if (m.completed !== m.cells) throw new Error(`matrix ${label}: ${m.completed} of ${m.cells} cells completed: ${m.failures.join('; ')}`);
    ctx.log(`matrix-restore: ${label} ${m.cells} cells in ${(m.wallMs / 1000).toFixed(1)} s (${JSON.stringify(m.origins)})`);
    return m;
  };
  // Saves every (kernel, command line) state the restored side needs.
  const warm = await run('warm-up (saves guests)', params(false));
  const res: Record<Side, MatrixResult[]> = { booted: [], restored: [] };
  for (let r = 0; r < ctx.rounds; r++) {
    const order: Side[] = r % 2 === 0 ? ['booted', 'restored'] : ['restored', 'booted'];
    for (const side of order) {
      ctx.signal.throwIfAborted();
      res[side].push(await run(`${side} round ${r + 1}/${ctx.rounds}`, params(side === 'booted')));
    }
  }
  const N = 'matrix-restore';
  const wall = (s: Side) => timeRow(N, s, 'matrix wall time', 'ms', res[s].map((m) => m.wallMs));
  const cpm = (s: Side) => rateRow(N, s, 'cells per minute', 'cells/min', res[s].map((m) => (m.cells * 60_000) / m.wallMs));
  const wb = wall('booted');
  const wr = addRatio(wall('restored'), wb);
  const cb = cpm('booted');
  const cr = addRatio(cpm('restored'), cb);
  const rows: Row[] = [wb, wr, cb, cr];
  const restoredCells = res.restored.reduce((n, m) => n + (m.origins.restored ?? 0), 0);
  const allCells = res.restored.reduce((n, m) => n + m.cells, 0);
  return {
    rows,
    goals: [goal(N, 'restored cells/min p50 / booted (--fresh-boot) cells/min p50, --jobs 2', cr.ratioTo!.booted.p50, MATRIX_RESTORE_GOAL, true)],
    notes: [
      `${res.booted[0]?.cells ?? 0} cells (kernels ${JSON.stringify(params(true).kernels)}, command lines ${JSON.stringify(params(true).cmdlines)}, scenarios ${JSON.stringify(params(true).scenarios)}), --jobs 2, ${ctx.rounds} rounds after an untimed warm-up (${JSON.stringify(warm.origins)})`,
      `${restoredCells} of ${allCells} restored-side cells ran from a saved guest; the booted side's origins: ${JSON.stringify(res.booted.map((m) => m.origins))}`,
    ],
  };
}
