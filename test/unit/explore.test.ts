import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/explore-cmd.js';
import { exploreCommands, stepsOf } from '../../src/explore/grammar.js';
import { kernelFunctions, observedAgainstExpected, signature } from '../../src/explore/finding.js';
import type { Report } from '../../src/format/types.js';
import { checkScenarioFits } from '../../src/lab/scenario.js';
import { parseScenario } from '../../src/scenario/file.js';
import type { ScenarioStep } from '../../src/lab/scenario.js';
import { loadProfile } from '../../src/vm/profile.js';

const dev = { sizeMiB: 1024, blockSizeMiB: 2 };
const sequences = (seed: number, n: number): ScenarioStep[][] =>
  fc.sample(fc.commands(exploreCommands(dev), { maxCommands: 8 }), { seed, numRuns: n }).map((c) => stepsOf(c));

describe('explore grammar', () => {
  it('every generated sequence is a scenario file the lab accepts and that fits the default machine', async () => {
    const profile = await loadProfile('default');
    for (const steps of sequences(42, 300)) {
      const s = parseScenario({ name: 'explore-x', description: 'd', steps }, 'generated');
      checkScenarioFits(s, profile);
    }
  });

  it('keeps the preconditions: a resize or host pattern only while the driver is bound, a release only of a mapping held', () => {
    for (const steps of sequences(7, 300)) {
      let bound = false;
      const held = new Set<string>();
      const live = new Map<string, string>();
      for (const { action: a } of steps) {
        // Never two live holds of one target, page count and kind: the agent would keep one mapping for both.
        if (a.kind === 'hold') for (const m of a.mappings) {
          const k = JSON.stringify([m.target, m.pages ?? 1, !!m.private]);
          expect(live.has(k)).toBe(false);
          live.set(k, m.name);
        }
        if (a.kind === 'release') for (const [k, n] of live) if (a.mappings.includes(n)) live.delete(k);
        if (a.kind === 'modprobe') bound = true;
        if (a.kind === 'rmmod') bound = false;
        if (a.kind === 'resize' || a.kind === 'host-pattern') expect(bound).toBe(true);
        if (a.kind === 'hold') a.mappings.forEach((m) => held.add(m.name));
        if (a.kind === 'release') for (const n of a.mappings) expect(held.delete(n)).toBe(true);
        // Nothing writes guest memory through /dev/mem.
        if (a.kind === 'access') expect(['write', 'cow-write', 'cow-procmem']).not.toContain(a.op);
        if (a.kind === 'hold') expect(a.mappings.some((m) => m.ptraceWrite)).toBe(false);
        // No read of device memory while no driver is bound (the touch-unplugged class).
        if (a.kind === 'access' && a.deviceOffsetMiB !== undefined && !bound) expect(['read', 'touch-shared', 'touch-private']).not.toContain(a.op);
        expect(a.kind).not.toBe('guest-command');
      }
    }
  });

  it('a seed gives the same sequences every time; another seed other ones', () => {
    expect(sequences(123, 30)).toEqual(sequences(123, 30));
    expect(sequences(124, 30)).not.toEqual(sequences(123, 30));
  });

  it('reaches a straddling hold made before the driver is loaded and released after it (the revoke leak), and releases by every path (split, mremap moves, fork)', () => {
    const all = sequences(1, 2000);
    const revokeThenRelease = all.some((steps) => {
      const hold = steps.findIndex((s) => s.action.kind === 'hold' && s.action.mappings.some((m) => 'deviceEdge' in m.target && m.target.deviceEdge === 'last' && (m.pages ?? 1) > 1));
      const load = steps.findIndex((s, i) => i > hold && s.action.kind === 'modprobe');
      const name = hold >= 0 && steps[hold].action.kind === 'hold' ? steps[hold].action.mappings[0].name : '';
      return hold >= 0 && load > hold && steps.some((s, i) => i > load && s.action.kind === 'release' && s.action.mappings.includes(name));
    });
    expect(revokeThenRelease).toBe(true);
    for (const how of ['split', 'move', 'move-head', 'move-tail', 'grow', 'fork']) {
      expect(all.some((steps) => steps.some((s) => s.action.kind === 'release' && s.action.how === how)), how).toBe(true);
    }
    // A one-page mapping has nothing to split, and moving part of it moves it all.
    let onePage = 0;
    for (const steps of all) {
      const pages = new Map(steps.flatMap((s) => (s.action.kind === 'hold' ? s.action.mappings.map((m) => [m.name, m.pages ?? 1] as const) : [])));
      for (const s of steps) {
        if (s.action.kind !== 'release' || pages.get(s.action.mappings[0]) !== 1) continue;
        onePage++;
        expect(['split', 'move-head', 'move-tail']).not.toContain(s.action.how);
      }
    }
    expect(onePage).toBeGreaterThan(0);
    expect(all.some((steps) => steps.some((s) => s.action.kind === 'hold' && s.action.mappings.some((m) => 'deviceEdge' in m.target && m.target.deviceEdge === 'first')))).toBe(true);
  });
});

describe('explore findings', () => {
  const report = {
    environment: { guest: { version: 'Linux version 6.1.0-44-amd64', cmdline: 'console=ttyS0', physBits: 40, lockdown: 'none' } },
    status: 'completed',
    steps: [
      {
        name: 's3-release-h1',
        action: 'release h1',
        probes: [],
        checks: [{ rule: 'R-VMEM-PARENT', verdict: 'mismatch', message: 'no virtio0 resource' }],
      },
    ],
    safety: [
      { id: 'S6', text: 'memtype coherence', status: 'violated', checks: 2, evidence: ['s3-release-h1: released h1 (0x13ffff000, revoked before its release) left [mem 0x13ffff000-0x140000fff] write-back: the reservation outlived its mapping'] },
      { id: 'S7', text: 'a clean kernel log', status: 'holds', checks: 1, evidence: ['ok'] },
    ],
    findings: [{ kind: 'warning', step: 's3-release-h1', line: 'WARNING: CPU: 0 PID: 80 at arch/x86/mm/ioremap.c:209 __ioremap_caller+0x2c6/0x330', message: 'ioremap on RAM at 0x1000 - 0x1fff', trace: [' <TASK>', ' ? __warn+0x7d/0xc0', ' generic_access_phys+0x11a/0x230', ' __access_remote_vm+0x1f1/0x300'] }],
  } as unknown as Report;

  it('names what failed, stably and without addresses', () => {
    expect(signature(report)).toBe('S6:leak-after-revoke + check:R-VMEM-PARENT + log:warning:ioremap on RAM at -');
    // Numbers inside names (x86) stay; a pid after a colon goes.
    const pat = { ...report, findings: [{ kind: 'bookkeeping', step: 's2', line: '[    6.151044] x86/PAT: devmem-agent:128 freeing invalid memtype [mem 0x40000000-0x40000fff]' }] } as unknown as Report;
    // The split leak (no revocation) is another kind than the revoke leak.
    const split = { ...report, steps: [], findings: [], safety: [{ id: 'S6', text: '', status: 'violated', checks: 1, evidence: ['s2-release-h1: released h1 (0x40000000) left [mem 0x40000000-0x40000fff] write-back: the reservation outlived its mapping'] }] } as unknown as Report;
    expect(signature(split)).toBe('S6:leak');
    // The release's path, from the step's record, tells a split or a partial mremap from a plain munmap.
    const released = (op: string) => ({ name: 's2-release-h1', action: 'release h1', probes: [], observations: { action: { released: [{ name: 'h1', addr: '0x40000000', op, result: { result: 'ok' } }] } } });
    expect(signature({ ...split, steps: [released('release-split-shared')] } as unknown as Report)).toBe('S6:leak-after-split');
    expect(signature({ ...split, steps: [released('release-move-head-private')] } as unknown as Report)).toBe('S6:leak-after-move-head');
    expect(signature({ ...split, steps: [released('release-shared')] } as unknown as Report)).toBe('S6:leak');
    // The same leak seen again at a later step is still the split's.
    const later = { ...split, steps: [released('release-split-shared'), { name: 's3-access-read', action: 'read', probes: [], observations: { action: {} } }], safety: [{ ...split.safety[0], evidence: [...split.safety[0].evidence, 's3-access-read: released h1 (0x40000000) left [mem 0x40000000-0x40000fff] write-back: the reservation outlived its mapping'] }] };
    expect(signature(later as unknown as Report)).toBe('S6:leak-after-split');
    expect(signature(pat)).toBe('S6:leak-after-revoke + check:R-VMEM-PARENT + log:bookkeeping:x86/PAT: devmem-agent freeing invalid memtype');
  });

  it('writes observed against expected and the kernel code involved', () => {
    expect(observedAgainstExpected(report)).toEqual([
      'step s3-release-h1: check R-VMEM-PARENT: no virtio0 resource',
      'S6 (memtype coherence) violated:',
      '  s3-release-h1: released h1 (0x13ffff000, revoked before its release) left [mem 0x13ffff000-0x140000fff] write-back: the reservation outlived its mapping',
      'kernel log (warning, step s3-release-h1): ioremap on RAM at 0x1000 - 0x1fff / WARNING: CPU: 0 PID: 80 at arch/x86/mm/ioremap.c:209 __ioremap_caller+0x2c6/0x330',
    ]);
    expect(kernelFunctions(report)).toEqual([
      'R-VMEM-PARENT: drivers/virtio/virtio_mem.c virtio_mem_create_resource()',
      'S6: arch/x86/mm/pat/memtype.c track_pfn_remap()/untrack_pfn() → reserve_pfn_range()/free_pfn_range() → memtype_reserve()/memtype_free()',
      'stack (warning): generic_access_phys ← __access_remote_vm',
    ]);
  });

  it('reads durations', () => {
    expect(parseDuration('30m', '--budget')).toBe(1_800_000);
    expect(parseDuration('90s', '--budget')).toBe(90_000);
    expect(parseDuration('1h', '--budget')).toBe(3_600_000);
    expect(() => parseDuration('30', '--budget')).toThrow(/not a duration/);
  });
});
