// What a scenario action is to the lab: its schema in scenario files, its
// words in reports, the device offsets it names (checked against the
// machine before anything boots), and what it does. Each action is one file
// in this folder exporting an ActionDef; index.ts lists them.
import type { z } from 'zod';
import { parseIomem } from '../../guest/iomem.js';
import { readSections } from '../../guest/observe.js';
import type { ProbeRecord, ProbeSpec } from '../../probe/types.js';
import { LabError } from '../../util/errors.js';
import type { RunContext, StepHistory } from '../context.js';
import type { Held } from '../held.js';
import { firstMmioHole } from '../held-target.js';
import { deviceInfo, type DeviceInfo } from '../hostview.js';

/** What an action leaves for the rest of its step. */
export interface ActionDone<R extends { kind: string } = { kind: string }> {
  /** Its typed record for the step's observations. */
  record: R;
  /** hold-* and O_SYNC records of a hold. */
  held: { rec: ProbeRecord; spec: ProbeSpec }[];
  /** The scenario's own access. */
  access?: { rec: ProbeRecord; spec: ProbeSpec; withoutRawio: boolean };
  /** The held and released mappings after the action. */
  holding: Held[];
  released: Held[];
}

/** The device's size and block size, as scenarios are checked against them. */
export interface DeviceShape {
  sizeMiB: number;
  blockSizeMiB: number;
}

export interface ActionDef<S extends z.ZodObject<{ kind: z.ZodLiteral<string> }> = z.ZodObject<{ kind: z.ZodLiteral<string> }>, R extends { kind: string } = { kind: string }> {
  /** The action's JSON in scenario files: a strict object with its `kind`. */
  schema: S;
  /** The action in a report's words. */
  describe: (a: z.infer<S>) => string;
  /** Offsets into the device region it names (each must lie inside the device). */
  deviceOffsets?: (a: z.infer<S>) => number[];
  /** Anything else it needs of the device: what is wrong and what to write instead. */
  misfit?: (a: z.infer<S>, dev: DeviceShape) => { message: string; hint: string } | undefined;
  /**
   * It can claim and release a resource within the step (a driver probe that
   * fails after pci_request_region()), which no /proc/iomem snapshot shows:
   * held mappings inside PCI resources then become unknown to the model.
   */
  opaque?: (a: z.infer<S>) => boolean;
  /** Does it; `say` adds a line to the run's events. */
  run: (ctx: RunContext, hist: StepHistory, a: z.infer<S>, say: (detail: string) => void) => Promise<ActionDone<R>>;
}

/** Keeps an action's types (its schema's and its record's) for index.ts. */
export const defineAction = <S extends z.ZodObject<{ kind: z.ZodLiteral<string> }>, R extends { kind: string }>(def: ActionDef<S, R>): ActionDef<S, R> => def;

/** An action's result when it changes no held mapping. */
export const recorded = <R extends { kind: string }>(hist: StepHistory, record: R, more: Partial<ActionDone<R>> = {}): ActionDone<R> => ({
  record,
  held: [],
  holding: hist.held,
  released: hist.released,
  ...more,
});

export async function guestIomem(ctx: RunContext) {
  return parseIomem((await readSections(ctx.ch, { iomem: 'cat /proc/iomem' }, ctx.t.observe)).iomem);
}

export async function mmioHole(ctx: RunContext): Promise<number> {
  const at = firstMmioHole(await guestIomem(ctx));
  if (at === undefined) throw new LabError('E_NO_MMIO_HOLE', 'run', 'no unclaimed page in a PCI window');
  return at;
}

export async function device(ctx: RunContext): Promise<DeviceInfo> {
  const dev = deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices'));
  if (!dev) throw new LabError('E_NO_DEVICE', 'run', 'the machine has no virtio-mem device');
  return dev;
}
