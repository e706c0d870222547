// The QMP protocol over any LineTransport: greeting, capability
// negotiation, command ids matched to promises, events, disconnect. Both
// public clients (native and plain socket) are thin subclasses of this.
import { connectWithRetry } from './connect.js';
import { QmpError } from './errors.js';
import { EventStream } from './event-stream.js';
import { PendingCommands, type Pending } from './pending.js';
import type { LineSink, LineTransport, OpenTransport } from './transport.js';
import type { QmpCommands, QmpEvent, QmpEventData, QmpGreeting, QmpVersion } from './types.js';
import { aborted, bounded, timedOut } from './wait.js';

/** Default for each named wait; every call can override it. */
export const QMP_TIMEOUTS = {
  /** connect: socket retries + greeting + qmp_capabilities. */
  connectMs: 10_000,
  /** One command round trip; a busy TCG guest answers in well under 1 ms. */
  commandMs: 30_000,
  /** waitForEvent: guest-driven, e.g. a virtio-mem plug of hundreds of MiB. */
  eventMs: 60_000,
} as const;

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}
export type ConnectOptions = WaitOptions;
export type ExecuteOptions = WaitOptions;

type ArgsOf<C extends keyof QmpCommands> = QmpCommands[C]['args'] extends undefined
  ? [args?: undefined, options?: ExecuteOptions]
  : undefined extends QmpCommands[C]['args']
    ? [args?: QmpCommands[C]['args'], options?: ExecuteOptions]
    : [args: QmpCommands[C]['args'], options?: ExecuteOptions];

export class QmpSession implements Disposable {
  readonly socketPath: string;
  #transport: LineTransport | undefined;
  #greeting: QmpGreeting | undefined;
  #onGreeting: ((g: QmpGreeting) => void) | undefined;
  #nextId = 1;
  readonly #pending = new PendingCommands((p) => p.reject(timedOut(`execute ${p.command}`, p.timeoutMs, { command: p.command, socketPath: this.socketPath })));
  /** Rejecters of waits that end when the connection does (greeting, events). */
  readonly #waits = new Set<(e: QmpError) => void>();
  readonly #events = new EventStream();
  readonly #closeListeners = new Set<(error: QmpError | null) => void>();
  #closed: QmpError | null | undefined;
  readonly #sink: LineSink = {
    line: (text) => this.#line(text),
    closed: (error) => this.#lost(error),
  };

  protected constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** Connects, reads the greeting and leaves capability negotiation mode. */
  protected static async establish<S extends QmpSession>(
    session: S,
    open: OpenTransport,
    options: ConnectOptions = {},
  ): Promise<S> {
    const timeoutMs = options.timeoutMs ?? QMP_TIMEOUTS.connectMs;
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    const bounds = (): { timeoutMs: number; signal?: AbortSignal } => ({ timeoutMs: left(), signal: options.signal });
    try {
      const greeting = bounded<QmpGreeting>('greeting', { timeoutMs, signal: options.signal }, (resolve) => {
        session.#onGreeting = resolve;
        return () => (session.#onGreeting = undefined);
      }, { socketPath: session.socketPath });
      greeting.catch(() => {}); // observed below; avoid an unhandled rejection meanwhile
      session.#transport = await connectWithRetry(open, session.socketPath, session.#sink, deadline, timeoutMs, options.signal);
      session.#greeting = await session.#untilClosed(greeting);
      await session.execute('qmp_capabilities', undefined, bounds());
      return session;
    } catch (e) {
      session.close();
      throw e;
    }
  }

  /** The greeting QEMU sent on connect, as received. */
  get greeting(): QmpGreeting {
    return this.#greeting!;
  }

  /** QEMU's version from the greeting. */
  get version(): QmpVersion {
    return this.#greeting!.QMP.version;
  }

  /** Capabilities QEMU offered in the greeting (e.g. ['oob']); none are enabled. */
  get capabilities(): readonly string[] {
    return this.#greeting!.QMP.capabilities;
  }

  get isOpen(): boolean {
    return this.#closed === undefined;
  }

  execute<C extends keyof QmpCommands>(command: C, ...rest: ArgsOf<C>): Promise<QmpCommands[C]['result']>;
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options?: ExecuteOptions): Promise<T>;
  execute(command: string, args?: object, options: ExecuteOptions = {}): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#disconnected(command));
    const timeoutMs = options.timeoutMs ?? QMP_TIMEOUTS.commandMs;
    const signal = options.signal;
    if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(new RangeError(`execute ${command}: timeoutMs must be a finite number >= 0, got ${timeoutMs}`));
    }
    if (signal?.aborted) return Promise.reject(aborted(`execute ${command}`, signal, { command, socketPath: this.socketPath }));
    const id = this.#nextId++;
    const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
    const text = JSON.stringify(message) + '\n';
    return new Promise((resolve, reject) => {
      const pending: Pending = { command, deadline: Date.now() + timeoutMs, timeoutMs, resolve, reject };
      if (signal) {
        const onAbort = (): void => {
          if (this.#pending.settle(id)) reject(aborted(`execute ${command}`, signal, { command, socketPath: this.socketPath }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        pending.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.#pending.add(id, pending);
      try {
        this.#transport!.send(text);
      } catch (e) {
        if (this.#pending.settle(id)) reject(new QmpError('disconnected', `${command}: sending failed: ${String(e)}`, { command, socketPath: this.socketPath, cause: e }));
      }
    });
  }

  on(type: 'event', listener: (event: QmpEvent) => void): this;
  on(type: 'close', listener: (error: QmpError | null) => void): this;
  on(type: 'event' | 'close', listener: (arg: never) => void): this {
    if (type === 'event') this.#events.add(listener as (event: QmpEvent) => void);
    else this.#closeListeners.add(listener as (error: QmpError | null) => void);
    return this;
  }

  off(type: 'event', listener: (event: QmpEvent) => void): this;
  off(type: 'close', listener: (error: QmpError | null) => void): this;
  off(type: 'event' | 'close', listener: (arg: never) => void): this {
    if (type === 'event') this.#events.remove(listener as (event: QmpEvent) => void);
    else this.#closeListeners.delete(listener as (error: QmpError | null) => void);
    return this;
  }

  /**
   * Resolves with the next event called `name` whose data passes `predicate`.
   * Only events arriving after the call count: start waiting before the
   * command that triggers the event.
   */
  waitForEvent<N extends string>(
    name: N,
    predicate: (data: QmpEventData<N>, event: QmpEvent<N>) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<QmpEvent<N>> {
    if (this.#closed !== undefined) return Promise.reject(this.#disconnected());
    const bounds = { timeoutMs: options.timeoutMs ?? QMP_TIMEOUTS.eventMs, signal: options.signal };
    return bounded<QmpEvent<N>>(`event ${name}`, bounds, (resolve, reject) => {
      const listener = (event: QmpEvent): void => {
        if (event.event !== name) return;
        const typed = event as QmpEvent<N>;
        let match: boolean;
        try {
          match = predicate(typed.data, typed);
        } catch (e) {
          reject(e);
          return;
        }
        if (match) resolve(typed);
      };
      this.#events.add(listener);
      this.#waits.add(reject);
      return () => {
        this.#events.remove(listener);
        this.#waits.delete(reject);
      };
    }, { socketPath: this.socketPath });
  }

  /**
   * Events from now on. Ends when close() is called, throws QmpError
   * 'disconnected' if the connection is lost, 'aborted' if signal fires.
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<QmpEvent> {
    return this.#events.iterate(options.signal);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<QmpEvent> {
    return this.events();
  }

  /** Closes the connection; everything still waiting rejects as 'disconnected'. */
  close(): void {
    this.#transport?.close();
    this.#shutDown(null);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #line(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      this.#fail(new QmpError('protocol', `QEMU sent a line that is not JSON: ${text.slice(0, 200)}`, { socketPath: this.socketPath, cause: e }));
      return;
    }
    if ('QMP' in message) {
      this.#onGreeting?.(message as unknown as QmpGreeting);
    } else if ('event' in message) {
      this.#events.emit({ data: {}, ...message } as unknown as QmpEvent);
    } else if ('return' in message || 'error' in message) {
      this.#reply(message);
    }
    // Anything else is a message kind this client does not use; ignore it.
  }

  #lost(error: Error | null): void {
    const why = error ? `connection failed: ${error.message}` : 'QEMU closed the connection';
    this.#shutDown(new QmpError('disconnected', why, { socketPath: this.socketPath, cause: error ?? undefined }));
  }

  #reply(message: Record<string, unknown>): void {
    // Replies without an id of ours (e.g. to a line QEMU could not parse)
    // or after their wait timed out have no one to go to.
    const pending = typeof message.id === 'number' ? this.#pending.settle(message.id) : undefined;
    if (!pending) return;
    if ('error' in message) {
      const err = (message.error ?? {}) as { class?: string; desc?: string };
      pending.reject(new QmpError('command-failed', `${pending.command}: ${err.class}: ${err.desc}`, {
        command: pending.command, qmpClass: err.class, desc: err.desc, socketPath: this.socketPath,
      }));
    } else {
      pending.resolve(message.return);
    }
  }

  #fail(error: QmpError): void {
    this.#transport?.close();
    this.#shutDown(error);
  }

  #shutDown(error: QmpError | null): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    this.#pending.drain((p) => p.reject(this.#disconnected(p.command)));
    for (const reject of [...this.#waits]) reject(this.#disconnected());
    this.#events.end(error);
    for (const fn of [...this.#closeListeners]) {
      try {
        fn(error);
      } catch (e) {
        process.nextTick(() => {
          throw e;
        });
      }
    }
    this.#closeListeners.clear();
  }

  /** The error for a call cut short by the end of the connection. */
  #disconnected(command?: string): QmpError {
    const ended = this.#closed;
    const why = ended ? ended.message : 'connection closed';
    return new QmpError(ended?.reason ?? 'disconnected', command ? `${command}: ${why}` : why, {
      command,
      socketPath: this.socketPath,
      cause: ended?.cause,
    });
  }

  /** Rejects as soon as the connection ends, instead of waiting out the timeout. */
  #untilClosed<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#closed !== undefined) {
        reject(this.#disconnected());
        return;
      }
      const onEnd = (e: QmpError): void => reject(e);
      this.#waits.add(onEnd);
      p.then(resolve, reject).finally(() => this.#waits.delete(onEnd));
    });
  }
}
