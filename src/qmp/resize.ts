// Resizing the virtio-mem device: set requested-size, then follow the
// device's real `size` until it gets there. MEMORY_DEVICE_SIZE_CHANGE is
// rate-limited (one per second) and the last of a burst comes late, so the
// size is polled with qom-get; a guest that stalls an unplug retries only
// every 50 s or more, and setting the same requested-size again kicks it.
import { LabError } from '../util/errors.js';
import { sleep } from '../util/wait.js';

export interface QmpExecutor {
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T>;
}

export interface ResizeRecord {
  requested: number;
  from: number;
  reached: number;
  ms: number;
  kicks: number;
  /** [ms since start, size] whenever the size changed. */
  progress: [number, number][];
}

export const devicePath = (id: string) => `/machine/peripheral/${id}`;

export async function resizeDevice(
  qmp: QmpExecutor,
  id: string,
  bytes: number,
  opts: { timeoutMs?: number; kickAfterMs?: number; pollMs?: number; signal?: AbortSignal; check?: () => void } = {},
): Promise<ResizeRecord> {
  const path = devicePath(id);
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const kickAfterMs = opts.kickAfterMs ?? 5_000;
  const t0 = Date.now();
  const size = () => qmp.execute<number>('qom-get', { path, property: 'size' });
  const from = await size();
  const set = () => qmp.execute('qom-set', { path, property: 'requested-size', value: bytes });
  await set();
  const rec: ResizeRecord = { requested: bytes, from, reached: from, ms: 0, kicks: 0, progress: [[0, from]] };
  let lastChange = Date.now();
  for (;;) {
    opts.signal?.throwIfAborted();
    opts.check?.();
    const s = await size();
    if (s !== rec.reached) {
      rec.reached = s;
      rec.progress.push([Date.now() - t0, s]);
      lastChange = Date.now();
    }
    if (s === bytes) break;
    if (Date.now() - t0 > timeoutMs) {
      throw new LabError('E_RESIZE_TIMEOUT', 'run', `virtio-mem ${id} stopped at ${s} bytes of the requested ${bytes} after ${timeoutMs} ms`, {
        context: { ...rec, ms: Date.now() - t0 },
      });
    }
    if (Date.now() - lastChange > kickAfterMs) {
      await set();
      rec.kicks++;
      lastChange = Date.now();
    }
    await sleep(opts.pollMs ?? 50, opts.signal);
  }
  rec.ms = Date.now() - t0;
  return rec;
}
