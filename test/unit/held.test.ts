// The held-mapping uses a step makes and how they are judged (src/lab/held.ts),
// on the synthetic q35 guest of the model tests: a /proc/self/mem write of a
// read-only mapping (R-PTRACE-RO, and S3 once revoked) and an O_SYNC mapping
// over a hold's write-back PAT reservation (R-MMAP-PAT).
import { describe, expect, it } from 'vitest';
import { parseMemtypesAnswer } from '../../src/guest/observe.js';
import { parseIomem } from '../../src/guest/iomem.js';
import { readFileSync } from 'node:fs';
import { barEdge } from '../../src/lab/held-target.js';
import { heldUseOps, judgeHeldUses, labMappings, unseenClaimRanges, readsWithheld, releasePathOf, releaseSpecs, stepClaims, useHeldSpecs, type Held } from '../../src/lab/held.js';
import { RELEASE_HOWS } from '../../src/lab/held-spec.js';
import { pkgPath } from '../../src/util/paths.js';
import type { ProbeObserved, ProbeRecord, ProbeSpec } from '../../src/probe/types.js';
import { facts, IOMEM, STEPS, step, BOOT_HIGH_MEMORY_END } from './model/q35.js';

const device: Held = { name: 'device-first', start: 0x100000000, end: 0x100000fff, private: false, stepIndex: 1, ptraceWrite: true };
const hole: Held = { name: 'mmio-hole', start: 0x40000000, end: 0x40000fff, private: false, stepIndex: 1, ptraceWrite: true };

const MEMTYPES = `PAT memtype list:
PAT: [mem 0x0000000040000000-0x0000000040001000] write-back
PAT: [mem 0x0000000100000000-0x0000000100001000] write-back
PAT: [mem 0x00000000febf8000-0x00000000febf9000] uncached-minus
`;

function uses(h: Held, observed: Partial<Record<string, ProbeObserved>>): { spec: ProbeSpec; rec: ProbeRecord }[] {
  return useHeldSpecs([h], 100).map((spec) => ({
    spec,
    rec: { ...spec, addr: '0x' + spec.addr.toString(16), observed: observed[spec.op.replace(/-(shared|private)$/, '')] ?? { result: 'ok' } },
  }));
}

describe('held mapping uses', () => {
  it('writes through /proc/self/mem only where the scenario asked for it', () => {
    expect(heldUseOps(hole)).toEqual(['held-touch-shared', 'held-procmem-shared', 'held-vmreadv-shared', 'held-procmem-write-shared', 'mmap-sync-shared']);
    expect(heldUseOps({ ...hole, private: true, ptraceWrite: false })).toEqual(['held-touch-private', 'held-procmem-private', 'held-vmreadv-private', 'mmap-sync-private']);
    expect(useHeldSpecs([hole, device], 7).map((s) => s.id)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('R-PTRACE-RO and R-MMAP-PAT on an unclaimed MMIO page held write-back', () => {
    const state = step(IOMEM.beforeDriver, false, [], BOOT_HIGH_MEMORY_END, { memtypes: parseMemtypesAnswer(MEMTYPES)!.entries });
    const u = uses(hole, {
      'held-touch': { result: 'ok', bytes: 4096, zero: false, fnv: '0'.repeat(16) },
      'held-procmem': { result: 'ok', bytes: 4096, zero: false, fnv: '0'.repeat(16) },
      'held-vmreadv': { result: 'errno', errno: 'EFAULT', syscall: 'process_vm_readv' },
      'held-procmem-write': { result: 'errno', errno: 'EIO', syscall: 'pwrite' },
      'mmap-sync': { result: 'errno', errno: 'EAGAIN', syscall: 'mmap' },
    });
    judgeHeldUses(facts('6.1'), state, hole, [], u);
    const byOp = Object.fromEntries(u.map(({ spec, rec }) => [spec.op, rec]));
    expect(byOp['held-procmem-write-shared']).toMatchObject({ verdict: 'match', expected: { rule: 'R-PTRACE-RO', errno: 'EIO' } });
    expect(byOp['mmap-sync-shared']).toMatchObject({ verdict: 'match', expected: { rule: 'R-MMAP-PAT', errno: 'EAGAIN' } });
    // Without the memtype list the model assumes no conflict: the same EAGAIN is a mismatch.
    const blind = uses(hole, { 'mmap-sync': { result: 'errno', errno: 'EAGAIN', syscall: 'mmap' } });
    judgeHeldUses(facts('6.1'), step(IOMEM.beforeDriver, false, [], BOOT_HIGH_MEMORY_END), hole, [], blind);
    expect(blind.find((x) => x.spec.op === 'mmap-sync-shared')!.rec.verdict).toBe('mismatch');
  });

  it('S3: a /proc/self/mem write that lands on a revoked mapping is a violation', () => {
    const claims = [stepClaims(2, STEPS.beforeDriver.iomem, STEPS.boundUnplugged)];
    const u = uses(device, {
      'held-touch': { result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0 },
      'held-procmem': { result: 'errno', errno: 'EIO', syscall: 'pread' },
      'held-vmreadv': { result: 'errno', errno: 'EFAULT', syscall: 'process_vm_readv' },
      'held-procmem-write': { result: 'ok', bytes: 4096 },
      'mmap-sync': { result: 'errno', errno: 'EPERM', syscall: 'mmap' },
    });
    const evidence = judgeHeldUses(facts('6.1'), STEPS.boundUnplugged, device, claims, u);
    const write = u.find((x) => x.spec.op === 'held-procmem-write-shared')!.rec;
    expect(write.expected).toMatchObject({ rule: 'R-PTRACE-REVOKED', errno: 'EIO' });
    expect(write.verdict).toBe('violation');
    expect(evidence.filter((e) => e.property === 'S3').map((e) => e.violated)).toEqual([false, true]);
    expect(u.find((x) => x.spec.op === 'mmap-sync-shared')!.rec).toMatchObject({ verdict: 'match', expected: { rule: 'R-MMAP-DENY' } });
  });

  it('skips a write the agent refused (no -w)', () => {
    const u = uses(hole, { 'held-procmem-write': { result: 'refused', reason: 'write probes need -w' } });
    judgeHeldUses(facts('6.1'), STEPS.beforeDriver, hole, [], u);
    expect(u.find((x) => x.spec.op === 'held-procmem-write-shared')!.rec.verdict).toBe('skipped');
  });
});

// With no driver bound the kernel lets a /dev/mem mapping of the device
// region read unplugged memory (touch-unplugged); the virtio-mem spec
// forbids it and S4 flags it, so the lab's own held uses do not read it.
describe('held reads of unplugged device memory', () => {
  const unbound = (plugged: { start: number; end: number }[]) => step(IOMEM.beforeDriver, false, plugged, BOOT_HIGH_MEMORY_END);
  it('waits while no driver is bound and the page is unplugged; only the O_SYNC mapping is probed', () => {
    expect(readsWithheld(facts('6.1'), unbound([]), device, [])).toMatch(/unplugged device memory at 0x100000000 with no driver bound/);
    expect(heldUseOps(device, true)).toEqual(['mmap-sync-shared']);
    expect(useHeldSpecs([device, hole], 1, new Set(['device-first'])).map((s) => s.op)).toEqual([
      'mmap-sync-shared',
      'held-touch-shared',
      'held-procmem-shared',
      'held-vmreadv-shared',
      'held-procmem-write-shared',
      'mmap-sync-shared',
    ]);
    const ev = judgeHeldUses(facts('6.1'), unbound([]), device, [], uses(device, {}).filter((u) => u.spec.op === 'mmap-sync-shared'));
    expect(ev.filter((e) => e.property === 'S2' || e.property === 'S3')).toMatchObject([{ exercised: false }, { exercised: false }]);
  });
  it('reads a plugged page, any page once the driver is bound, and a mapping a claim revoked (the touch must fault: S2)', () => {
    expect(readsWithheld(facts('6.1'), unbound([{ start: 0x100000000, end: 0x107ffffff }]), device, [])).toBeUndefined();
    expect(readsWithheld(facts('6.1'), STEPS.boundUnplugged, device, [])).toBeUndefined();
    const claims = [stepClaims(2, STEPS.beforeDriver.iomem, STEPS.boundUnplugged)];
    expect(readsWithheld(facts('6.1'), unbound([]), device, claims)).toBeUndefined();
    expect(readsWithheld(facts('6.1'), unbound([]), hole, [])).toBeUndefined();
  });
});

describe('parseMemtypesAnswer', () => {
  it('reads debugfs x86/pat_memtype_list, end exclusive', () => {
    expect(parseMemtypesAnswer(MEMTYPES)!.entries[0]).toEqual({ start: 0x40000000, end: 0x40001000, type: 'write-back' });
  });
  it('is undefined when the list is not readable (no debugfs, PAT off)', () => {
    expect(parseMemtypesAnswer('')).toBeUndefined();
    expect(parseMemtypesAnswer(undefined)).toBeUndefined();
  });
});

describe('releases', () => {
  const h = (name: string, start: number, pages: number, priv = false): Held => ({ name, start, end: start + pages * 4096 - 1, private: priv, stepIndex: 1, ptraceWrite: false });

  it('each path is its own agent op, with the mapping\'s whole length', () => {
    const two = [h('a', 0x40000000, 2), h('b', 0x13ffff000, 2, true)];
    expect(releaseSpecs(two, 7).map((s) => [s.id, s.op, s.addr, s.len])).toEqual([
      [7, 'release-shared', 0x40000000, 8192],
      [8, 'release-private', 0x13ffff000, 8192],
    ]);
    expect(releaseSpecs(two, 1, 'move-head').map((s) => s.op)).toEqual(['release-move-head-shared', 'release-move-head-private']);
    expect(releaseSpecs(two, 1, 'move-tail').map((s) => s.op)).toEqual(['release-move-tail-shared', 'release-move-tail-private']);
    expect(releaseSpecs(two, 1, 'fork').map((s) => s.op)).toEqual(['release-fork-shared', 'release-fork-private']);
    expect(releaseSpecs(two, 1, 'grow').map((s) => s.op)).toEqual(['release-grow-shared', 'release-grow-private']);
    expect(releaseSpecs(two, 1, 'split').map((s) => s.op)).toEqual(['release-split-shared', 'release-split-private']);
  });

  it('a one-page mapping has nothing to split, and moving part of it moves it all', () => {
    const one = [h('a', 0x40000000, 1)];
    expect(releaseSpecs(one, 1, 'split')[0].op).toBe('release-shared');
    expect(releaseSpecs(one, 1, 'move-head')[0].op).toBe('release-move-shared');
    expect(releaseSpecs(one, 1, 'move-tail')[0].op).toBe('release-move-shared');
    expect(releaseSpecs(one, 1, 'fork')[0].op).toBe('release-fork-shared');
  });

  it('reads the path back from the op', () => {
    expect(releasePathOf('release-shared')).toBe('munmap');
    expect(releasePathOf('release-move-head-private')).toBe('move-head');
    expect(releasePathOf('release-split-shared')).toBe('split');
    expect(releasePathOf('release-sideways-shared')).toBeUndefined();
    expect(releasePathOf('hold-shared')).toBeUndefined();
  });

  it('every release op is one the agent knows', () => {
    const agent = readFileSync(pkgPath('guest-image', 'ops', 'release.c'), 'utf8');
    for (const how of RELEASE_HOWS) for (const s of releaseSpecs([h('a', 0x40000000, 2), h('b', 0x40000000, 2, true)], 1, how)) expect(agent).toContain(`"${s.op}"`);
  });
});

// A q35 guest whose 64-bit BARs SeaBIOS moved above 4 GiB (qemu-config/high-bars.json),
// virtio-rng (00:03.0) unbound from virtio-pci: its BAR 4 is no longer claimed.
describe('barEdge', () => {
  const tree = parseIomem(`140000000-93fffffff : PCI Bus 0000:00
  180000000-1ffffffff : 0000:00:04.0
  200000000-200003fff : 0000:00:01.0
    200000000-200003fff : virtio-pci-modern
  200008000-20000bfff : 0000:00:03.0
c0000000-febfffff : PCI Bus 0000:00
  febc1000-febc1fff : 0000:00:03.0
`);
  it("starts at the last page of the function's highest memory BAR, or pages - 1 below its first", () => {
    expect(barEdge(tree, '0000:00:03.0', 'last', 2)).toBe(0x20000b000);
    expect(barEdge(tree, '0000:00:03.0', 'first', 2)).toBe(0x200007000);
    expect(barEdge(tree, '0000:00:03.0', 'first', 1)).toBe(0x200008000);
  });
  it('a function /proc/iomem does not name has none', () => {
    expect(barEdge(tree, '0000:00:09.0', 'last', 1)).toBeUndefined();
  });
});

// A driver probe can claim its BAR (pci_request_region() → revoke_iomem())
// and release it again when it fails later in the probe (7.x: virtio-pci's
// ioremap() of BAR 4 is refused over a /dev/mem hold's write-back
// reservation), all within one guest command: no /proc/iomem snapshot shows it.
describe('claims a guest command may have made unseen', () => {
  const iomem = `c0000000-febfffff : PCI Bus 0000:00
  febc1000-febc1fff : 0000:00:03.0
`;
  const straddle: Held = { name: 'bar-edge', start: 0xfebc1000, end: 0xfebc2fff, private: false, stepIndex: 1, ptraceWrite: false };
  const st = step(iomem, false, [], BOOT_HIGH_MEMORY_END);
  const quiet = [stepClaims(2, st.iomem, st)];
  const command = [stepClaims(2, st.iomem, st, true)];

  it("cover the mapping's pages inside a PCI function's resource, once a guest command ran after the hold", () => {
    expect(unseenClaimRanges(straddle, quiet, st.iomem)).toEqual([]);
    expect(unseenClaimRanges(straddle, command, st.iomem)).toEqual([{ start: 0xfebc1000, end: 0xfebc1fff }]);
    expect(unseenClaimRanges({ ...straddle, stepIndex: 2 }, command, st.iomem)).toEqual([]);
  });

  it('make the touch, ptrace and process_vm_readv outcomes unknown, and S2/S3 not exercised', () => {
    const u = uses(straddle, {
      'held-touch': { result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0 },
      'held-procmem': { result: 'errno', errno: 'EIO', syscall: 'pread' },
      'held-vmreadv': { result: 'errno', errno: 'EFAULT', syscall: 'process_vm_readv' },
    });
    const ev = judgeHeldUses(facts('6.1'), st, straddle, command, u);
    for (const op of ['held-touch-shared', 'held-procmem-shared', 'held-vmreadv-shared']) expect(u.find((x) => x.spec.op === op)!.rec.verdict, op).toBe('unknown');
    expect(ev.filter((e) => e.property === 'S2' || e.property === 'S3').map((e) => e.exercised)).toEqual([false, false]);
  });

  it('leave S6 only the pages outside the resource to judge', () => {
    expect(labMappings(facts('6.1'), [straddle], command, st.iomem)[0].live).toEqual([{ start: 0xfebc2000, endExcl: 0xfebc3000 }]);
    expect(labMappings(facts('6.1'), [straddle], quiet, st.iomem)[0].live).toBeUndefined();
  });
});

describe('a released mapping', () => {
  it('is revoked only by claims made while it was held: the driver loading after its release zaps nothing', () => {
    const claims = [stepClaims(3, STEPS.beforeDriver.iomem, STEPS.boundUnplugged)];
    expect(labMappings(facts('6.1'), [device], claims, STEPS.boundUnplugged.iomem)[0].revoked).toBe(true);
    expect(labMappings(facts('6.1'), [{ ...device, releasedAt: 2 }], claims, STEPS.boundUnplugged.iomem)[0].revoked).toBe(false);
    expect(labMappings(facts('6.1'), [{ ...device, releasedAt: 4 }], claims, STEPS.boundUnplugged.iomem)[0].revoked).toBe(true);
  });
});

