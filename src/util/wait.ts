// Named, abortable waits. Every wait in the lab has a name and a timeout, so
// a hang reports *what* it was waiting for.
import { LabError } from './errors.js';

export class TimeoutError extends LabError {
  constructor(readonly waitName: string, readonly timeoutMs: number, context: Record<string, unknown> = {}) {
    super('E_TIMEOUT', 'run', `timed out after ${timeoutMs} ms waiting for ${waitName}`, { context: { wait: waitName, timeoutMs, ...context } });
  }
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Polls `probe` until it returns a value other than undefined. `check` runs
 * before each poll and throws if what we wait on already died (QEMU exited).
 */
export async function pollUntil<T>(
  name: string,
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; check?: () => void },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    opts.check?.();
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new TimeoutError(name, opts.timeoutMs);
    await sleep(opts.intervalMs ?? 100, opts.signal);
  }
}
