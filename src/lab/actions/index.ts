// The scenario actions the lab knows. A new action is a file in this folder
// exporting an ActionDef (action.ts) and its name in ACTIONS: scenario files
// accept it, reports describe it, scenarios are checked against the device
// with it, and the step pipeline runs it.
import { z } from 'zod';
import { inputError } from '../../util/errors.js';
import type { RunContext, StepHistory } from '../context.js';
import { access } from './access.js';
import type { ActionDef, ActionDone, DeviceShape } from './action.js';
import { boot } from './boot.js';
import { guestCommand } from './guest-command.js';
import { hold } from './hold.js';
import { hostPattern } from './host-pattern.js';
import { modprobe, rmmod } from './module.js';
import { release } from './release.js';
import { resize } from './resize.js';

export const ACTIONS = [boot, modprobe, rmmod, resize, access, guestCommand, hostPattern, hold, release] as const;

type Def = (typeof ACTIONS)[number];
/** A scenario step's action, as its file gives it. */
export type StepAction = z.infer<Def['schema']>;
/** What each kind of action records in the step's observations. */
export type ActionRecord = Awaited<ReturnType<Def['run']>>['record'];
export type { ActionDone, DeviceShape };

const byKind = new Map<string, ActionDef>(ACTIONS.map((d) => [d.schema.shape.kind.value, d as unknown as ActionDef]));
const def = (a: StepAction): ActionDef => byKind.get(a.kind)!;

/** The schema of one action in a scenario file. */
export const actionSchema = z.discriminatedUnion('kind', ACTIONS.map((d) => d.schema) as unknown as [Def['schema'], ...Def['schema'][]]);

export const describeAction = (a: StepAction): string => def(a).describe(a);

/** Whether the action may claim and release resources unseen between two snapshots (ActionDef.opaque). */
export const actionOpaque = (a: StepAction): boolean => def(a).opaque?.(a) ?? false;

export function runAction(ctx: RunContext, hist: StepHistory, name: string, a: StepAction): Promise<ActionDone<ActionRecord>> {
  const say = (detail: string) => ctx.events.emit({ type: 'step-action', step: name, detail });
  return def(a).run(ctx, hist, a, say) as Promise<ActionDone<ActionRecord>>;
}

/** The record as the report stores it (observations.action, without the kind). */
export function actionObservation(r: ActionRecord): Record<string, unknown> {
  const { kind: _kind, ...rest } = r;
  return rest;
}

/**
 * Checks a scenario's actions against the device they will run on (sizes in
 * whole blocks that fit, offsets inside it): bad input, caught before
 * anything boots.
 */
export function checkActionsFit(steps: { name: string; action: StepAction }[], dev: DeviceShape): void {
  for (const { name, action: a } of steps) {
    const d = def(a);
    const bad = d.misfit?.(a, dev);
    if (bad) throw inputError('E_SCENARIO_SIZE', `step ${name}: ${bad.message}`, bad.hint);
    for (const off of d.deviceOffsets?.(a) ?? []) {
      if (off >= dev.sizeMiB) throw inputError('E_SCENARIO_SIZE', `step ${name}: device offset ${off} MiB is beyond the ${dev.sizeMiB} MiB device`, `use an offset below ${dev.sizeMiB}`);
    }
  }
}
