// The trial table: what `npm run bench -- <name>` runs. Each trial
// interleaves its competitors in rounds, every competitor in a fresh
// process, and reports ratios against the baseline measured beside it.
import { runLifecycleTrial } from './trial-lifecycle.js';
import { runProbesTrial } from './trial-probes.js';
import { runQmpTrial } from './trial-qmp.js';
import { runShmTrial } from './trial-shm.js';
import { runMatrixTrial } from './trial-matrix.js';
import { runMatrixRestoreTrial } from './trial-matrix-restore.js';
import { runExploreTrial } from './trial-explore.js';
import type { Trial } from './types.js';

export const TRIALS: readonly Trial[] = [
  {
    name: 'qmp',
    title: 'QMP round trip (query-status, qom-get, qom-set): native client vs plain net.Socket client vs minimal C client (and the bare native transport), one busy TCG guest',
    rounds: 5,
    run: runQmpTrial,
  },
  {
    name: 'shm',
    title: 'Host scan of the shared backend: extents of a sparse 16 GiB file, all-zero test of 256 MiB; ShmBackend vs Node fs vs C floors',
    rounds: 5,
    run: runShmTrial,
  },
  {
    name: 'lifecycle',
    title: 'Lifecycle run wall time vs bare boot-to-poweroff + plug/unplug; time to first probe; per-step times',
    rounds: 3,
    run: runLifecycleTrial,
  },
  {
    name: 'probes',
    title: 'Probes per second by op: the lab path (runProbes over SSH) vs the agent alone in the guest',
    rounds: 3,
    run: runProbesTrial,
  },
  {
    name: 'matrix',
    title: 'Matrix throughput: the same four lifecycle cells with --jobs 1 and --jobs 2, every guest booted',
    rounds: 2,
    run: runMatrixTrial,
  },
  {
    name: 'matrix-restore',
    title: 'The 40-cell matrix (2 kernels × 5 command lines × 4 scenarios, --jobs 2): every guest booted (--fresh-boot) vs restored from saved guests',
    rounds: 1,
    run: runMatrixRestoreTrial,
  },
  {
    name: 'explore',
    title: 'Explore throughput: the same seeded sequences, every guest restored from the saved post-boot state vs booted (--fresh-boot)',
    rounds: 2,
    run: runExploreTrial,
  },
];

export function findTrial(name: string): Trial | undefined {
  return TRIALS.find((t) => t.name === name);
}
