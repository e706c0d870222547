// Boots a real Debian guest under QEMU and runs the lifecycle scenario end
// to end. The assertions are about what the kernel did (iomem, QMP sizes,
// /dev/mem outcomes in the device region), not about our own output format.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIomem } from '../../src/guest/iomem.js';
import type { Report, StepReport } from '../../src/format/types.js';
import { resolveScenario } from '../../src/scenario/file.js';
import { labRun, qemuChildren, removeScratch } from './helpers.js';

const LIFECYCLE = await resolveScenario('lifecycle');


describe('lifecycle on debian:bookworm (real QEMU guest)', () => {
  let out: string;
  let report: Report;
  let shmDir: string;
  const step = (name: string): StepReport => report.steps.find((s) => s.name === name)!;
  const devBase = 0x100000000;
  const inDevice = (s: StepReport, op: string) =>
    s.probes.filter((p) => p.op === op && Number(p.addr) >= devBase && Number(p.addr) < devBase + 0x40000000);

  beforeAll(async () => {
    ({ report, out, dir: shmDir } = await labRun(LIFECYCLE));
  }, 900_000);

  afterAll(removeScratch);

  it('completes all 7 steps with at least 500 probes', () => {
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('completed');
    expect(report.steps.map((s) => s.name)).toEqual(LIFECYCLE.steps.map((s) => s.name));
    expect(report.summary.probes).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).summary.probes).toBe(report.summary.probes);
  });

  it('streams every probe to events.jsonl', () => {
    const lines = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((e) => e.type === 'probe').length).toBe(report.summary.probes);
    expect(lines.at(-1).type).toBe('run-end');
  });

  it('shows the device region appear, fill, empty and go as the driver comes and goes', () => {
    const top = (s: StepReport) => parseIomem(s.observations.iomem).filter((n) => n.start === devBase);
    expect(top(step('boot'))).toEqual([]);
    const bound = top(step('driver-loaded'));
    expect(bound.map((n) => n.name)).toEqual([expect.stringMatching(/^virtio\d+$/)]);
    const plugged = top(step('plug-512M'))[0].children.filter((c) => c.name === 'System RAM (virtio_mem)');
    expect(plugged.reduce((a, c) => a + c.end - c.start + 1, 0)).toBe(512 * 1024 * 1024);
    expect(top(step('unplug-to-0'))[0].children).toEqual([]);
    expect(top(step('rmmod'))).toEqual([]);
    expect(top(step('modprobe')).length).toBe(1);
  });

  it('QMP reports the sizes the scenario asked for', () => {
    const size = (s: string) => (step(s).observations.memoryDevices[0] as { data: { size: number } }).data.size;
    expect(size('plug-512M')).toBe(512 * 1024 * 1024);
    expect(size('unplug-to-256M')).toBe(256 * 1024 * 1024);
    expect(size('unplug-to-0')).toBe(0);
  });

  it('denies mmap of the device region while the driver is bound and allows it after a clean unload', () => {
    for (const name of ['driver-loaded', 'plug-512M', 'unplug-to-0', 'modprobe']) {
      const m = inDevice(step(name), 'mmap-shared');
      expect(m.length).toBeGreaterThan(0);
      expect(m.every((p) => p.observed.result === 'errno' && p.observed.errno === 'EPERM')).toBe(true);
    }
    const after = inDevice(step('rmmod'), 'mmap-shared');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((p) => p.observed.result === 'ok')).toBe(true);
  });

  it('raises high_memory on hot-add and never lowers it', () => {
    const he = (s: string) => Number(step(s).observations.highMemoryEnd);
    expect(he('plug-512M')).toBe(devBase + 512 * 1024 * 1024);
    expect(he('unplug-to-0')).toBe(he('plug-512M'));
    expect(he('boot')).toBeLessThan(devBase);
  });

  it('agrees with the model on every probe: 0 mismatches, 0 violations', () => {
    const bad = report.steps.flatMap((s) => s.probes.filter((p) => p.verdict !== 'match').map((p) => `${s.name} ${p.op} ${p.addr}: ${p.verdictReason}`));
    expect(bad).toEqual([]);
    expect(report.summary.matches).toBe(report.summary.probes);
  });

  it('agrees with the model on the virtio-mem shape, high_memory and the unload/reload at every step', () => {
    const bad = report.steps.flatMap((s) => (s.checks ?? []).filter((c) => c.verdict !== 'match').map((c) => `${s.name} ${c.rule}: ${c.message}`));
    expect(bad).toEqual([]);
    const rules = new Set(report.steps.flatMap((s) => (s.checks ?? []).map((c) => c.rule)));
    for (const r of ['R-VMEM-PARENT', 'R-VMEM-CHILD', 'R-VMEM-UNLOAD-CLEAN', 'R-HIGHMEM-HOTADD']) expect(rules).toContain(r);
  });

  it('exercises the rules the lifecycle reaches', () => {
    for (const r of ['R-DIA-RAM', 'R-RW-RANGE', 'R-RW-DENY', 'R-RW-COPY', 'R-MMAP-DENY', 'R-MMAP-PHYSBITS']) {
      expect(Object.keys(report.summary.rules).concat(Object.keys(report.summary.rulesVia))).toContain(r);
    }
  });

  it('holds S1, S4 and S5 at every step', () => {
    const status = Object.fromEntries(report.safety.map((e) => [e.id, e.status]));
    expect(status).toMatchObject({ S1: 'holds', S4: 'holds', S5: 'holds' });
    expect(report.safety.find((e) => e.id === 'S4')!.checks).toBe(LIFECYCLE.steps.length);
    expect(step('plug-512M').observations.host).toMatchObject({ qmpSize: 512 * 1024 * 1024, guestAddedBytes: 512 * 1024 * 1024, strayBlocks: [] });
  });

  it('leaves no QEMU process and no /dev/shm directory behind', () => {
    expect(qemuChildren()).toBe('');
    expect(shmDir).toMatch(/^\/dev\/shm\/devmem-lab-/);
    expect(existsSync(shmDir)).toBe(false);
  });
});
