// lseek requests to the agent (guest-image/agent.c "<id> lseek <whence>
// <offset>") and their answers. Offsets and positions are 64-bit patterns,
// so they travel as hex and live here as bigint.
import type { GuestChannel } from '../guest/ssh.js';
import { AgentProtocolError } from './agent-protocol.js';
import { AGENT_PATH, AgentError } from './run-agent.js';

/** The position the agent seeks to (SEEK_SET) before each request: SEEK_CUR adds to it. */
export const LSEEK_BASE = 0x1000n;

export interface LseekRequest {
  id: number;
  whence: number;
  /** The 64-bit pattern passed as off_t (two's complement). */
  offset: bigint;
}

export type LseekObserved = { result: 'ok'; pos: bigint } | { result: 'errno'; errno: string; syscall: 'open' | 'lseek' };

export interface LseekAnswer extends LseekRequest {
  observed: LseekObserved;
}

const U64_MAX = (1n << 64n) - 1n;

export function formatLseekLine(r: LseekRequest): string {
  if (!Number.isSafeInteger(r.id) || r.id < 0) throw new AgentProtocolError('bad-request', `lseek id ${r.id} is not a non-negative safe integer`);
  if (!Number.isInteger(r.whence) || r.whence < 0 || r.whence > 15) throw new AgentProtocolError('bad-request', `lseek whence ${r.whence} is not 0 to 15`);
  if (r.offset < 0n || r.offset > U64_MAX) throw new AgentProtocolError('bad-request', `lseek offset ${r.offset} is not a 64-bit pattern`);
  return `${r.id} lseek ${r.whence} 0x${r.offset.toString(16)}`;
}

const HEX64 = /^0x[0-9a-f]{1,16}$/;

export function parseLseekAnswer(line: string): LseekAnswer {
  const bad = (why: string): never => {
    throw new AgentProtocolError('bad-answer', `agent lseek answer ${why}: ${line.slice(0, 200)}`, { line });
  };
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return bad('is not JSON');
  }
  if (typeof o.error === 'string') bad(`is an error (${o.error})`);
  if (o.op !== 'lseek' || typeof o.id !== 'number' || typeof o.whence !== 'number' || typeof o.offset !== 'string' || !HEX64.test(o.offset)) bad('lacks op, id, whence or offset');
  const base = { id: o.id as number, whence: o.whence as number, offset: BigInt(o.offset as string) };
  if (o.result === 'ok' && typeof o.pos === 'string' && HEX64.test(o.pos)) return { ...base, observed: { result: 'ok', pos: BigInt(o.pos) } };
  if (o.result === 'errno' && typeof o.errno === 'string' && (o.syscall === 'open' || o.syscall === 'lseek')) {
    return { ...base, observed: { result: 'errno', errno: o.errno, syscall: o.syscall } };
  }
  return bad('has no ok pos or errno');
}

/** Runs the requests in one agent process; an answer for every request or an AgentError. */
export async function runLseek(ch: GuestChannel, reqs: LseekRequest[], timeoutMs: number): Promise<LseekAnswer[]> {
  const r = await ch.exec(AGENT_PATH, { stdin: reqs.map(formatLseekLine).join('\n') + '\n', timeoutMs });
  const answers = r.stdout.split('\n').filter((l) => l.trim()).map(parseLseekAnswer);
  if (r.code !== 0 || answers.length !== reqs.length) {
    throw new AgentError('E_AGENT', 'run', `the probe agent answered ${answers.length} of ${reqs.length} lseek requests (exit ${r.code ?? r.signal})`, { context: { stderr: r.stderr.slice(-2000) } });
  }
  return answers;
}
