// A command for the guest's /bin/sh (as root); its exit code and output are
// recorded. It runs in the guest's shell, as the scenario's author wrote it;
// nothing of it reaches a host shell.
import { z } from 'zod';
import { defineAction, recorded } from './action.js';

export const guestCommand = defineAction({
  schema: z.object({ kind: z.literal('guest-command'), command: z.string().min(1) }).strict(),
  describe: (a) => `guest: ${a.command}`,
  opaque: () => true,
  run: async (ctx, hist, a, say) => {
    const r = await ctx.ch.exec(a.command, { timeoutMs: ctx.t.module });
    say(`${a.command}: exit ${r.code}`);
    return recorded(hist, { kind: 'guest-command' as const, command: a.command, exitCode: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) });
  },
});
