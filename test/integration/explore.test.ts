// explore on a real guest: a short seeded exploration runs every sequence to
// the end and records it, and a reproducer explore shrunk (the VMA-split PAT
// leak, docs/findings/pat-split-leak.md) replays with `run` as the same S6
// violation: munmap of the split VMA must free the one-page reservation
// (untrack_pfn() → memtype_free()), and on Debian 6.1 it does not.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explore } from '../../src/explore/run.js';
import { loadScenarioFile } from '../../src/scenario/file.js';
import { loadProfile } from '../../src/vm/profile.js';
import { labRun, removeScratch, scratch } from './helpers.js';

afterAll(removeScratch);

describe('explore (real guests, debian:bookworm)', () => {
  it('runs a seeded exploration and lists every sequence', async () => {
    const out = scratch();
    const profile = await loadProfile('default');
    const r = await explore({ kernel: 'debian:bookworm', seed: 3, runs: 3, shrinkMs: 60_000, maxCommands: 4, cmdline: [], accel: 'tcg', profile: 'default', device: profile.virtioMem, out, say: () => {} });
    const listed = JSON.parse(await readFile(join(out, 'explore.json'), 'utf8')) as { sequences: { status: string }[] };
    expect(listed.sequences.length).toBe(r.sequences.length);
    expect(r.sequences.filter((s) => !s.shrinking)).toHaveLength(3);
    expect(r.sequences.every((s) => s.status === 'completed')).toBe(true);
  }, 600_000);

  it('a shrunk reproducer replays with run: the split VMA leaks its reservation (S6)', async () => {
    const scenario = await loadScenarioFile(new URL('../fixtures/explore/split-leak.json', import.meta.url).pathname);
    const { report } = await labRun(scenario);
    expect(report.status).toBe('completed');
    const s6 = report.safety.find((s) => s.id === 'S6')!;
    expect(s6.status).toBe('violated');
    expect(s6.evidence.some((e) => /^s2-release-h1: released h1 \(0x[0-9a-f]+\) left \[mem 0x[0-9a-f]+-0x[0-9a-f]+\] write-back: the reservation outlived its mapping$/.test(e))).toBe(true);
  }, 600_000);

  it('a model error explore found stays fixed: a revoked mapping straddling the claim reads its live first page', async () => {
    const scenario = await loadScenarioFile(new URL('../fixtures/explore/straddle-revoke.json', import.meta.url).pathname);
    const { report } = await labRun(scenario);
    expect(report.summary.mismatches).toBe(0);
    expect(report.safety.find((s) => s.id === 'S3')!.status).toBe('holds');
    const read = report.steps.find((s) => s.name === 's2-modprobe')!.probes.find((p) => p.op === 'held-procmem-shared')!;
    // fs/proc/base.c mem_rw(): the live page 0xfffff000 is copied, the zapped device page ends the read.
    expect(read.observed).toMatchObject({ result: 'ok', bytes: 4096 });
    expect(read.verdict).toBe('match');
  }, 600_000);

  it('a model error explore found stays fixed: rmmod after a failed reload logs nothing and keeps the parent', async () => {
    const scenario = await loadScenarioFile(new URL('../fixtures/explore/rmmod-after-failed-reload.json', import.meta.url).pathname);
    const { report } = await labRun(scenario);
    expect(report.summary.mismatches).toBe(0);
    const reload = report.steps.find((s) => s.name === 's4-modprobe')!;
    // The first instance's memory block and parent stay: virtio_mem_create_resource() fails EBUSY.
    expect(reload.observations.virtioMemBound).toBe(false);
    expect(reload.observations.dmesg.some((l) => l.includes('could not reserve device region'))).toBe(true);
    const second = report.steps.find((s) => s.name === 's5-rmmod')!;
    expect(second.observations.dmesg.some((l) => l.includes('device still has system memory added'))).toBe(false);
    expect(second.checks!.filter((c) => c.rule === 'R-VMEM-UNLOAD-BUSY').map((c) => c.verdict)).toEqual(['match', 'match']);
  }, 600_000);
});
