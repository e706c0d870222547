// One /dev/mem access of the scenario's own: at an offset into the device
// region, at a physical address, or at the first unclaimed page of a PCI
// window; judged by the model once the step's state is known.
import { z } from 'zod';
import { runProbes } from '../../probe/run-agent.js';
import { isHeldOp, PAGE, PROBE_OPS, type ProbeOp, type ProbeSpec } from '../../probe/types.js';
import { defineAction, device, mmioHole, recorded } from './action.js';

/** Ops one request can do (the held ones need a hold). */
const oneShot = PROBE_OPS.filter((op) => !isHeldOp(op)) as [ProbeOp, ...ProbeOp[]];

export const access = defineAction({
  schema: z
    .object({
      kind: z.literal('access'),
      op: z.enum(oneShot),
      deviceOffsetMiB: z.number().int().nonnegative().optional(),
      addr: z.string().regex(/^0x[0-9a-f]+$/, 'a hex address such as "0x1000"').optional(),
      /** The first unclaimed page of a PCI window (as for a hold). */
      mmioHole: z.literal(true).optional(),
      /** Run the agent without CAP_SYS_RAWIO (root otherwise). */
      withoutRawio: z.boolean().optional(),
    })
    .strict()
    .refine((a) => [a.deviceOffsetMiB, a.addr, a.mmioHole].filter((x) => x !== undefined).length === 1, 'give exactly one of deviceOffsetMiB (into the device region), addr (a physical address) and mmioHole'),
  describe: (a) =>
    a.addr !== undefined ? `${a.op} at ${a.addr}` : a.mmioHole ? `${a.op} of an unclaimed MMIO page` : `${a.op} of the device region at +${a.deviceOffsetMiB} MiB`,
  deviceOffsets: (a) => (a.deviceOffsetMiB === undefined ? [] : [a.deviceOffsetMiB]),
  run: async (ctx, hist, a, say) => {
    const addr = a.addr !== undefined ? parseInt(a.addr, 16) : a.mmioHole ? await mmioHole(ctx) : (await device(ctx)).memaddr + (a.deviceOffsetMiB ?? 0) * 1024 * 1024;
    const spec: ProbeSpec = { id: 0, op: a.op, addr, len: PAGE, why: `scenario access${a.withoutRawio ? ' without CAP_SYS_RAWIO' : ''}` };
    const [r] = await runProbes(ctx.ch, [spec], { timeoutMs: ctx.t.probes, withoutRawio: a.withoutRawio });
    say(`${a.op} ${r.addr}: ${r.observed.result}${r.observed.errno ? ` ${r.observed.errno}` : ''}`);
    return recorded(hist, { kind: 'access' as const, access: r }, { access: { rec: r, spec, withoutRawio: !!a.withoutRawio } });
  },
});
