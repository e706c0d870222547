// modprobe and rmmod of a module in the guest; the exit code and stderr are
// recorded (the step's checks judge what the driver did).
import { z } from 'zod';
import { shq } from '../../guest/ssh.js';
import type { RunContext, StepHistory } from '../context.js';
import { defineAction, recorded } from './action.js';

const moduleName = z.string().regex(/^[a-z0-9_]+$/, 'a module name such as virtio_mem');

/** virtio_mem's claims are the model's own (R-VMEM-*); any other driver's probe may claim and release unseen. */
const otherDriver = (a: { module: string }) => a.module !== 'virtio_mem';

async function moduleCommand(ctx: RunContext, hist: StepHistory, command: 'modprobe' | 'rmmod', module: string, say: (d: string) => void) {
  const r = await ctx.ch.exec(`${command} ${shq(module)}`, { timeoutMs: ctx.t.module });
  say(`${command} ${module}: exit ${r.code}${r.stderr.trim() ? ` (${r.stderr.trim()})` : ''}`);
  return recorded(hist, { kind: 'module' as const, command: `${command} ${module}`, exitCode: r.code, stderr: r.stderr.trim() });
}

export const modprobe = defineAction({
  schema: z.object({ kind: z.literal('modprobe'), module: moduleName }).strict(),
  describe: (a) => `modprobe ${a.module}`,
  opaque: otherDriver,
  run: (ctx, hist, a, say) => moduleCommand(ctx, hist, 'modprobe', a.module, say),
});

export const rmmod = defineAction({
  schema: z.object({ kind: z.literal('rmmod'), module: moduleName }).strict(),
  describe: (a) => `rmmod ${a.module}`,
  opaque: otherDriver,
  run: (ctx, hist, a, say) => moduleCommand(ctx, hist, 'rmmod', a.module, say),
});
