// Connecting to QEMU's QMP socket while QEMU may still be starting: the
// socket file may not exist yet (ENOENT) or not be listening (ECONNREFUSED),
// and a busy listener's backlog may be full (EAGAIN). Those are retried with
// backoff until the connect deadline; anything else fails at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { isSystemError } from '../native/native-error.js';
import { QmpError } from './errors.js';
import type { LineSink, LineTransport, OpenTransport } from './transport.js';
import { aborted } from './wait.js';

const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);
const RETRY_DELAY_MS = { first: 10, max: 200 };

export async function connectWithRetry(
  open: OpenTransport,
  socketPath: string,
  sink: LineSink,
  deadline: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<LineTransport> {
  let delay = RETRY_DELAY_MS.first;
  for (;;) {
    if (signal?.aborted) throw aborted('connect', signal, { socketPath });
    try {
      return await open(socketPath, sink);
    } catch (e) {
      if (!isSystemError(e)) throw e; // e.g. AddonLoadError: not a socket problem
      if (!RETRYABLE.has(e.code)) {
        throw new QmpError('connect-failed', `cannot connect to ${socketPath}: ${e.code}`, { socketPath, cause: e });
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new QmpError('timeout', `connect: ${socketPath} not accepting within ${timeoutMs} ms (last: ${e.code})`, {
          wait: 'connect', timeoutMs, socketPath, cause: e,
        });
      }
      try {
        await sleep(Math.min(delay, left), undefined, { signal });
      } catch {
        throw aborted('connect', signal!, { socketPath });
      }
      delay = Math.min(delay * 2, RETRY_DELAY_MS.max);
    }
  }
}
