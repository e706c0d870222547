// One explore run: explore() with a fixed seed and number of sequences,
// each sequence's guest restored from the saved post-boot state or, with
// freshBoot, booted; timed from the call to its return.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explore } from '../src/explore/run.js';
import { loadProfile } from '../src/vm/profile.js';
import { announce, competitorMain } from './competitor.js';

export interface ExploreParams {
  kernel: string;
  seed: number;
  runs: number;
  freshBoot: boolean;
}

export interface ExploreResult {
  wallMs: number;
  sequences: number;
  /** Sequences whose run did not complete. */
  failed: number;
  findings: number;
}

competitorMain<ExploreParams, ExploreResult>(async (p, signal) => {
  const out = await mkdtemp(join(tmpdir(), 'devmem-lab-bench-explore-'));
  try {
    const profile = await loadProfile('default');
    const t0 = performance.now();
    const r = await explore({
      kernel: p.kernel, seed: p.seed, runs: p.runs, shrinkMs: 1, maxCommands: 8, cmdline: [], accel: 'tcg', freshBoot: p.freshBoot,
      profile: 'default', device: profile.virtioMem, out, signal, say: () => {},
      onEvent: (e) => {
        if (e.type === 'vm-start') announce(e.dir);
      },
    });
    const wallMs = performance.now() - t0;
    return { wallMs, sequences: r.sequences.length, failed: r.sequences.filter((s) => s.status !== 'completed').length, findings: r.findings.length };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
