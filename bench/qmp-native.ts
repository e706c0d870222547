// Competitor: the lab's QMP client over the native addon transport.
import { QmpClient } from '../src/qmp/client.js';
import { competitorMain } from './competitor.js';
import { qmpLoop, type QmpParams, type QmpResult } from './qmp-loop.js';

competitorMain<QmpParams, QmpResult>(async (p, signal) => {
  const client = await QmpClient.connect(p.socket, { signal });
  try {
    return await qmpLoop(client, p);
  } finally {
    client.close();
  }
});
