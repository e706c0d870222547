// Replays a recorded events.jsonl into the live views, at the pace it was
// recorded (slowed down by --slow), to look at them on a real terminal
// without booting a guest. Not part of the product or of the test suite.
//
//   npx tsc --outDir node_modules/.cache/replay-live --rootDir . --module nodenext \
//     --moduleResolution nodenext --target es2022 --strict --skipLibCheck --types node test/manual/replay-live.ts
//   node node_modules/.cache/replay-live/test/manual/replay-live.js [--matrix N] [--slow X] [FILE]
//
// FILE defaults to test/fixtures/events/6.1-lifecycle.jsonl. --matrix N
// replays it as N matrix cells started 1 s apart (the matrix view);
// without it, as one `run` (the run view).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { LiveView } from '../../src/cli/live.js';
import { RunView } from '../../src/cli/run-view.js';
import type { RunEvent } from '../../src/format/events.js';
import type { Cell } from '../../src/matrix/cells.js';
import type { CellResult } from '../../src/matrix/summary.js';

type Stamped = RunEvent & { t: number };

const { values, positionals } = parseArgs({
  options: { matrix: { type: 'string' }, slow: { type: 'string', default: '1' } },
  allowPositionals: true,
});
const file = positionals[0] ?? 'test/fixtures/events/6.1-lifecycle.jsonl';
const slow = Number(values.slow);
const events: Stamped[] = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** Calls `on` with each event at its recorded time (times `slow`) after `delayMs`. */
async function replay(delayMs: number, on: (e: Stamped) => void): Promise<void> {
  const t0 = Date.now() + delayMs;
  for (const e of events) {
    const wait = t0 + e.t * slow - Date.now();
    if (wait > 0) await sleep(wait);
    on(e);
  }
}

function result(cell: Cell, ms: number): CellResult {
  const verdicts = events.flatMap((e) => (e.type === 'probe' ? [e.probe.verdict] : []));
  const end = events.find((e) => e.type === 'run-end');
  return {
    ...cell,
    status: end?.type === 'run-end' ? end.status : 'interrupted',
    probes: verdicts.length,
    matches: verdicts.filter((v) => v === 'match').length,
    mismatches: verdicts.filter((v) => v === 'mismatch').length,
    violations: verdicts.filter((v) => v === 'violation').length,
    checkMismatches: 0,
    safety: {},
    durationMs: ms,
    report: '',
  };
}

if (values.matrix) {
  const kernels = ['debian_bookworm', 'debian_newest', 'debian_bookworm@6.12', 'debian_bullseye'];
  const cells: Cell[] = Array.from({ length: Number(values.matrix) }, (_, i) => ({
    id: `${kernels[i % kernels.length]}__${i < kernels.length ? 'default' : 'iomem_relaxed'}__lifecycle`,
    kernel: kernels[i % kernels.length],
    cmdline: i < kernels.length ? '' : 'iomem=relaxed',
    scenario: 'lifecycle',
    index: i,
  }));
  const view = new LiveView(cells);
  await Promise.all(
    cells.map(async (c, i) => {
      const start = Date.now();
      await replay(i * 1000, (e) => view.event(c, e));
      view.done(result(c, Date.now() - start - i * 1000), false);
    }),
  );
  view.close();
} else {
  const view = new RunView();
  await replay(0, (e) => view.event(e));
  view.close();
}
