// Fan-out of QMP events to listeners and async iterators. Iterators buffer
// from the moment they are created, so `for await` never misses an event
// that arrives while the loop body is busy.
import type { QmpEvent } from './types.js';
import { aborted } from './wait.js';

type Listener = (event: QmpEvent) => void;

interface Reader {
  resolve(r: IteratorResult<QmpEvent>): void;
  reject(e: unknown): void;
}

class EventQueue implements AsyncIterableIterator<QmpEvent> {
  readonly #buffer: QmpEvent[] = [];
  #reader: Reader | undefined;
  /** undefined while open; null after a clean end; else the error to raise. */
  #end: Error | null | undefined;
  readonly #detach: () => void;
  readonly #signal?: AbortSignal;
  readonly #onAbort = (): void => this.finish(aborted('events', this.#signal!));

  constructor(detach: () => void, signal?: AbortSignal) {
    this.#detach = detach;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  push(event: QmpEvent): void {
    if (this.#end !== undefined) return;
    if (this.#reader) {
      const r = this.#reader;
      this.#reader = undefined;
      r.resolve({ value: event, done: false });
    } else {
      this.#buffer.push(event);
    }
  }

  /** Ends the iterator: buffered events are still delivered first. */
  finish(error: Error | null): void {
    if (this.#end !== undefined) return;
    this.#end = error;
    this.#detach();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const r = this.#reader;
    this.#reader = undefined;
    if (r) this.#settleEnd(r);
  }

  next(): Promise<IteratorResult<QmpEvent>> {
    const event = this.#buffer.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    return new Promise((resolve, reject) => {
      const reader = { resolve, reject };
      if (this.#end !== undefined) this.#settleEnd(reader);
      else this.#reader = reader;
    });
  }

  return(): Promise<IteratorResult<QmpEvent>> {
    this.finish(null);
    this.#buffer.length = 0;
    this.#end = null;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settleEnd(r: Reader): void {
    if (this.#end) {
      const error = this.#end;
      this.#end = null; // raise once, then report done
      r.reject(error);
    } else {
      r.resolve({ value: undefined, done: true });
    }
  }
}

export class EventStream {
  readonly #listeners = new Set<Listener>();
  readonly #queues = new Set<EventQueue>();
  #ended = false;

  add(fn: Listener): void {
    this.#listeners.add(fn);
  }

  remove(fn: Listener): void {
    this.#listeners.delete(fn);
  }

  emit(event: QmpEvent): void {
    for (const q of this.#queues) q.push(event);
    for (const fn of [...this.#listeners]) {
      try {
        fn(event);
      } catch (e) {
        // A throwing listener must not starve the others or break the read
        // loop; surface it the way a throwing EventEmitter listener would.
        process.nextTick(() => {
          throw e;
        });
      }
    }
  }

  iterate(signal?: AbortSignal): AsyncIterableIterator<QmpEvent> {
    const q: EventQueue = new EventQueue(() => this.#queues.delete(q), signal);
    if (this.#ended) q.finish(null);
    else if (signal?.aborted) q.finish(aborted('events', signal));
    else this.#queues.add(q);
    return q;
  }

  /** Connection over: iterators drain, then end (error) or finish (null). */
  end(error: Error | null): void {
    this.#ended = true;
    for (const q of [...this.#queues]) q.finish(error);
    this.#listeners.clear();
  }
}
