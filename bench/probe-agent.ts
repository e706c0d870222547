// Floor: the probe agent alone, timed inside the guest. The same batch is
// first copied to the guest's /tmp (not timed); then one shell runs the
// agent on it with its answers going to /dev/null, reading the guest's
// monotonic clock (the "now at <ns> nsecs" header of /proc/timer_list, with
// shell builtins only, no fork) just before and after. What is left between
// this and probe-lab is the lab's own cost: SSH transport, streaming and
// parsing on the host. The same exec is also timed from the host
// (hostBatchMs): that adds the SSH exec's fixed cost but not the answers'
// trip, which tells the two apart. Last, the agent's answers are written to
// a file and sent in one burst (`cat`) and parsed on the host
// (burstBatchMs): what the lab's path would cost if the answers did not
// cross SSH one flushed line at a time.
import { GuestChannel } from '../src/guest/ssh.js';
import { parseAgentLine } from '../src/probe/agent-answers.js';
import { formatProbeLine } from '../src/probe/agent-protocol.js';
import { AGENT_PATH } from '../src/probe/run-agent.js';
import { competitorMain } from './competitor.js';
import { SSH_TIMEOUT_MS } from './guest.js';
import { probeBatch, type ProbeParams, type ProbeRateResult } from './probe-batch.js';

const REQ = '/tmp/bench-probes.req';
const OUT = '/tmp/bench-probes.out';
const CLOCK = '{ read -r _; read -r _; read -r _ _ T _; } < /proc/timer_list';
const TIMED = `${CLOCK}; S=$T; ${AGENT_PATH} < ${REQ} > /dev/null; R=$?; ${CLOCK}; echo "$R $S $T"`;

async function timeInGuest(ch: GuestChannel): Promise<{ guestMs: number; hostMs: number }> {
  const t0 = performance.now();
  const out = (await ch.check(TIMED, { timeoutMs: 300_000 })).trim();
  const hostMs = performance.now() - t0;
  const m = /^(\d+) (\d+) (\d+)$/.exec(out);
  if (!m) throw new Error(`unexpected timing line from the guest: ${JSON.stringify(out)}`);
  if (m[1] !== '0') throw new Error(`the agent exited ${m[1]}`);
  return { guestMs: (Number(m[3]) - Number(m[2])) / 1e6, hostMs };
}

competitorMain<ProbeParams, ProbeRateResult>(async (p, signal) => {
  const ch = await GuestChannel.connect({ port: p.sshPort, key: p.key, hostKey: p.hostKey, timeoutMs: SSH_TIMEOUT_MS, signal });
  try {
    const batchMs: Record<string, number> = {};
    const hostBatchMs: Record<string, number> = {};
    for (const op of p.ops) {
      await ch.check(`cat > ${REQ}`, { stdin: probeBatch(op, p.count).map(formatProbeLine).join('\n') + '\n' });
      ({ guestMs: batchMs[op], hostMs: hostBatchMs[op] } = await timeInGuest(ch));
    }
    const burstBatchMs: Record<string, number> = {};
    for (const op of p.ops) {
      await ch.check(`cat > ${REQ}`, { stdin: probeBatch(op, p.count).map(formatProbeLine).join('\n') + '\n' });
      const t0 = performance.now();
      const out = await ch.check(`${AGENT_PATH} < ${REQ} > ${OUT} && cat ${OUT}`, { timeoutMs: 300_000 });
      const answers = out.split('\n').filter(Boolean).map(parseAgentLine);
      burstBatchMs[op] = performance.now() - t0;
      if (answers.length !== p.count) throw new Error(`${op}: ${answers.length} of ${p.count} answers in the burst`);
    }
    await ch.exec(`rm -f ${REQ} ${OUT}`);
    return { batchMs, hostBatchMs, burstBatchMs, count: p.count };
  } finally {
    ch.close();
  }
});
