// The commands a QMP session has in flight: each one's promise callbacks and
// deadline, and one timer for all of them, armed for the earliest deadline
// and left armed when a command answers in time — a round trip costs no
// timer set-up or tear-down (a setTimeout/clearTimeout pair per command was
// most of the session layer's cost over the bare transport, see
// docs/benchmarks.md). Unref'd: the open socket keeps the process alive.

export interface Pending {
  command: string;
  /** Date.now() after which the command times out. */
  deadline: number;
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Detaches the AbortSignal listener, if any. */
  detach?: () => void;
}

export class PendingCommands {
  readonly #pending = new Map<number, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  /** `onExpired` rejects a command whose deadline passed (it is already out of the table). */
  constructor(private readonly onExpired: (p: Pending) => void) {}

  add(id: number, p: Pending): void {
    this.#pending.set(id, p);
    this.#arm(p.deadline);
  }

  /** Takes a command out of the table; undefined if it had already ended. */
  settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    p.detach?.();
    return p;
  }

  /** Ends every command (the connection is gone), stopping the timer. */
  drain(reject: (p: Pending) => void): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const id of [...this.#pending.keys()]) reject(this.settle(id)!);
  }

  #arm(deadline: number): void {
    if (this.#timer && deadline >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, deadline - Date.now()));
    this.#timer.unref();
  }

  /** Rejects the commands past their deadline; re-arms for the next one. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, p] of this.#pending) {
      if (p.deadline <= now) {
        this.settle(id);
        this.onExpired(p);
      } else if (p.deadline < next) next = p.deadline;
    }
    if (next !== Infinity) this.#arm(next);
  }
}
