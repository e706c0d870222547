// Competitor: the lab's probe path, timed from the host — runProbes() over
// the lab's GuestChannel (one SSH exec of the agent per batch, requests on
// stdin, every JSON answer line parsed and matched as it streams back).
// Also times the fixed cost of one guest command: GuestChannel.exec('true').
import { GuestChannel } from '../src/guest/ssh.js';
import { runProbes } from '../src/probe/run-agent.js';
import { competitorMain } from './competitor.js';
import { SSH_TIMEOUT_MS } from './guest.js';
import { probeBatch, type ProbeParams, type ProbeRateResult } from './probe-batch.js';

competitorMain<ProbeParams, ProbeRateResult>(async (p, signal) => {
  const ch = await GuestChannel.connect({ port: p.sshPort, key: p.key, hostKey: p.hostKey, timeoutMs: SSH_TIMEOUT_MS, signal });
  try {
    const batchMs: Record<string, number> = {};
    for (const op of p.ops) {
      const specs = probeBatch(op, p.count);
      const t0 = performance.now();
      const records = await runProbes(ch, specs);
      batchMs[op] = performance.now() - t0;
      if (records.length !== p.count) throw new Error(`${op}: ${records.length} of ${p.count} answers`);
    }
    const execTrueMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await ch.check('true');
      execTrueMs.push(performance.now() - t0);
    }
    return { batchMs, execTrueMs, count: p.count };
  } finally {
    ch.close();
  }
});
