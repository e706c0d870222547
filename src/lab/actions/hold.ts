// Map pages of /dev/mem in the long-lived agent and keep them for the rest
// of the run (every later step touches and ptrace-reads them); each made
// mapping is mapped again on an O_SYNC fd while the hold keeps its
// reservation (a UC- request over WB: R-MMAP-PAT).
import { z } from 'zod';
import { deviceInfo } from '../hostview.js';
import { holdSpecs, syncMapSpecs } from '../held.js';
import { resolveHeld } from '../held-target.js';
import { heldSpecSchema } from '../held-spec.js';
import { ProbeIds } from '../probe-ids.js';
import { hex } from '../../util/hex.js';
import { inputError } from '../../util/errors.js';
import { defineAction, guestIomem } from './action.js';

export const hold = defineAction({
  schema: z.object({ kind: z.literal('hold'), mappings: z.array(heldSpecSchema).min(1) }).strict(),
  describe: (a) => `hold ${a.mappings.map((m) => m.name).join(', ')}`,
  deviceOffsets: (a) => a.mappings.flatMap((m) => ('deviceOffsetMiB' in m.target ? [m.target.deviceOffsetMiB] : [])),
  run: async (ctx, hist, a, say) => {
    const now = await guestIomem(ctx);
    const held = resolveHeld(a.mappings, now, deviceInfo(await ctx.qmp.execute<unknown[]>('query-memory-devices')), hist.index);
    // The agent keys a held mapping by kind, address and length (a second
    // hold of one key replaces the first): two live holds of one key would be
    // one mapping to the guest and two to the model.
    const key = (h: { start: number; end: number; private: boolean }) => `${h.private ? 'private' : 'shared'} ${h.start} ${h.end}`;
    const live = new Map(hist.held.map((h) => [key(h), h.name]));
    for (const h of held) {
      const twin = live.get(key(h));
      if (twin !== undefined) {
        throw inputError('E_SCENARIO', `hold ${h.name} maps the same ${h.private ? 'private' : 'shared'} pages (${hex(h.start)}, ${(h.end + 1 - h.start) / 4096} pages) as ${twin}, which is still held`, `release ${twin} first, or hold another page count or the other of shared/private`);
      }
      live.set(key(h), h.name);
    }
    const agent = await ctx.agent();
    const specs = holdSpecs(held, ProbeIds.HOLD_BASE);
    const recs = await agent.run(specs, ctx.t.probes);
    const made = held.filter((_, i) => recs[i].observed.result === 'ok');
    const sync = syncMapSpecs(made, ProbeIds.HOLD_BASE + specs.length);
    const syncRecs = sync.length ? await agent.run(sync, ctx.t.probes) : [];
    say(held.map((h, i) => `${h.name} ${recs[i].addr}: ${recs[i].observed.result}${recs[i].observed.errno ? ` ${recs[i].observed.errno}` : ''}`).join(', '));
    return {
      record: { kind: 'hold' as const, held: held.map((h, i) => ({ name: h.name, addr: recs[i].addr, private: h.private, result: recs[i].observed })) },
      held: [...recs.map((rec, i) => ({ rec, spec: specs[i] })), ...syncRecs.map((rec, i) => ({ rec, spec: sync[i] }))],
      holding: [...hist.held, ...made],
      released: hist.released,
    };
  },
});
