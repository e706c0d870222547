// The QMP clients' waits (connect, greeting, events) go through bounded():
// each has a name, a timeout and an optional AbortSignal, and always
// unregisters whatever it was waiting on, however it ends. Commands keep
// the same contract with one shared deadline timer (session.ts execute()).
import { QmpError } from './errors.js';

export interface WaitBounds {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Awaits something registered by `register`, which receives the settle
 * functions and returns how to unregister. Rejects with QmpError reason
 * 'timeout' or 'aborted' naming the wait.
 */
export function bounded<T>(
  wait: string,
  bounds: WaitBounds,
  register: (resolve: (v: T) => void, reject: (e: unknown) => void) => () => void,
  context: { command?: string; socketPath?: string } = {},
): Promise<T> {
  const { timeoutMs, signal } = bounds;
  if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
    return Promise.reject(new RangeError(`${wait}: timeoutMs must be a finite number >= 0, got ${timeoutMs}`));
  }
  if (signal?.aborted) return Promise.reject(aborted(wait, signal, context));

  return new Promise<T>((resolve, reject) => {
    let done = false;
    let unregister: (() => void) | undefined;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unregister?.();
      return true;
    };
    const onAbort = (): void => {
      if (finish()) reject(aborted(wait, signal!, context));
    };
    const timer = setTimeout(() => {
      if (finish()) {
        reject(timedOut(wait, timeoutMs, context));
      }
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      unregister = register(
        (v) => finish() && resolve(v),
        (e) => finish() && reject(e),
      );
      // register may have settled synchronously, before unregister existed.
      if (done) unregister();
    } catch (e) {
      if (finish()) reject(e);
    }
  });
}

/** The error of a named wait that saw no answer in time. */
export function timedOut(wait: string, timeoutMs: number, context: { command?: string; socketPath?: string } = {}): QmpError {
  return new QmpError('timeout', `${wait}: no answer within ${timeoutMs} ms`, { ...context, wait, timeoutMs });
}

export function aborted(wait: string, signal: AbortSignal, context: { command?: string; socketPath?: string } = {}): QmpError {
  return new QmpError('aborted', `${wait}: aborted`, { ...context, wait, cause: signal.reason });
}
