// A long-lived probe agent in the guest: one SSH channel kept open for the
// whole run, so /dev/mem mappings made at one step (hold-*) are still held
// when a later step touches or ptrace-reads them.
import type { ClientChannel } from 'ssh2';
import type { GuestChannel } from '../guest/ssh.js';
import { LabError } from '../util/errors.js';
import { parseAgentLine } from './agent-answers.js';
import { formatProbeLine } from './agent-protocol.js';
import { AGENT_PATH } from './run-agent.js';
import { hex, type ProbeRecord, type ProbeSpec } from './types.js';

export class AgentSession {
  private partial = '';
  private waiting = new Map<number, (r: ProbeRecord) => void>();
  private specs = new Map<number, ProbeSpec>();
  private closedWith?: LabError;

  private constructor(private readonly stream: ClientChannel) {
    stream.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
    stream.on('close', () => this.fail(new LabError('E_AGENT', 'run', 'the long-lived probe agent exited')));
  }

  /** allowWrites: -w, for write probes a scenario asked for. */
  static async open(ch: GuestChannel, opts: { allowWrites?: boolean } = {}): Promise<AgentSession> {
    return new AgentSession(await ch.stream(opts.allowWrites ? `${AGENT_PATH} -w` : AGENT_PATH));
  }

  private onData(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const a = parseAgentLine(line);
      if (a.kind !== 'probe') {
        this.fail(new LabError('E_AGENT', 'run', `the long-lived agent answered ${line}`));
        continue;
      }
      const spec = this.specs.get(a.id);
      const done = this.waiting.get(a.id);
      if (!spec || !done) continue;
      this.waiting.delete(a.id);
      this.specs.delete(a.id);
      done({ ...spec, addr: hex(spec.addr), observed: a.observed });
    }
  }

  private fail(e: LabError): void {
    this.closedWith ??= e;
    this.waiting.clear();
    this.rejectAll?.(e);
  }

  private rejectAll?: (e: LabError) => void;

  /** Sends the requests and resolves with one record per spec, in order. */
  run(specs: ProbeSpec[], timeoutMs: number): Promise<ProbeRecord[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const out = new Map<number, ProbeRecord>();
      const timer = setTimeout(() => reject(new LabError('E_TIMEOUT', 'run', `the long-lived agent did not answer ${specs.length} requests within ${timeoutMs} ms`, { context: { wait: 'held-mapping probes' } })), timeoutMs);
      this.rejectAll = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      for (const s of specs) {
        this.specs.set(s.id, s);
        this.waiting.set(s.id, (r) => {
          out.set(s.id, r);
          if (out.size === specs.length) {
            clearTimeout(timer);
            resolve(specs.map((x) => out.get(x.id)!));
          }
        });
      }
      this.stream.write(specs.map(formatProbeLine).join('\n') + '\n');
    });
  }

  close(): void {
    this.stream.end();
    this.stream.close();
  }
}
