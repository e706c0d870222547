// munmap held mappings by name (`split`: mprotect the last page PROT_NONE
// first, a VMA split): their PAT reservations must go with them (S6).
import { z } from 'zod';
import { releaseSpecs } from '../held.js';
import { heldName } from '../held-spec.js';
import { ProbeIds } from '../probe-ids.js';
import { defineAction, recorded } from './action.js';

export const release = defineAction({
  schema: z.object({ kind: z.literal('release'), mappings: z.array(heldName).min(1), split: z.boolean().optional() }).strict(),
  describe: (a) => `release ${a.mappings.join(', ')}${a.split ? ' (split first)' : ''}`,
  run: async (ctx, hist, a, say) => {
    const gone = hist.held.filter((h) => a.mappings.includes(h.name));
    const specs = releaseSpecs(gone, ProbeIds.HOLD_BASE, a.split);
    const recs = specs.length ? await (await ctx.agent()).run(specs, ctx.t.probes) : [];
    say(gone.map((h, i) => `${h.name} ${recs[i]?.addr}: ${recs[i]?.observed.result ?? 'not held'}`).join(', ') || 'nothing held by those names');
    return recorded(
      hist,
      { kind: 'release' as const, released: gone.map((h, i) => ({ name: h.name, addr: recs[i]?.addr, result: recs[i]?.observed })) },
      { holding: hist.held.filter((h) => !gone.includes(h)), released: [...hist.released, ...gone] },
    );
  },
});
