// A step's action, before the lab settles and observes: module commands,
// resizes, the scenario's own access, held mappings and their release, the
// host's pattern, a guest command. Each returns one value: its typed record
// for the step's observations, the probe records the model judges once the
// state is known, and the held mappings as they stand after it.
import { parseIomem } from '../guest/iomem.js';
import { readSections } from '../guest/observe.js';
import { shq } from '../guest/ssh.js';
import { fnv1a64, writePattern } from '../probe/agent-protocol.js';
import { runProbes } from '../probe/run-agent.js';
import { hex, PAGE, type ProbeObserved, type ProbeRecord, type ProbeSpec } from '../probe/types.js';
import { resizeDevice, type ResizeRecord } from '../scenario/resize.js';
import type { ScenarioStep, StepAction } from '../scenario/types.js';
import { LabError } from '../util/errors.js';
import type { RunContext, StepHistory } from './context.js';
import { firstMmioHole, holdSpecs, releaseSpecs, resolveHeld, syncMapSpecs, type Held } from './held.js';
import { deviceInfo, type DeviceInfo } from './hostview.js';
import { ProbeIds } from './probe-ids.js';

/** What each kind of action records in the step's observations. */
export type ActionRecord =
  | { kind: 'none' }
  | { kind: 'module'; command: string; exitCode: number | null; stderr: string }
  | { kind: 'access'; access: ProbeRecord }
  | ({ kind: 'resize' } & ResizeRecord)
  | { kind: 'hold'; held: { name: string; addr: string; private: boolean; result: ProbeObserved }[] }
  | { kind: 'release'; released: { name: string; addr?: string; result?: ProbeObserved }[] }
  | { kind: 'host-pattern'; addr: string; backendOffset: string; hostFnv: string; guest: ProbeObserved; agree: boolean }
  | { kind: 'guest-command'; command: string; exitCode: number | null; stdout: string; stderr: string };

/** The record as the report stores it (observations.action, without the kind). */
export function actionObservation(r: ActionRecord): Record<string, unknown> {
  const { kind: _kind, ...rest } = r;
  return rest;
}

export interface ActionDone {
  record: ActionRecord;
  /** hold-* and O_SYNC records of a hold. */
  held: { rec: ProbeRecord; spec: ProbeSpec }[];
  /** The scenario's own access. */
  access?: { rec: ProbeRecord; spec: ProbeSpec; withoutRawio: boolean };
  /** The held and released mappings after the action. */
  holding: Held[];
  released: Held[];
}

export async function runAction(ctx: RunContext, hist: StepHistory, step: ScenarioStep): Promise<ActionDone> {
  const a = step.action;
  const say = (detail: string) => ctx.events.emit({ type: 'step-action', step: step.name, detail });
  const done = (record: ActionRecord, more: Partial<ActionDone> = {}): ActionDone => ({ record, held: [], holding: hist.held, released: hist.released, ...more });
  switch (a.kind) {
    case 'boot':
      return done({ kind: 'none' });
    case 'modprobe':
    case 'rmmod': {
      const r = await ctx.ch.exec(`${a.kind} ${shq(a.module)}`, { timeoutMs: ctx.t.module });
      say(`${a.kind} ${a.module}: exit ${r.code}${r.stderr.trim() ? ` (${r.stderr.trim()})` : ''}`);
      return done({ kind: 'module', command: `${a.kind} ${a.module}`, exitCode: r.code, stderr: r.stderr.trim() });
    }
    case 'resize': {
      const r = await resizeDevice(ctx.qmp, ctx.profile.virtioMem.id, a.sizeMiB * 1024 * 1024, { timeoutMs: ctx.t.resize, signal: ctx.signal, check: () => ctx.vm.checkAlive() });
      say(`size ${r.from} → ${r.reached} in ${r.ms} ms (${r.kicks} kicks)`);
      return done({ kind: 'resize', ...r });
    }
    case 'access': {
      const addr = a.addr !== undefined ? parseInt(a.addr, 16) : a.mmioHole ? await mmioHole(ctx) : (await device(ctx)).memaddr + (a.deviceOffsetMiB ?? 0) * 1024 * 1024;
      const spec: ProbeSpec = { id: 0, op: a.op, addr, len: PAGE, why: `scenario access${a.withoutRawio ? ' without CAP_SYS_RAWIO' : ''}` };
      const [r] = await runProbes(ctx.ch, [spec], { timeoutMs: ctx.t.probes, withoutRawio: a.withoutRawio });
      say(`${a.op} ${r.addr}: ${r.observed.result}${r.observed.errno ? ` ${r.observed.errno}` : ''}`);
      return done({ kind: 'access', access: r }, { access: { rec: r, spec, withoutRawio: !!a.withoutRawio } });
    }
    case 'hold':
      return hold(ctx, hist, a, say);
    case 'release': {
      const gone = hist.held.filter((h) => a.mappings.includes(h.name));
      const specs = releaseSpecs(gone, ProbeIds.HOLD_BASE, a.split);
      const recs = specs.length ? await (await ctx.agent()).run(specs, ctx.t.probes) : [];
      say(gone.map((h, i) => `${h.name} ${recs[i]?.addr}: ${recs[i]?.observed.result ?? 'not held'}`).join(', ') || 'nothing held by those names');
      return done(
        { kind: 'release', released: gone.map((h, i) => ({ name: h.name, addr: recs[i]?.addr, result: recs[i]?.observed })) },
        { holding: hist.held.filter((h) => !gone.includes(h)), released: [...hist.released, ...gone] },
      );
    }
    case 'host-pattern': {
      const r = await hostPattern(ctx, await device(ctx), a.deviceOffsetMiB);
      say(`host pattern at ${r.addr}: guest read ${r.agree ? 'the same bytes' : 'different bytes'}`);
      return done(r);
    }
    case 'guest-command': {
      // Runs in the guest's shell (the scenario author's command, as
      // written); nothing of it reaches a host shell.
      const r = await ctx.ch.exec(a.command, { timeoutMs: ctx.t.module });
      say(`${a.command}: exit ${r.code}`);
      return done({ kind: 'guest-command', command: a.command, exitCode: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) });
    }
  }
}

async function mmioHole(ctx: RunContext): Promise<number> {
  const at = firstMmioHole(parseIomem((await readSections(ctx.ch, { iomem: 'cat /proc/iomem' }, ctx.t.observe)).iomem));
  if (at === undefined) throw new LabError('E_NO_MMIO_HOLE', 'run', 'no unclaimed page in a PCI window');
  return at;
}

async function device(ctx: RunContext): Promise<DeviceInfo> {
  const dev = deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices'));
  if (!dev) throw new LabError('E_NO_DEVICE', 'run', 'the machine has no virtio-mem device');
  return dev;
}

/** Maps the pages in the long-lived agent, then each again on an O_SYNC fd while the hold keeps its reservation. */
async function hold(ctx: RunContext, hist: StepHistory, a: Extract<StepAction, { kind: 'hold' }>, say: (d: string) => void): Promise<ActionDone> {
  const now = parseIomem((await readSections(ctx.ch, { iomem: 'cat /proc/iomem' }, ctx.t.observe)).iomem);
  const held = resolveHeld(a.mappings, now, deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices')), hist.index);
  const agent = await ctx.agent();
  const specs = holdSpecs(held, ProbeIds.HOLD_BASE);
  const recs = await agent.run(specs, ctx.t.probes);
  const made = held.filter((_, i) => recs[i].observed.result === 'ok');
  // UC- over a WB reservation: R-MMAP-PAT.
  const sync = syncMapSpecs(made, ProbeIds.HOLD_BASE + specs.length);
  const syncRecs = sync.length ? await agent.run(sync, ctx.t.probes) : [];
  say(held.map((h, i) => `${h.name} ${recs[i].addr}: ${recs[i].observed.result}${recs[i].observed.errno ? ` ${recs[i].observed.errno}` : ''}`).join(', '));
  return {
    record: { kind: 'hold', held: held.map((h, i) => ({ name: h.name, addr: recs[i].addr, private: h.private, result: recs[i].observed })) },
    held: [...recs.map((rec, i) => ({ rec, spec: specs[i] })), ...syncRecs.map((rec, i) => ({ rec, spec: sync[i] }))],
    holding: [...hist.held, ...made],
    released: hist.released,
  };
}

/**
 * The cross-check between the host's and the guest's view of device memory:
 * the host writes a data pattern into a plugged block through the shared
 * backend (offset = guest physical address - memaddr), the guest reads that
 * page through /proc/kcore, and the FNV-1a of both must agree.
 */
async function hostPattern(ctx: RunContext, dev: DeviceInfo, offsetMiB: number): Promise<Extract<ActionRecord, { kind: 'host-pattern' }>> {
  const offset = offsetMiB * 1024 * 1024;
  if (offset + PAGE > dev.size) {
    // Writing an unplugged block would populate it: S4 would (rightly) flag the host.
    throw new LabError('E_SCENARIO_SIZE', 'input', `host-pattern at +${offsetMiB} MiB lies beyond the ${dev.size} plugged bytes`, { hint: 'plug the device first, or use a smaller offset' });
  }
  const addr = dev.memaddr + offset;
  const pattern = writePattern(addr, PAGE);
  ctx.shm.write(offset, pattern);
  const [rec] = await runProbes(ctx.ch, [{ id: 0, op: 'kcore', addr, len: PAGE, why: 'host pattern read back' }], { timeoutMs: ctx.t.probes });
  const hostFnv = fnv1a64(pattern);
  return { kind: 'host-pattern', addr: hex(addr), backendOffset: hex(offset), hostFnv, guest: rec.observed, agree: rec.observed.result === 'ok' && rec.observed.fnv === hostFnv };
}
