// Competitor: the same QMP session over a plain node:net socket (no addon).
import { PlainQmpClient } from '../src/qmp/plain-client.js';
import { competitorMain } from './competitor.js';
import { qmpLoop, type QmpParams, type QmpResult } from './qmp-loop.js';

competitorMain<QmpParams, QmpResult>(async (p, signal) => {
  const client = await PlainQmpClient.connect(p.socket, { signal });
  try {
    return await qmpLoop(client, p);
  } finally {
    client.close();
  }
});
