// The run as a typed event stream. The engine emits, the CLI renders, and
// every event is appended to DIR/events.jsonl as it arrives, so nothing a
// run learned is lost when it dies.
import { appendFileSync, constants, openSync, closeSync, fsyncSync } from 'node:fs';
import type { ProbeRecord } from '../probe/types.js';

export type RunEvent =
  | { type: 'run-start'; runId: string; kernel: string; scenario: string; out: string }
  | { type: 'progress'; message: string }
  | { type: 'vm-start'; argv: string[]; accel: string; sshPort: number; pid: number; dir: string }
  | { type: 'guest-ready'; ms: number }
  | { type: 'step-start'; step: string; index: number; total: number }
  | { type: 'step-action'; step: string; detail: string }
  // How many probes the step will record, sent before the first: its
  // `probe` events follow one by one as the agent answers.
  | { type: 'probes-planned'; step: string; total: number }
  | { type: 'probe'; step: string; probe: ProbeRecord }
  | { type: 'step-end'; step: string; probes: number; ms: number }
  | { type: 'console'; line: string }
  | { type: 'run-end'; status: 'completed' | 'failed' | 'interrupted'; ms: number; error?: string };

export type Listener = (e: RunEvent & { t: number }) => void;

export class EventLog {
  private readonly fd: number;
  private readonly listeners: Listener[] = [];
  private readonly t0 = Date.now();

  constructor(path: string) {
    // O_NOFOLLOW: a symlink planted in a shared --out must not redirect the run's events.
    this.fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  }

  on(l: Listener): void {
    this.listeners.push(l);
  }

  emit(e: RunEvent): void {
    const stamped = { t: Date.now() - this.t0, ...e };
    // Synchronous append: an event is on disk before the run moves on, so a
    // SIGKILL loses at most the event being written.
    appendFileSync(this.fd, JSON.stringify(stamped) + '\n');
    for (const l of this.listeners) l(stamped);
  }

  close(): void {
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }
}
