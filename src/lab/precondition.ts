// A step whose action failed in a way that makes the rest of the scenario
// meaningless ends the run at once, saying why, instead of letting the next
// step wait out its timeout (a resize with no driver bound waits for a size
// change that never comes).
import type { StepReport } from '../format/types.js';
import type { ScenarioStep } from './scenario.js';
import { LabError } from '../util/errors.js';

/** Actions that need the virtio-mem driver bound to do anything. */
const NEEDS_DRIVER = new Set(['resize', 'host-pattern']);

/**
 * The error that ends the run after `step`, or undefined to go on: a
 * `modprobe virtio_mem` that left the driver unbound while a later step
 * needs it (before any later modprobe could bind it again).
 */
export function driverPrecondition(step: ScenarioStep, done: StepReport, later: ScenarioStep[]): LabError | undefined {
  const a = step.action;
  if (a.kind !== 'modprobe' || a.module !== 'virtio_mem' || done.observations.virtioMemBound) return undefined;
  const reload = later.findIndex((s) => s.action.kind === 'modprobe');
  const blocked = (reload < 0 ? later : later.slice(0, reload)).filter((s) => NEEDS_DRIVER.has(s.action.kind));
  if (blocked.length === 0) return undefined;
  const act = done.observations.action as { exitCode?: number | null; stderr?: string };
  const stderr = act.stderr?.trim() ?? '';
  const refused = done.checks?.find((c) => c.rule === 'R-MODULE-LOCKDOWN');
  return new LabError('E_DRIVER_NOT_LOADED', 'run', `modprobe virtio_mem failed (exit ${act.exitCode ?? '?'}${stderr ? `: ${stderr}` : ''}); the driver is not bound, so ${blocked.map((s) => s.name).join(', ')} cannot run`, {
    hint: refused
      ? `${refused.rule}: ${refused.message.split(';')[0]}; sign the modules, or run without lockdown=`
      : 'the step\'s dmesg lines in report.json say why the driver did not load',
    context: { step: step.name, exitCode: act.exitCode, stderr, dmesg: done.observations.dmesg.slice(-20) },
  });
}
