// --repeat on real guests: the lifecycle scenario three times, each repeat
// restored from the same saved guest. One probe's outcome is made to vary in
// the second repeat (fault injection: its observation is replaced by the
// outcome the kernel would give had it refused the read); exactly that probe
// must come out flaky, every other probe with its stable verdict, and
// compare against a single run must find no regression in it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReports } from '../../src/compare/index.js';
import { reportExitCode } from '../../src/format/findings.js';
import { runRepeated, repeatDir } from '../../src/lab/repeat.js';
import { runLab } from '../../src/lab/run.js';
import { resolveScenario } from '../../src/scenario/file.js';
import { removeScratch, scratch } from './helpers.js';

afterAll(removeScratch);

describe('--repeat (real guests, debian:bookworm)', () => {
  it('marks exactly the probe that varied flaky, and compare calls it no regression', async () => {
    const scenario = await resolveScenario('lifecycle');
    const out = scratch();
    let target: { step: string; id: number } | undefined;
    const merged = await runRepeated({
      kernel: 'debian:bookworm',
      scenario,
      out,
      accel: 'tcg',
      repeats: 3,
      runOne: async (opts, k) => {
        const r = await runLab(opts);
        // The first read the model expects to succeed, in the step that plugs memory.
        const step = r.steps.find((s) => s.name === 'plug-512M')!;
        const p = step.probes.find((x) => x.op === 'read' && x.verdict === 'match' && x.observed.result === 'ok')!;
        target ??= { step: step.name, id: p.id };
        if (k === 2) {
          const q = step.probes.find((x) => x.id === target!.id)!;
          q.observed = { result: 'errno', errno: 'EIO', syscall: 'pread' };
          q.verdict = 'mismatch';
        }
        return r;
      },
    });
    expect(merged.status).toBe('completed');
    expect(merged.environment.repeats).toMatchObject({ runs: 3, boots: 'restored' });
    for (const k of [1, 2, 3]) expect(existsSync(join(repeatDir(out, k), 'report.json'))).toBe(true);
    expect(existsSync(join(out, 'report.json'))).toBe(true);
    const flaky = merged.steps.flatMap((s) => s.probes.filter((p) => p.verdict === 'flaky').map((p) => ({ step: s.name, id: p.id })));
    expect(flaky).toEqual([target]);
    const p = merged.steps.find((s) => s.name === target!.step)!.probes.find((x) => x.id === target!.id)!;
    expect(p.repeats!.outcomes.map((o) => [o.verdict, o.count])).toEqual([['match', 2], ['mismatch', 1]]);
    expect(merged.summary.flaky).toBe(1);
    expect(merged.summary.mismatches).toBe(0);
    expect(reportExitCode(merged)).toBe(0);
    // Against a single (unrepeated) run: the flaky probe is no regression.
    const single = JSON.parse(await import('node:fs/promises').then((f) => f.readFile(join(repeatDir(out, 1), 'report.json'), 'utf8')));
    const d = compareReports(single, merged);
    expect(d.counts.regression).toBe(0);
    expect(d.counts.flaky).toBeGreaterThan(0);
  }, 600_000);
});
