import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADDRESS_CLASSES, addressMap, classifyAddress, describeExpected, describeObserved, outcomeKind, probeOutcome, readableReport, runName, stepClassifier } from '../../src/format/classes.js';
import type { Report, StepReport } from '../../src/format/types.js';

const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const step = (r: Report, name: string): StepReport => r.steps.find((s) => s.name === name)!;

describe('address classes on a real 6.1 lifecycle run', () => {
  const r = load('6.1-lifecycle');
  const at = (stepName: string, addr: number) => classifyAddress(addressMap(step(r, stepName).observations), addr);

  it('the low MiB, RAM and the kernel image', () => {
    expect(at('plug-512M', 0x0)).toBe('low-mib');
    expect(at('plug-512M', 0x50000)).toBe('low-mib');
    expect(at('plug-512M', 0x2006f000)).toBe('ram');
    // Kernel code sits inside System RAM wherever KASLR put it.
    expect(at('plug-512M', 0x3b600000)).toBe('ram');
  });

  it('busy MMIO is a claim somewhere in the chain; free MMIO only idle windows', () => {
    expect(at('boot', 0xfebf8000)).toBe('mmio-busy'); // virtio-pci-modern inside BAR 0000:00:01.0
    expect(at('boot', 0xfee00000)).toBe('mmio-busy'); // Local APIC
    expect(at('boot', 0xb7fff000)).toBe('mmio-busy'); // PCI MMCONFIG > Reserved > pnp 00:04
    expect(at('boot', 0x77fff000)).toBe('mmio-free'); // PCI Bus window
    expect(at('boot', 0xfed00000)).toBe('mmio-free'); // HPET 0 > PNP0103:00
    expect(at('boot', 0x3ffef000)).toBe('mmio-free'); // E820 Reserved above 1 MiB
  });

  it('a hole is "beyond high_memory" until hot-add raises high_memory past it', () => {
    expect(step(r, 'boot').observations.highMemoryEnd).toBe('0x3ffe0000');
    expect(at('boot', 0xfed20000)).toBe('beyond-high-memory');
    expect(at('plug-512M', 0xfed20000)).toBe('unclaimed-hole');
    expect(at('plug-512M', 0x10000000000)).toBe('beyond-high-memory');
  });

  it('the device region is plugged where the guest shows System RAM (virtio_mem)', () => {
    expect(at('boot', 0x100000000)).toBe('device-region-unplugged');
    expect(at('plug-512M', 0x100000000)).toBe('device-region-plugged');
    expect(at('plug-512M', 0x11ffff000)).toBe('device-region-plugged');
    expect(at('plug-512M', 0x120000000)).toBe('device-region-unplugged');
    expect(at('plug-512M', 0x13ffff000)).toBe('device-region-unplugged');
    expect(at('plug-512M', 0x140000000)).toBe('mmio-free'); // the 64-bit PCI window after the device
    expect(at('unplug-to-256M', 0x10ffff000)).toBe('device-region-plugged');
    expect(at('unplug-to-256M', 0x110000000)).toBe('device-region-unplugged');
    const m = addressMap(step(r, 'plug-512M').observations);
    expect(m.devices).toEqual([{ id: 'vm0', start: 0x100000000, end: 0x13fffffff, plugged: [{ start: 0x100000000, end: 0x11fffffff }], pluggedFrom: 'iomem' }]);
  });

  it('every class occurs in the run, and every probe gets one', () => {
    const seen = new Set<string>();
    for (const s of r.steps) {
      const classOf = stepClassifier(s);
      for (const p of s.probes) seen.add(classOf(p));
    }
    expect([...seen].sort()).toEqual([...ADDRESS_CLASSES].sort());
  });
});

describe('address classes without the usual evidence', () => {
  const obs = step(load('6.1-lifecycle'), 'plug-512M').observations;

  it('QMP size stands in when the guest shows no System RAM (virtio_mem)', () => {
    const iomem = obs.iomem
      .split('\n')
      .filter((l) => !l.includes('System RAM (virtio_mem)'))
      .join('\n');
    const m = addressMap({ ...obs, iomem });
    expect(m.devices[0].pluggedFrom).toBe('qmp-size');
    expect(classifyAddress(m, 0x11ffff000)).toBe('device-region-plugged');
    expect(classifyAddress(m, 0x120000000)).toBe('device-region-unplugged');
  });

  it('the "virtioN" parent names the region when QMP gave nothing', () => {
    const m = addressMap({ ...obs, memoryDevices: [] });
    expect(m.devices.map((d) => [d.id, d.start, d.end])).toEqual([['virtio0', 0x100000000, 0x13fffffff]]);
    expect(classifyAddress(m, 0x100000000)).toBe('device-region-plugged');
  });

  it('unreadable iomem and an unknown high_memory leave holes', () => {
    const m = addressMap({ iomem: '00000000-00000000 : Reserved\n00000000-00000000 : System RAM', memoryDevices: [], highMemoryEnd: null });
    expect(m.roots).toEqual([]);
    expect(classifyAddress(m, 0x40000000)).toBe('unclaimed-hole');
    expect(classifyAddress(m, 0x1000)).toBe('low-mib');
  });
});

describe('outcomes', () => {
  const r = load('6.1-lifecycle');
  const probes = step(r, 'plug-512M').probes;
  const find = (addr: string, op: string) => probes.find((p) => p.addr === addr && p.op === op)!;

  it('names what the kernel did, not the bytes', () => {
    expect(probeOutcome(find('0x0', 'read'))).toBe('data');
    expect(probeOutcome(find('0x50000', 'read'))).toBe('zeros');
    expect(probeOutcome(find('0x0', 'mmap-shared'))).toBe('mapped');
    expect(probeOutcome(find('0x2006f000', 'read'))).toBe('errno:EPERM');
    expect(probeOutcome(find('0x120000000', 'read'))).toBe('errno:EFAULT');
    expect(probeOutcome(find('0x10000000000', 'mmap-shared'))).toBe('errno:EINVAL');
    expect(probeOutcome({ op: 'touch-shared', observed: { result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0 } })).toBe('signal:SIGBUS');
    expect(probeOutcome({ op: 'hold-shared', observed: { result: 'ok' } })).toBe('mapped');
  });

  it('groups outcomes into colour families', () => {
    expect(['data', 'mapped', 'zeros', 'errno:EPERM', 'errno:EFAULT', 'errno:EINVAL', 'signal:SIGBUS', 'refused'].map(outcomeKind)).toEqual([
      'allowed',
      'allowed',
      'zeros',
      'eperm',
      'efault',
      'errno',
      'signal',
      'refused',
    ]);
  });

  it('describes expectation and observation in words', () => {
    const p = find('0x2006f000', 'mmap-shared');
    expect(describeExpected(p.expected!)).toBe('errno EPERM (mmap) by R-MMAP-DENY');
    expect(describeObserved(p.op, p.observed)).toBe('errno EPERM (mmap)');
    expect(describeObserved('read', find('0x50000', 'read').observed)).toBe('zeros, 4096 bytes');
  });
});

describe('run names', () => {
  it('kernel, scenario and the command line beyond the profile', () => {
    expect(runName(load('6.1-lifecycle'))).toBe('6.1.0-56-amd64 / lifecycle / default cmdline');
    expect(runName(load('6.1-iomem-relaxed'))).toBe('6.1.0-56-amd64 / lifecycle / iomem=relaxed');
    expect(runName(load('6.12-lifecycle'))).toBe('6.12.117+deb12-amd64 / lifecycle / default cmdline');
    expect(runName(load('6.1-touch-unplugged'))).toBe('6.1.0-56-amd64 / touch-unplugged / default cmdline');
  });
});

describe('reports from earlier lab versions', () => {
  it('get safety, findings and the summary counts they lack; what they have wins', () => {
    const r = load('6.12-lifecycle');
    const old = structuredClone(r) as Partial<Report> & Pick<Report, 'steps' | 'summary'>;
    delete old.safety;
    delete old.findings;
    const { matches: _m, mismatches: _mm, checks: _c, ...rest } = old.summary;
    old.summary = { ...rest, durationMs: 4321 } as Report['summary'];
    const fixed = readableReport(old as Report);
    expect(fixed.safety).toEqual([]);
    expect(fixed.findings).toEqual([]);
    const kept = r.steps.reduce((n, s) => n + s.probes.length, 0);
    expect(fixed.summary.matches).toBe(kept); // recomputed from the probes present
    expect(fixed.summary.checks).toEqual({ match: 0, mismatch: 0 });
    expect(fixed.summary.probes).toBe(r.summary.probes); // the report's own count wins
    expect(fixed.summary.durationMs).toBe(4321);
  });
});
