// Runs a probe plan through the agent in the guest: one SSH exec per batch,
// request lines on stdin, one JSON answer per probe streamed back as it
// arrives.
import type { GuestChannel } from '../guest/ssh.js';
import { shq } from '../guest/ssh.js';
import { LabError } from '../util/errors.js';
import { parseAgentLine } from './agent-answers.js';
import { formatHighmemLine, formatProbeLine } from './agent-protocol.js';
import { hex, type ProbeRecord, type ProbeSpec } from './types.js';

export const AGENT_PATH = '/sbin/devmem-agent';

export class AgentError extends LabError {}

export async function runProbes(
  ch: GuestChannel,
  specs: ProbeSpec[],
  opts: { allowWrites?: boolean; device?: string; timeoutMs?: number; onResult?: (r: ProbeRecord) => void; withoutRawio?: boolean } = {},
): Promise<ProbeRecord[]> {
  if (specs.length === 0) return [];
  const byId = new Map(specs.map((s) => [s.id, s]));
  const records: ProbeRecord[] = [];
  const errors: string[] = [];
  const argv = [AGENT_PATH, ...(opts.device ? ['-d', shq(opts.device)] : []), ...(opts.allowWrites ? ['-w'] : []), ...(opts.withoutRawio ? ['-n'] : [])];
  const r = await ch.exec(argv.join(' '), {
    stdin: specs.map(formatProbeLine).join('\n') + '\n',
    timeoutMs: opts.timeoutMs ?? 300_000,
    onStdoutLine: (line) => {
      if (!line.trim()) return;
      const a = parseAgentLine(line);
      if (a.kind === 'error') {
        errors.push(a.error);
        return;
      }
      if (a.kind === 'highmem') return;
      const spec = byId.get(a.id);
      if (!spec) {
        errors.push(`answer for unknown probe id ${a.id}`);
        return;
      }
      const observed = a.kind === 'refused' ? { result: 'refused' as const, reason: a.reason } : a.observed;
      const rec: ProbeRecord = { ...spec, addr: hex(spec.addr), observed };
      records.push(rec);
      opts.onResult?.(rec);
    },
  });
  if (r.code !== 0 || errors.length > 0 || records.length !== specs.length) {
    throw new AgentError('E_AGENT', 'run', `the probe agent answered ${records.length} of ${specs.length} probes (exit ${r.code ?? r.signal})`, {
      context: { errors: errors.slice(0, 10), stderr: r.stderr.slice(-2000), records },
    });
  }
  return records;
}

/** The guest shell command that runs the agent's high_memory search. */
export const highmemCommand = (physBits: number): string => `echo '${formatHighmemLine(1, 0, 2 ** physBits - 1)}' | ${AGENT_PATH}`;

/**
 * The end of the kernel's direct map from the agent's answer to
 * highmemCommand() (range checks only, no memory touched). Undefined when
 * /dev/mem cannot be opened at all (lockdown, no DEVMEM): then no read
 * reaches the range check.
 */
export function parseHighmemAnswer(out: string): number | undefined {
  for (const line of out.split('\n').filter(Boolean)) {
    const a = parseAgentLine(line);
    if (a.kind === 'highmem') return a.highmemEnd;
    if (a.kind === 'error' && a.error.startsWith('open failed')) return undefined;
    if (a.kind === 'error') throw new AgentError('E_AGENT', 'run', `highmem search failed: ${a.error}`);
  }
  throw new AgentError('E_AGENT', 'run', 'the agent gave no highmem answer', { context: { out } });
}
