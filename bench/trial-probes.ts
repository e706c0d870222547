// Trial "probes": probes per second by op, the lab's path (runProbes over
// SSH, timed on the host) against the agent alone (timed in the guest) and
// the agent's answers sent in one burst, on one idle lab guest. Each round
// runs both competitor processes (probe-lab, probe-agent), each fresh and
// with its own SSH connection.
import { runChild, nodeChild } from './child.js';
import { reclaim } from './cleanup.js';
import { bootGuest } from './guest.js';
import { BENCH_OPS, type ProbeParams, type ProbeRateResult } from './probe-batch.js';
import { addRatio, rateRow, timeRow } from './rows.js';
import type { Row, TrialContext, TrialOutcome } from './types.js';

const COMPETITORS = [
  { name: 'lab', file: 'probe-lab.js' },
  { name: 'agent-alone', file: 'probe-agent.js' },
] as const;

export async function runProbesTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const count = ctx.quick ? 300 : 1000;
  ctx.log('probes: booting the lab guest');
  const undo: (() => void)[] = [];
  const guest = await bootGuest({
    kernel: ctx.kernel,
    signal: ctx.signal,
    onLaunch: (dir) => undo.push(ctx.cleanup.add('probe guest', () => reclaim(dir).then(() => undefined))),
  });
  undo.push(ctx.cleanup.add('probe guest', () => guest.dispose()));
  const execTrue: number[][] = [];
  const rates: Record<string, Record<string, number[]>> = { lab: {}, 'agent-alone': {}, 'agent-alone+ssh-exec': {}, 'agent-then-burst': {} };
  try {
    const params: ProbeParams = { sshPort: guest.vm.sshPort, key: guest.key, hostKey: guest.hostKey, ops: [...BENCH_OPS], count };
    for (let r = 0; r < ctx.rounds; r++) {
      const order = r % 2 === 0 ? COMPETITORS : [...COMPETITORS].reverse();
      for (const c of order) {
        ctx.signal.throwIfAborted();
        guest.vm.checkAlive();
        const res = await runChild<ProbeRateResult>(nodeChild(c.name, c.file, params, 600_000), ctx.cleanup);
        for (const [op, ms] of Object.entries(res.batchMs)) (rates[c.name][op] ??= []).push(res.count / (ms / 1000));
        if (res.execTrueMs) execTrue.push(res.execTrueMs);
        for (const [op, ms] of Object.entries(res.burstBatchMs ?? {})) (rates['agent-then-burst'][op] ??= []).push(res.count / (ms / 1000));
        for (const [op, ms] of Object.entries(res.hostBatchMs ?? {})) (rates['agent-alone+ssh-exec'][op] ??= []).push(res.count / (ms / 1000));
        ctx.log(`probes: round ${r + 1}/${ctx.rounds} ${c.name} done`);
      }
    }
  } finally {
    await guest.dispose();
    undo.forEach((u) => u());
  }
  const rows: Row[] = [];
  for (const op of BENCH_OPS) {
    const lab = rateRow('probes', 'lab', `${op} probes/s`, 'probes/s', rates.lab[op]);
    const alone = rateRow('probes', 'agent-alone', `${op} probes/s`, 'probes/s', rates['agent-alone'][op]);
    const exec = rateRow('probes', 'agent-alone+ssh-exec', `${op} probes/s`, 'probes/s', rates['agent-alone+ssh-exec'][op]);
    const burst = rateRow('probes', 'agent-then-burst', `${op} probes/s`, 'probes/s', rates['agent-then-burst'][op]);
    addRatio(lab, alone);
    addRatio(lab, exec);
    addRatio(lab, burst);
    addRatio(burst, alone);
    rows.push(lab, alone, exec, burst);
  }
  rows.push(timeRow('probes', 'lab', "one guest command: GuestChannel.exec('true')", 'ms', execTrue));
  return {
    rows,
    goals: [],
    notes: [
      `batches of ${count} probes of one op (4 KiB each, pages of the low 1 MiB), ${ctx.rounds} rounds, idle guest (kernel ${guest.kernelRelease}); ` +
        'lab = runProbes() timed on the host; agent-alone = the agent on a request file in the guest, answers to /dev/null, timed by the guest clock; ' +
        'agent-alone+ssh-exec = that same SSH exec timed on the host (adds the exec\'s fixed cost, not the answers\' trip); ' +
        'agent-then-burst = the agent\'s answers to a guest file, then sent in one `cat` and parsed on the host',
    ],
  };
}
