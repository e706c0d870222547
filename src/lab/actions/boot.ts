// The first step of every scenario: the guest as it booted.
import { z } from 'zod';
import { defineAction, recorded } from './action.js';

export const boot = defineAction({
  schema: z.object({ kind: z.literal('boot') }).strict(),
  describe: () => 'boot',
  run: async (_ctx, hist) => recorded(hist, { kind: 'none' as const }),
});
