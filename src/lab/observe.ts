// After a step's action: wait for /proc/iomem to settle, then read what the
// model needs — iomem, the dmesg delta, the driver's state, QMP's view of
// the device, the end of high_memory and the PAT memtype list — into one
// value, and the model's StepState built from it.
import { parseIomem, type IomemNode } from '../guest/iomem.js';
import { dmesgDelta, parseMemtypesAnswer, PAT_MEMTYPES_COMMAND, readGuestState, readSections } from '../guest/observe.js';
import type { MemtypeEntry, StepState } from '../model/index.js';
import { highmemCommand, parseHighmemAnswer } from '../probe/run-agent.js';
import { mergeRanges, MTREE_COMMAND, parseFlatView } from '../qmp/mtree.js';
import { hex } from '../probe/types.js';
import { pollUntil } from '../util/wait.js';
import type { RunContext, StepHistory } from './context.js';
import { deviceInfo, type DeviceInfo } from './hostview.js';
import { stepState } from './judge.js';

export interface Observation {
  /** /proc/iomem as the guest printed it, and parsed. */
  iomemText: string;
  iomem: IomemNode[];
  /** The whole dmesg now, and the lines since the previous step. */
  dmesg: string[];
  dmesgDelta: string[];
  virtioMemBound: boolean;
  virtioMemLoaded: boolean;
  memoryDevices: unknown[];
  /** First address a 1-byte pread answers EFAULT at; undefined when /dev/mem cannot be opened. */
  highMemoryEnd: number | undefined;
  device: DeviceInfo | undefined;
  memtypes: { text: string; entries: MemtypeEntry[] } | undefined;
  /** The model's view of this step, before the lab's own mappings are added. */
  state: StepState;
}

export async function observe(ctx: RunContext, hist: StepHistory): Promise<Observation> {
  const iomemText = await settleIomem(ctx);
  const g = await readGuestState(ctx.ch, { timeoutMs: ctx.t.observe, extra: observationExtras(ctx) });
  const memoryDevices = await ctx.qmp.execute<unknown[]>('query-memory-devices');
  // arm64: which addresses the machine backs (an access elsewhere is an external abort).
  // An answer the lab cannot read leaves it unknown, never "nothing is backed".
  const flat = ctx.facts.arch === 'arm64' ? parseFlatView(await ctx.qmp.execute<string>('human-monitor-command', MTREE_COMMAND)) : [];
  const backed = flat.length > 0 ? mergeRanges(flat) : undefined;
  const highMemoryEnd = g.extra.highmem === undefined ? undefined : parseHighmemAnswer(g.extra.highmem);
  const iomem = parseIomem(iomemText);
  const device = deviceInfo(memoryDevices);
  const memtypes = parseMemtypesAnswer(g.extra.memtypes);
  const state = stepState({
    memtypes: memtypes?.entries,
    iomem,
    // Unknown when /dev/mem cannot be opened: every probe then fails at
    // open (R-OPEN-*) before any range check, so the value is never used.
    highMemoryEnd: highMemoryEnd ?? Number.NaN,
    lockdown: ctx.boot.lockdown,
    device,
    bound: g.virtioMemBound,
    memoryBlockSize: ctx.boot.memoryBlockSize,
    backed,
  });
  return {
    iomemText,
    iomem,
    dmesg: g.dmesg,
    dmesgDelta: dmesgDelta(hist.dmesg, g.dmesg),
    virtioMemBound: g.virtioMemBound,
    virtioMemLoaded: g.virtioMemLoaded,
    memoryDevices,
    highMemoryEnd,
    device,
    memtypes,
    state,
  };
}

/**
 * The extra reads of a step's observation exec: the PAT memtype list, and
 * on x86 the end of high_memory (the agent's search for the first address
 * a 1-byte pread refuses: valid_phys_addr_range() compares with
 * high_memory). arm64's read range is memblock membership, which has no one
 * end to search for: the model predicts memblock from the iomem tree.
 */
function observationExtras(ctx: RunContext): Record<string, string> {
  if (ctx.facts.arch === 'arm64') return { memtypes: PAT_MEMTYPES_COMMAND };
  return { highmem: highmemCommand(ctx.facts.physBits), memtypes: PAT_MEMTYPES_COMMAND };
}

/** The report's observations of a step (the action's record is added by the step). */
export const reportObservations = (o: Observation, action: Record<string, unknown>) => ({
  iomem: o.iomemText,
  dmesg: o.dmesgDelta,
  memoryDevices: o.memoryDevices,
  virtioMemBound: o.virtioMemBound,
  virtioMemLoaded: o.virtioMemLoaded,
  highMemoryEnd: o.highMemoryEnd === undefined ? null : hex(o.highMemoryEnd),
  action,
  ...(o.memtypes ? { patMemtypes: o.memtypes.text } : {}),
  ...(o.state.backed ? { backed: o.state.backed.map((r) => `${hex(r.start)}-${hex(r.end)}`) } : {}),
});

/**
 * Waits until /proc/iomem reads the same twice in a row (hot-add and driver
 * binding finish after the device reports its size) and returns it.
 */
async function settleIomem(ctx: RunContext): Promise<string> {
  let prev: string | undefined;
  return pollUntil(
    'guest /proc/iomem to settle',
    async () => {
      const s = (await readSections(ctx.ch, { iomem: 'cat /proc/iomem' }, ctx.t.observe)).iomem;
      const same = s === prev;
      prev = s;
      return same ? s : undefined;
    },
    { timeoutMs: ctx.t.settle, intervalMs: 20, signal: ctx.signal, check: () => ctx.vm.checkAlive() },
  );
}
