// Baseline: a bare boot to poweroff of the lab's kernel and image, through
// the lab's own modules — Vm.launch with the per-run archive, wait for init's
// "ready" on the console, QMP `quit` — and nothing else: no SSH, no
// observation, no probes. resolveKernel + buildGuestImage (cached) are
// timed apart, as prepareMs.
import { access, constants } from 'node:fs/promises';
import { QmpClient } from '../src/qmp/client.js';
import { pollUntil } from '../src/util/wait.js';
import { competitorMain, announce } from './competitor.js';
import { bootGuest } from './guest.js';

export interface BareParams {
  kernel: string;
}

export interface BareResult {
  prepareMs: number;
  resolveMs: number;
  launchToReadyMs: number;
  readyToExitMs: number;
  /** Vm.launch until QEMU exited. */
  totalMs: number;
  exit: { code: number | null; signal: string | null };
}

competitorMain<BareParams, BareResult>(async (p, signal) => {
  const g = await bootGuest({ kernel: p.kernel, signal, onLaunch: announce });
  try {
    const tReady = performance.now();
    await pollUntil('QMP socket', () => access(g.vm.paths.qmpSocket, constants.F_OK).then(() => true, () => undefined), {
      timeoutMs: 10_000, intervalMs: 20, signal, check: () => g.vm.checkAlive(),
    });
    const qmp = await QmpClient.connect(g.vm.paths.qmpSocket, { signal });
    // QEMU may close the socket before or after it answers `quit`.
    await qmp.execute('quit').catch(() => undefined);
    qmp.close();
    const exit = await g.vm.exited;
    const tExit = performance.now();
    return {
      prepareMs: g.prepareMs,
      resolveMs: g.resolveMs,
      launchToReadyMs: g.launchToReadyMs,
      readyToExitMs: tExit - tReady,
      totalMs: tExit - g.launchedAt,
      exit,
    };
  } finally {
    await g.dispose();
  }
});
