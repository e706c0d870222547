// A step's action, before the lab settles and observes: module commands,
// resizes, the scenario's own access, held mappings, the host's pattern, a
// guest command. Each returns its record for the step's observations and,
// where it probed, the records the model judges once the state is known.
import { parseIomem } from '../guest/iomem.js';
import { readSections } from '../guest/observe.js';
import { shq } from '../guest/ssh.js';
import { fnv1a64, writePattern } from '../probe/agent-protocol.js';
import { runProbes } from '../probe/run-agent.js';
import { AgentSession } from '../probe/session.js';
import { hex, PAGE, type ProbeRecord, type ProbeSpec } from '../probe/types.js';
import type { StepReport } from '../report/types.js';
import { resizeDevice } from '../scenario/resize.js';
import type { ScenarioStep } from '../scenario/types.js';
import { LabError } from '../util/errors.js';
import { holdSpecs, releaseSpecs, resolveHeld, syncMapSpecs } from './held.js';
import { deviceInfo, type DeviceInfo } from './hostview.js';
import type { StepContext } from './step.js';

/** Probe records an action made, judged after the step's observation. */
export interface ActionDone {
  /** hold-* records. */
  held: { rec: ProbeRecord; spec: ProbeSpec }[];
  /** The scenario's own access. */
  access?: { rec: ProbeRecord; spec: ProbeSpec; withoutRawio: boolean };
}

/** Ids of hold requests: far above any step's planned probes. */
const HOLD_IDS = 100_000;

export async function runAction(ctx: StepContext, step: ScenarioStep, rep: StepReport): Promise<ActionDone> {
  const a = step.action;
  const say = (detail: string) => ctx.events.emit({ type: 'step-action', step: step.name, detail });
  const device = async () => {
    const dev = deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices'));
    if (!dev) throw new LabError('E_NO_DEVICE', 'run', 'the machine has no virtio-mem device');
    return dev;
  };
  switch (a.kind) {
    case 'boot':
      return { held: [] };
    case 'modprobe':
    case 'rmmod': {
      const r = await ctx.ch.exec(`${a.kind} ${shq(a.module)}`, { timeoutMs: ctx.t.module });
      rep.observations.action = { command: `${a.kind} ${a.module}`, exitCode: r.code, stderr: r.stderr.trim() };
      say(`${a.kind} ${a.module}: exit ${r.code}${r.stderr.trim() ? ` (${r.stderr.trim()})` : ''}`);
      return { held: [] };
    }
    case 'resize': {
      const r = await resizeDevice(ctx.qmp, ctx.profile.virtioMem.id, a.sizeMiB * 1024 * 1024, { timeoutMs: ctx.t.resize, signal: ctx.signal, check: () => ctx.vm.checkAlive() });
      rep.observations.action = { ...r };
      say(`size ${r.from} → ${r.reached} in ${r.ms} ms (${r.kicks} kicks)`);
      return { held: [] };
    }
    case 'access': {
      const dev = await device();
      const spec: ProbeSpec = { id: 0, op: a.op, addr: dev.memaddr + a.deviceOffsetMiB * 1024 * 1024, len: PAGE, why: `scenario access${a.withoutRawio ? ' without CAP_SYS_RAWIO' : ''}` };
      const [r] = await runProbes(ctx.ch, [spec], { timeoutMs: ctx.t.probes, withoutRawio: a.withoutRawio });
      rep.observations.action = { access: r };
      say(`${a.op} ${r.addr}: ${r.observed.result}${r.observed.errno ? ` ${r.observed.errno}` : ''}`);
      return { held: [], access: { rec: r, spec, withoutRawio: !!a.withoutRawio } };
    }
    case 'hold': {
      const now = parseIomem((await readSections(ctx.ch, { iomem: 'cat /proc/iomem' }, ctx.t.observe)).iomem);
      const held = resolveHeld(a.mappings, now, deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices')), ctx.stepIndex);
      ctx.session ??= await AgentSession.open(ctx.ch, { allowWrites: ctx.heldWrites });
      const specs = holdSpecs(held, HOLD_IDS);
      const recs = await ctx.session.run(specs, ctx.t.probes);
      const made = held.filter((_, i) => recs[i].observed.result === 'ok');
      ctx.held.push(...made);
      // While the holds keep their PAT reservations, map each page again on
      // an O_SYNC fd (UC- over a WB reservation: R-MMAP-PAT).
      const sync = syncMapSpecs(made, HOLD_IDS + specs.length);
      const syncRecs = sync.length ? await ctx.session.run(sync, ctx.t.probes) : [];
      rep.observations.action = { held: held.map((h, i) => ({ name: h.name, addr: recs[i].addr, private: h.private, result: recs[i].observed })) };
      say(held.map((h, i) => `${h.name} ${recs[i].addr}: ${recs[i].observed.result}${recs[i].observed.errno ? ` ${recs[i].observed.errno}` : ''}`).join(', '));
      return { held: [...recs.map((rec: ProbeRecord, i: number) => ({ rec, spec: specs[i] })), ...syncRecs.map((rec, i) => ({ rec, spec: sync[i] }))] };
    }
    case 'release': {
      const gone = ctx.held.filter((h) => a.mappings.includes(h.name));
      const specs = releaseSpecs(gone, HOLD_IDS);
      const recs = specs.length && ctx.session ? await ctx.session.run(specs, ctx.t.probes) : [];
      ctx.held = ctx.held.filter((h) => !gone.includes(h));
      ctx.released.push(...gone);
      rep.observations.action = { released: gone.map((h, i) => ({ name: h.name, addr: recs[i]?.addr, result: recs[i]?.observed })) };
      say(gone.map((h, i) => `${h.name} ${recs[i]?.addr}: ${recs[i]?.observed.result ?? 'not held'}`).join(', ') || 'nothing held by those names');
      return { held: [] };
    }
    case 'host-pattern': {
      const r = await hostPattern(ctx, await device(), a.deviceOffsetMiB);
      rep.observations.action = r;
      say(`host pattern at ${r.addr}: guest read ${r.agree ? 'the same bytes' : 'different bytes'}`);
      return { held: [] };
    }
    case 'guest-command': {
      // Runs in the guest's shell (the scenario author's command, as
      // written); nothing of it reaches a host shell.
      const r = await ctx.ch.exec(a.command, { timeoutMs: ctx.t.module });
      rep.observations.action = { command: a.command, exitCode: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) };
      say(`${a.command}: exit ${r.code}`);
      return { held: [] };
    }
  }
}

/**
 * The cross-check between the host's and the guest's view of device memory:
 * the host writes a data pattern into a plugged block through the shared
 * backend (offset = guest physical address - memaddr), the guest reads that
 * page through /proc/kcore, and the FNV-1a of both must agree.
 */
async function hostPattern(ctx: StepContext, dev: DeviceInfo, offsetMiB: number) {
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
  return { addr: hex(addr), backendOffset: hex(offset), hostFnv, guest: rec.observed, agree: rec.observed.result === 'ok' && rec.observed.fnv === hostFnv };
}
