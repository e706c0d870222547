// Trial "explore": the same seeded sequences with every guest restored from
// the saved post-boot state against every guest booted (--fresh-boot), in
// alternating order; throughput is sequences per hour. The saved state is
// made (or found) before the first round, so both sides run only sequences.
import { nodeChild, runChild } from './child.js';
import type { ExploreParams, ExploreResult } from './explore-run.js';
import { addRatio, goal, rateRow } from './rows.js';
import type { TrialContext, TrialOutcome } from './types.js';

/** Restored sequences per hour over booted ones: the explore issue's goal. */
export const EXPLORE_GOAL = 4;
const SEED = 11;

export async function runExploreTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const runs = ctx.quick ? 4 : 10;
  const res: Record<'restored' | 'booted', ExploreResult[]> = { restored: [], booted: [] };
  const once = (c: 'restored' | 'booted', n: number, seed = SEED) => {
    const p: ExploreParams = { kernel: ctx.kernel, seed, runs: n, freshBoot: c === 'booted' };
    return runChild<ExploreResult>(nodeChild(`explore ${c}`, 'explore-run.js', p, 1_800_000), ctx.cleanup);
  };
  await once('restored', 1, SEED + 1000); // saves the state when there is none yet
  for (let r = 0; r < ctx.rounds; r++) {
    for (const c of r % 2 === 0 ? (['booted', 'restored'] as const) : (['restored', 'booted'] as const)) {
      ctx.signal.throwIfAborted();
      const m = await once(c, runs);
      if (m.failed) throw new Error(`explore ${c}: ${m.failed} of ${m.sequences} sequences did not complete`);
      res[c].push(m);
      ctx.log(`explore: round ${r + 1}/${ctx.rounds} ${c}: ${m.sequences} sequences in ${(m.wallMs / 1000).toFixed(1)} s`);
    }
  }
  const perHour = (c: 'restored' | 'booted') => rateRow('explore', c, 'sequences per hour', 'seq/h', res[c].map((m) => (m.sequences * 3_600_000) / m.wallMs));
  const booted = perHour('booted');
  const restored = addRatio(perHour('restored'), booted);
  return {
    rows: [booted, restored],
    goals: [goal('explore', 'restored sequences/hour p50 / booted sequences/hour p50', restored.ratioTo!.booted.p50, EXPLORE_GOAL, true)],
    notes: [`explore: seed ${SEED}, ${runs} sequences of up to 8 actions per round (${ctx.kernel}), ${ctx.rounds} rounds; each side in a fresh process, the same sequences on both`],
  };
}
