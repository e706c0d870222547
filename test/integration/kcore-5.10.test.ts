// Debian bullseye's 5.10 predates "fs/proc/kcore: don't read offline
// sections, logically offline pages and hwpoisoned pages" (5.14): a
// /proc/kcore read of a virtio-mem PageOffline subblock goes through the
// direct map to unplugged device memory. The model predicts the read (the
// version row) and the host's view of the backend must catch the touch as
// S4, on exactly that block; 6.1 (the same scenario in scenarios.test.ts)
// reads zeros and S4 holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

describe('revoke on debian:bullseye (5.10, real guest)', () => {
  let report: Report;
  beforeAll(async () => {
    ({ report } = await labRun('revoke', { kernel: 'debian:bullseye' }));
  }, 900_000);
  afterAll(removeScratch);

  it('every probe matches the model, S2 and S3 hold', () => {
    expect(report.status).toBe('completed');
    expect(report.summary.mismatches).toBe(0);
    expect(report.summary.checks.mismatch).toBe(0);
    const status = Object.fromEntries(report.safety.map((e) => [e.id, e.status]));
    expect(status).toMatchObject({ S2: 'holds', S3: 'holds' });
  });

  it('the kcore read of the PageOffline page reaches unplugged memory, and S4 names that block', () => {
    const step = report.steps.find((s) => s.name === 'plug-500M')!;
    const offline = step.probes.find((p) => p.op === 'kcore' && p.why.includes('unplugged subblock'))!;
    expect(offline.expected).toMatchObject({ outcome: 'data', rule: 'R-KCORE-OFFLINE' });
    const s4 = report.safety.find((e) => e.id === 'S4')!;
    expect(s4.status).toBe('violated');
    const stray = (step.observations.host as { strayBlocks: { addr: string }[] }).strayBlocks;
    expect(stray.map((b) => b.addr)).toEqual([offline.addr]);
  });
});
