// The cross-check between the host's and the guest's view of device memory:
// the host writes a data pattern into a plugged block through the shared
// backend (offset = guest physical address - memaddr), the guest reads that
// page through /proc/kcore, and the FNV-1a of both must agree.
import { z } from 'zod';
import { fnv1a64, writePattern } from '../../probe/agent-protocol.js';
import { runProbes } from '../../probe/run-agent.js';
import { hex, PAGE } from '../../probe/types.js';
import { LabError } from '../../util/errors.js';
import { defineAction, device, recorded } from './action.js';

export const hostPattern = defineAction({
  schema: z.object({ kind: z.literal('host-pattern'), deviceOffsetMiB: z.number().int().nonnegative() }).strict(),
  describe: (a) => `host writes a pattern at +${a.deviceOffsetMiB} MiB, guest reads it through /proc/kcore`,
  deviceOffsets: (a) => [a.deviceOffsetMiB],
  run: async (ctx, hist, a, say) => {
    const dev = await device(ctx);
    const offset = a.deviceOffsetMiB * 1024 * 1024;
    if (offset + PAGE > dev.size) {
      // Writing an unplugged block would populate it: S4 would (rightly) flag the host.
      throw new LabError('E_SCENARIO_SIZE', 'input', `host-pattern at +${a.deviceOffsetMiB} MiB lies beyond the ${dev.size} plugged bytes`, { hint: 'plug the device first, or use a smaller offset' });
    }
    const addr = dev.memaddr + offset;
    const pattern = writePattern(addr, PAGE);
    ctx.shm.write(offset, pattern);
    const [rec] = await runProbes(ctx.ch, [{ id: 0, op: 'kcore', addr, len: PAGE, why: 'host pattern read back' }], { timeoutMs: ctx.t.probes });
    const hostFnv = fnv1a64(pattern);
    const agree = rec.observed.result === 'ok' && rec.observed.fnv === hostFnv;
    say(`host pattern at ${hex(addr)}: guest read ${agree ? 'the same bytes' : 'different bytes'}`);
    return recorded(hist, { kind: 'host-pattern' as const, addr: hex(addr), backendOffset: hex(offset), hostFnv, guest: rec.observed, agree });
  },
});
