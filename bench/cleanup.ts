// Structural cleanup for the driver: everything that must not outlive a
// benchmark run (QEMU processes it started, private /dev/shm directories,
// temp dirs with compiled floors) is registered here as soon as it exists,
// undone in reverse order at the end, and also on SIGINT/SIGTERM.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';

type Action = { name: string; run: () => Promise<void> | void };

export class Cleanup {
  #actions: Action[] = [];
  #running: Promise<void> | undefined;

  /** Registers an action; the returned function unregisters it (after doing it yourself). */
  add(name: string, run: () => Promise<void> | void): () => void {
    const action = { name, run };
    this.#actions.push(action);
    return () => {
      this.#actions = this.#actions.filter((a) => a !== action);
    };
  }

  /**
   * Runs every action, newest first; one failing does not stop the rest.
   * A call while a run is in flight waits for that run (and then any
   * actions added meanwhile).
   */
  async runAll(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<void> {
    while (this.#running) await this.#running;
    const actions = this.#actions.reverse();
    this.#actions = [];
    this.#running = (async () => {
      for (const a of actions) {
        try {
          await a.run();
        } catch (e) {
          log(`cleanup ${a.name}: ${(e as Error).message}`);
        }
      }
    })();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
  }
}

/**
 * PIDs of live QEMU processes whose command line mentions `marker`: used
 * with the unique private directory of a QEMU a child started, so only that
 * QEMU can match, never someone else's.
 */
export function qemuProcessesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/comm`, 'utf8').startsWith('qemu-system')) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(marker))) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** TERM, then KILL after graceMs, for the given pids (ours). */
export async function terminate(pids: number[], graceMs = 2000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Removes what a child announced and may have left behind if it died
 * abruptly: any QEMU still running from its private directory, then the
 * directory itself (the lab may already have removed it, see
 * Vm.detachFiles).
 */
export async function reclaim(dir: string): Promise<{ killed: number[]; removed: boolean }> {
  const killed = qemuProcessesMentioning(dir);
  if (killed.length > 0) await terminate(killed);
  const removed = existsSync(dir);
  if (removed) rmSync(dir, { recursive: true, force: true });
  return { killed, removed };
}
