// Renders the run's event stream for a person: one line per milestone.
// The library never prints; only cli/ does.
import type { RunEvent } from '../format/events.js';

export function renderEvent(e: RunEvent & { t: number }, out: (s: string) => void, verbose = false): void {
  const ts = `${(e.t / 1000).toFixed(1).padStart(6)}s`;
  switch (e.type) {
    case 'run-start':
      return out(`${ts} run ${e.runId}: kernel ${e.kernel}, scenario ${e.scenario}, out ${e.out}`);
    case 'progress':
      return out(`${ts} ${e.message}`);
    case 'vm-start':
      return out(`${ts} QEMU started (${e.accel}), SSH on 127.0.0.1:${e.sshPort}`);
    case 'guest-ready':
      return out(`${ts} guest ready after ${e.ms} ms`);
    case 'step-start':
      return out(`${ts} [${e.index + 1}/${e.total}] ${e.step}`);
    case 'step-action':
      return out(`${ts}       ${e.detail}`);
    case 'step-end':
      return out(`${ts}       ${e.probes} probes in ${e.ms} ms`);
    case 'console':
      if (verbose || /devmem-lab-init:|Kernel panic|BUG:|WARNING:|Oops/.test(e.line)) out(`${ts}   console: ${e.line}`);
      return;
    case 'probes-planned':
    case 'probe':
      return;
    case 'run-end':
      return out(`${ts} run ${e.status} in ${(e.ms / 1000).toFixed(1)} s${e.error ? `: ${e.error}` : ''}`);
  }
}
