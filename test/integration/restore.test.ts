// Boot once, run many (src/lab/saved.ts) on real guests: a run restored from
// the saved post-boot guest behaves like a booted one. Every built-in
// scenario runs both ways on Debian's default kernel and `compare` must find
// no difference in behaviour (timings and page contents are not compared). A state QEMU cannot load makes
// the run boot, say so, and save a new one.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReports, differenceTitle } from '../../src/compare/index.js';
import type { Report } from '../../src/format/types.js';
import { builtinScenarioNames } from '../../src/scenario/file.js';
import { cacheRoot } from '../../src/util/cache.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

/** A restored run: the first run of a configuration boots and saves, so run again if it did. */
async function restored(scenario: string): Promise<Report> {
  const first = (await labRun(scenario)).report;
  if (first.environment.origin?.mode === 'restored') return first;
  expect(first.environment.origin?.mode).toBe('booted-and-saved');
  return (await labRun(scenario)).report;
}

const BUILTINS = await builtinScenarioNames();

describe('restored guests (real guests, debian:bookworm)', () => {
  it('covers every built-in scenario', () => expect(BUILTINS.length).toBeGreaterThanOrEqual(9));
  for (const name of BUILTINS) {
    it(`${name}: restored and booted runs do not differ`, async () => {
      const r = await restored(name);
      expect(r.environment.origin).toMatchObject({ mode: 'restored' });
      const b = (await labRun(name, { freshBoot: true })).report;
      expect(b.environment.origin).toEqual({ mode: 'booted' });
      // The waits after the guest came up follow its measured speed, never below TCG's base.
      expect(r.environment.timing).toMatchObject({ accel: 'tcg', basis: 'restore', referenceMs: 1_500 });
      expect(b.environment.timing).toMatchObject({ accel: 'tcg', basis: 'boot', referenceMs: 6_000 });
      for (const x of [r, b]) expect(x.environment.timing!.timeouts.resize).toBe(Math.round(180_000 * x.environment.timing!.factor));
      expect(r.status).toBe(b.status);
      const diff = compareReports(b, r);
      // Content differences (whether the bytes of a page the kernel uses,
      // e.g. a plugged device page read through /proc/kcore, were all zero)
      // come and go between two booted runs too: they are not behaviour.
      expect(diff.differences.filter((d) => d.severity !== 'content').map((d) => `${d.severity} ${differenceTitle(d)}`)).toEqual([]);
      expect(diff.compared.sharedProbes).toBeGreaterThan(0);
      // A fresh backend: nothing populated at step 0 of the restored run.
      for (const id of ['S4', 'S5']) expect(r.safety.find((s) => s.id === id)!.evidence[0]).toMatch(/^boot: .*\b0 (bytes )?populated|^boot: no populated page/);
    }, 600_000);
  }

  it('a saved state QEMU cannot load: the run boots, reports why, and saves a new state', async () => {
    const r = await restored('lifecycle');
    const state = join(cacheRoot(), 'saved', (r.environment.origin as { state: string }).state, 'state');
    const size = (await stat(state)).size;
    // Same size (so it is still found), garbage inside.
    const f = await open(state, 'r+');
    await f.write(Buffer.alloc(4096, 0x5a), 0, 4096, 0);
    await f.close();
    const again = (await labRun('lifecycle')).report;
    expect(again.status).toBe('completed');
    expect(again.environment.origin).toMatchObject({ mode: 'booted-after-failed-restore', resaved: true, error: expect.stringMatching(/restoring the saved guest \w+ failed: .+/) });
    expect((await stat(state)).size).toBeGreaterThan(0);
    expect((await labRun('lifecycle')).report.environment.origin).toMatchObject({ mode: 'restored' });
    expect(size).toBeGreaterThan(0);
  }, 600_000);
});
