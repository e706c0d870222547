// Plug or unplug: the device's requested-size, followed until it is reached
// (qmp/resize.ts).
import { z } from 'zod';
import { resizeDevice } from '../../qmp/resize.js';
import { defineAction, recorded } from './action.js';

export const resize = defineAction({
  schema: z.object({ kind: z.literal('resize'), sizeMiB: z.number().int().nonnegative() }).strict(),
  describe: (a) => `resize to ${a.sizeMiB} MiB`,
  misfit: (a, dev) =>
    a.sizeMiB % dev.blockSizeMiB !== 0 || a.sizeMiB > dev.sizeMiB
      ? { message: `${a.sizeMiB} MiB is not a multiple of the ${dev.blockSizeMiB} MiB block size or exceeds the ${dev.sizeMiB} MiB device`, hint: `use a multiple of ${dev.blockSizeMiB} between 0 and ${dev.sizeMiB}` }
      : undefined,
  run: async (ctx, hist, a, say) => {
    const r = await resizeDevice(ctx.qmp, ctx.profile.virtioMem.id, a.sizeMiB * 1024 * 1024, { timeoutMs: ctx.t.resize, signal: ctx.signal, check: () => ctx.vm.checkAlive() });
    say(`size ${r.from} → ${r.reached} in ${r.ms} ms (${r.kicks} kicks)`);
    return recorded(hist, { kind: 'resize' as const, ...r });
  },
});
