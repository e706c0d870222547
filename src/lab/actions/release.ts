// Unmaps held mappings by name, by one of the paths of held-spec.ts
// RELEASE_HOWS (munmap, a VMA split, an mremap move of all or part of it, a
// fork whose child keeps it a while): their PAT reservations must go with
// them (S6), and the kernel log stay clean (S7).
import { z } from 'zod';
import { releaseSpecs } from '../held.js';
import { heldName, RELEASE_HOWS } from '../held-spec.js';
import { ProbeIds } from '../probe-ids.js';
import { defineAction, recorded } from './action.js';

export const release = defineAction({
  schema: z
    .object({
      kind: z.literal('release'),
      mappings: z.array(heldName).min(1),
      how: z.enum(RELEASE_HOWS).optional(),
      /** The same as "how": "split" (kept for scenario files written before "how"). */
      split: z.boolean().optional(),
    })
    .strict()
    .refine((a) => !(a.split && a.how && a.how !== 'split'), { message: 'give "how" or "split", not both', path: ['split'] }),
  describe: (a) => `release ${a.mappings.join(', ')}${a.how && a.how !== 'munmap' ? ` (${a.how})` : a.split ? ' (split first)' : ''}`,
  run: async (ctx, hist, a, say) => {
    const gone = hist.held.filter((h) => a.mappings.includes(h.name));
    const specs = releaseSpecs(gone, ProbeIds.HOLD_BASE, a.how ?? (a.split ? 'split' : 'munmap'));
    const recs = specs.length ? await (await ctx.agent()).run(specs, ctx.t.probes) : [];
    say(gone.map((h, i) => `${h.name} ${recs[i]?.addr}: ${recs[i]?.observed.result ?? 'not held'}`).join(', ') || 'nothing held by those names');
    return recorded(
      hist,
      { kind: 'release' as const, released: gone.map((h, i) => ({ name: h.name, addr: recs[i]?.addr, op: specs[i]?.op, result: recs[i]?.observed })) },
      { holding: hist.held.filter((h) => !gone.includes(h)), released: [...hist.released, ...gone.map((h) => ({ ...h, releasedAt: hist.index }))] },
    );
  },
});
