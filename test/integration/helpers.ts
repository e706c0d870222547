// Shared by the integration tests: one lab run on a real guest into a
// scratch directory, the way `devmem-lab run` calls it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab, type RunOptions } from '../../src/lab/run.js';
import { EventLog, type RunEvent } from '../../src/format/events.js';
import type { Report } from '../../src/format/types.js';
import { resolveScenario } from '../../src/scenario/file.js';
import type { Scenario } from '../../src/lab/scenario.js';

const dirs: string[] = [];

/** A scratch directory removed by removeScratch(). */
export function scratch(prefix = 'devmem-lab-it-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function removeScratch(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface LabRun {
  report: Report;
  out: string;
  /** QEMU's pid and its private /dev/shm directory, from the vm-start event. */
  pid: number;
  dir: string;
}

/** Runs a scenario (name or object) on a kernel; `onEvent` sees every event (fault injection). */
export async function labRun(
  scenario: string | Scenario,
  opts: { kernel?: string; extraCmdline?: string[]; onEvent?: (e: RunEvent, qemuPid: number) => void } & Partial<Pick<RunOptions, 'timeouts' | 'kernelOptions' | 'freshBoot' | 'profile'>> = {},
): Promise<LabRun> {
  const s = typeof scenario === 'string' ? await resolveScenario(scenario) : scenario;
  const out = scratch();
  const events = new EventLog(join(out, 'events.jsonl'));
  let pid = -1;
  let dir = '';
  events.on((e) => {
    if (e.type === 'vm-start') ({ pid, dir } = e);
    opts.onEvent?.(e, pid);
  });
  try {
    const report = await runLab({
      kernel: opts.kernel ?? 'debian:bookworm',
      scenario: s,
      out,
      accel: 'tcg',
      events,
      extraCmdline: [...(s.cmdline ?? []), ...(opts.extraCmdline ?? [])],
      timeouts: opts.timeouts,
      kernelOptions: opts.kernelOptions,
      freshBoot: opts.freshBoot,
      profile: opts.profile,
    });
    return { report, out, pid, dir };
  } finally {
    events.close();
  }
}

/** QEMU processes that are children of this test process. */
export function qemuChildren(): string {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'qemu-system'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
