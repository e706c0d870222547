// S4 must catch a real touch: before virtio_mem loads, the device region is
// unclaimed and /dev/mem lets root map and read it. The guest reads one page
// of device block 5; the host's scan of the shared backend must flag exactly
// that block (and nothing at the boot step before it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

describe('S4 on a guest that touches an unplugged block (real QEMU guest)', () => {
  let report: Report;

  beforeAll(async () => {
    ({ report } = await labRun('touch-unplugged'));
  }, 900_000);

  afterAll(removeScratch);

  it('the kernel allowed the touch (the region is unclaimed)', () => {
    expect(report.status).toBe('completed');
    const access = report.steps[1].observations.action.access as { observed: { result: string; bytes: number } };
    expect(access.observed).toMatchObject({ result: 'ok', bytes: 4096 });
  });

  it('flags exactly block 5, only after the touch', () => {
    const s4 = report.safety.find((e) => e.id === 'S4')!;
    expect(s4.status).toBe('violated');
    expect(report.steps[0].observations.host).toMatchObject({ strayBlocks: [] });
    const stray = (report.steps[1].observations.host as { strayBlocks: { block: number; addr: string }[] }).strayBlocks;
    expect(stray).toEqual([{ block: 5, addr: '0x100a00000', offset: '0xa00000', bytes: 4096 }]);
  });
});
