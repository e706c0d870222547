// S6 on real guests where a revocation leaves part of a /dev/mem mapping
// mapped (docs/findings/pat-revoke-partial-unreserved.md). On the
// high-bars machine virtio-rng's BAR 4 (0000:00:03.0) lies above 4 GiB,
// write-back by the MTRRs. A two-page hold of the BAR's last page and the
// free page after it, made while the device is unbound, is revoked in part
// when virtio-pci binds again (pci_request_region() → revoke_iomem() zaps
// the BAR page only). Up to 6.x the zap's untrack_pfn(vma, 0, 0) frees the
// reservation of the whole VMA (no RAM in it): the page after the BAR keeps
// a write-back PTE with no reservation, and an O_SYNC (uncached-minus)
// mapping of it then succeeds. 7.x keeps the reservation until munmap, so
// virtio-pci's own uncached ioremap() of the BAR conflicts with it and the
// probe fails, after claiming and releasing the BAR within the bind: the
// lab cannot see that claim and must say so (unknown), never mismatch.
// Splits across the device region's edge behave as the MMIO split and the
// revocation leaks do on their own (pat-split-edge*).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

const s6 = (r: Report) => r.safety.find((e) => e.id === 'S6')!;
const step = (r: Report, name: string) => r.steps.find((s) => s.name === name)!;
const verdicts = (r: Report) => r.steps.flatMap((s) => s.probes.map((p) => p.verdict));
const action = (r: Report, name: string) => step(r, name).observations.action as { exitCode?: number; held?: { addr: string }[]; access?: { addr: string; observed: { result: string; errno?: string } } };

describe('pat-rebind, pat-split-edge (real QEMU guests)', () => {
  const old: Record<string, Report> = {};
  const newest: Record<string, Report> = {};

  beforeAll(async () => {
    for (const n of ['pat-rebind', 'pat-split-edge']) old[n] = (await labRun(n, { kernel: 'debian:bookworm' })).report;
    for (const n of ['pat-rebind', 'pat-split-edge-revoked']) newest[n] = (await labRun(n, { kernel: 'debian:newest' })).report;
  }, 1_200_000);

  it('6.1: the re-bind revokes the BAR page, and the page after it keeps a write-back PTE with no reservation', () => {
    const r = old['pat-rebind'];
    expect(r.status).toBe('completed');
    expect((r.environment.profile as { highBarMiB?: number }).highBarMiB).toBe(2048);
    expect(action(r, 'unbind').exitCode).toBe(0);
    expect(action(r, 'bind').exitCode).toBe(0);
    // The layout the scenario's access step assumes: BAR 4 of 00:03.0 ends at 0x20000bfff.
    expect(action(r, 'hold').held![0].addr).toBe('0x20000b000');
    expect(step(r, 'bind').observations.iomem).toMatch(/200008000-20000bfff : 0000:00:03\.0\n\s+200008000-20000bfff : virtio-pci-modern/);
    expect(s6(r).status).toBe('violated');
    expect(s6(r).evidence).toContain(
      'bind: held bar-edge (0x20000b000, revoked in part) has live PTEs but no write-back reservation covers 0x20000c000-0x20000cfff: the revocation freed the reservation of the pages it left mapped',
    );
    expect(action(r, 'sync-map').access).toMatchObject({ addr: '0x20000c000', observed: { result: 'ok' } });
    const alias = /^sync-map: probe \d+ \(mmap-sync-shared\) mapped 0x20000c000 uncached-minus while held bar-edge maps it write-back: one page with two cache modes$/;
    expect(s6(r).evidence.filter((e) => alias.test(e))).toHaveLength(1);
    // The driver's own uncached-minus ioremap() of the BAR is not the hold's leak.
    expect(s6(r).evidence.filter((e) => e.includes('outlived'))).toEqual([]);
    expect(verdicts(r)).not.toContain('mismatch');
    expect(r.safety.filter((e) => e.status === 'violated').map((e) => e.id)).toEqual(['S6']);
  });

  it('7.x: the reservation stays, the O_SYNC mapping is refused, and the bind that failed unseen is unknown, not a mismatch', () => {
    const r = newest['pat-rebind'];
    expect(r.environment.kernel?.release).toMatch(/^[7-9]\./);
    expect(s6(r).status).toBe('holds');
    expect(action(r, 'sync-map').access).toMatchObject({ observed: { result: 'errno', errno: 'EAGAIN' } });
    expect(step(r, 'bind').observations.dmesg.join('\n')).toMatch(/probe with driver virtio-pci failed with error -22/);
    const unknown = r.steps.flatMap((s) => s.probes.filter((p) => p.verdict === 'unknown'));
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.every((p) => /bar-edge/.test(p.why) || /held bar-edge/.test(p.why))).toBe(true);
    expect(verdicts(r)).not.toContain('mismatch');
    expect(r.summary.checks.mismatch).toBe(0);
  });

  it('6.1: a split across the device region\'s edge, before any claim, leaks the first page as the MMIO split does', () => {
    const r = old['pat-split-edge'];
    expect(s6(r).evidence).toContain('split-release: released edge (0x13ffff000) left [mem 0x13ffff000-0x13fffffff] write-back: the reservation outlived its mapping');
    expect(r.findings.map((f) => f.line).join('\n')).toMatch(/freeing invalid memtype \[mem 0x13ffff000-0x13fffffff\]/);
    expect(verdicts(r)).not.toContain('mismatch');
  });

  it('7.x: a split across the edge after the driver revoked one side frees everything', () => {
    const r = newest['pat-split-edge-revoked'];
    expect(r.safety.filter((e) => e.id === 'S2' || e.id === 'S6' || e.id === 'S7').map((e) => [e.id, e.status])).toEqual([
      ['S2', 'holds'],
      ['S6', 'holds'],
      ['S7', 'holds'],
    ]);
    expect(verdicts(r)).not.toContain('mismatch');
  });
});
