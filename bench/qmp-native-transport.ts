// Diagnostic floor: the native addon transport with no QMP session on top —
// the same commands, JSON.stringify out and JSON.parse in, one promise per
// round trip, but no ids map, no per-command timer or AbortSignal, no
// events. native minus this is the session layer's cost (src/qmp/session.ts);
// this minus C is Node's and the addon's (event loop wakeup, N-API callback).
import { openNativeTransport } from '../src/qmp/native-transport.js';
import { competitorMain } from './competitor.js';
import { qmpExecLoop, type QmpParams, type QmpResult } from './qmp-loop.js';

competitorMain<QmpParams, QmpResult>(async (p) => {
  let onLine: ((msg: Record<string, unknown>) => void) | undefined;
  let greeted!: () => void;
  const greeting = new Promise<void>((r) => (greeted = r));
  const transport = await openNativeTransport(p.socket, {
    line: (text) => {
      const msg = JSON.parse(text) as Record<string, unknown>;
      if ('QMP' in msg) greeted();
      else if ('return' in msg || 'error' in msg) onLine?.(msg);
    },
    closed: (e) => {
      throw e ?? new Error('QEMU closed the QMP connection');
    },
  });
  try {
    await greeting;
    let id = 0;
    const exec = (execute: string, args?: Record<string, unknown>) =>
      new Promise<unknown>((resolve, reject) => {
        onLine = (msg) => ('error' in msg ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.return));
        transport.send(JSON.stringify(args ? { execute, arguments: args, id: id++ } : { execute, id: id++ }) + '\n');
      });
    await exec('qmp_capabilities');
    return await qmpExecLoop(exec, p);
  } finally {
    transport.close();
  }
});
