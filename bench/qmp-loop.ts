// The measured loop shared by the Node QMP competitors: one command in
// flight at a time, the three commands interleaved so drift in the guest's
// load hits them alike. Each sample is one execute() from call to resolved
// promise, on process.hrtime (ns).
import type { QmpSession } from '../src/qmp/session.js';

export const QMP_COMMANDS = ['query-status', 'qom-get', 'qom-set'] as const;
export type QmpCommandName = (typeof QMP_COMMANDS)[number];

export interface QmpParams {
  socket: string;
  /** QOM path of the virtio-mem device, e.g. /machine/peripheral/vm0. */
  device: string;
  iterations: number;
  warmup: number;
}

export interface QmpResult {
  /** Round-trip times in ns, per command. */
  samplesNs: Record<QmpCommandName, number[]>;
  /** The requested-size read and written back. */
  requestedSize: number;
}

/** One QMP command's round trip, however the competitor sends it. */
export type QmpExec = (command: string, args?: Record<string, unknown>) => Promise<unknown>;

/** The loop over a QmpSession (native and plain clients). */
export const qmpLoop = (client: QmpSession, p: QmpParams): Promise<QmpResult> => qmpExecLoop((c, a) => client.execute(c, a), p);

export async function qmpExecLoop(exec: QmpExec, p: QmpParams): Promise<QmpResult> {
  const requestedSize = (await exec('qom-get', { path: p.device, property: 'requested-size' })) as number;
  const calls: Record<QmpCommandName, () => Promise<unknown>> = {
    'query-status': () => exec('query-status'),
    'qom-get': () => exec('qom-get', { path: p.device, property: 'requested-size' }),
    // The same value back: no resize, only the property write path.
    'qom-set': () => exec('qom-set', { path: p.device, property: 'requested-size', value: requestedSize }),
  };
  const samplesNs = { 'query-status': [], 'qom-get': [], 'qom-set': [] } as Record<QmpCommandName, number[]>;
  for (let i = 0; i < p.warmup + p.iterations; i++) {
    for (const name of QMP_COMMANDS) {
      const t0 = process.hrtime.bigint();
      await calls[name]();
      const ns = Number(process.hrtime.bigint() - t0);
      if (i >= p.warmup) samplesNs[name].push(ns);
    }
  }
  return { samplesNs, requestedSize };
}
