// S6 on real guests: a /dev/mem mapping of a page inside the virtio-mem
// region, revoked by the driver's claim and then unmapped, must leave no
// PAT reservation behind. Up to 6.x it does (the lab's finding,
// docs/findings/pat-revoke-leak.md): Debian's 6.1 must show S6 violated at
// exactly that page, with the MMIO control mapping freed; the newest Debian
// kernel (7.x, pfnmap tracking bound to the VMA) must show S6 holding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/format/types.js';
import { labRun, removeScratch } from './helpers.js';

afterAll(removeScratch);

const s6 = (r: Report) => r.safety.find((e) => e.id === 'S6')!;
const step = (r: Report, name: string) => r.steps.find((s) => s.name === name)!;

describe('pat-leak (real QEMU guests)', () => {
  let old: Report;
  let newest: Report;

  beforeAll(async () => {
    old = (await labRun('pat-leak', { kernel: 'debian:bookworm' })).report;
    newest = (await labRun('pat-leak', { kernel: 'debian:newest' })).report;
  }, 1_200_000);

  it('6.1: the revoked mapping leaks its write-back reservation past munmap and rmmod; nothing else is wrong', () => {
    expect(old.status).toBe('completed');
    expect(old.environment.kernel?.release).toMatch(/^6\.1\./);
    expect(s6(old).status).toBe('violated');
    const leaks = s6(old).evidence.filter((e) => e.includes('outlived'));
    expect(leaks).toEqual([
      'release: released device-inside (0x120000000, revoked before its release) left [mem 0x120000000-0x120000fff] write-back: the reservation outlived its mapping',
      'rmmod: released device-inside (0x120000000, revoked before its release) left [mem 0x120000000-0x120000fff] write-back: the reservation outlived its mapping',
    ]);
    // The kernel's own list, as the guest printed it.
    expect(step(old, 'rmmod').observations.patMemtypes).toContain('PAT: [mem 0x0000000120000000-0x0000000120001000] write-back');
    expect(old.summary.mismatches + old.summary.checks.mismatch).toBe(0);
    expect(old.safety.filter((e) => e.status === 'violated').map((e) => e.id)).toEqual(['S6']);
  });

  it('the unrevoked MMIO control frees its reservation on munmap, on both kernels', () => {
    for (const r of [old, newest]) {
      const control = (step(r, 'release').observations.action as { released: { name: string; addr: string }[] }).released.find((x) => x.name === 'mmio-control')!;
      const pad = '0x' + control.addr.slice(2).padStart(16, '0');
      expect(step(r, 'hold').observations.patMemtypes).toContain(`PAT: [mem ${pad}-`);
      expect(step(r, 'release').observations.patMemtypes).not.toContain(`PAT: [mem ${pad}-`);
    }
  });

  it('7.x: S6 holds, the reservation went with the mapping', () => {
    expect(newest.status).toBe('completed');
    expect(newest.environment.kernel?.release).toMatch(/^[7-9]\./);
    expect(s6(newest).status).toBe('holds');
    expect(step(newest, 'release').observations.patMemtypes).not.toContain('0x0000000120000000');
    expect(newest.safety.filter((e) => e.status === 'violated')).toEqual([]);
    expect(newest.summary.mismatches + newest.summary.checks.mismatch).toBe(0);
  });
});

// The 7.x form (docs/findings/pat-revoke-plug-leak.md): the same revoked
// hold, but the device plugs memory over it before the release. 7.x frees
// the reservation at munmap only if the range is not RAM by then, so the
// entry of the now-plugged page stays, also after the unplug.
describe('pat-leak-plugged (real QEMU guest, newest Debian kernel)', () => {
  let r: Report;

  beforeAll(async () => {
    r = (await labRun('pat-leak-plugged', { kernel: 'debian:newest' })).report;
  }, 600_000);

  it('7.x: the page plugged between the revoke and the munmap keeps its write-back reservation; the control is freed', () => {
    expect(r.status).toBe('completed');
    expect(r.environment.kernel?.release).toMatch(/^[7-9]\./);
    expect(s6(r).status).toBe('violated');
    const leaks = s6(r).evidence.filter((e) => e.includes('outlived'));
    expect(leaks).toEqual([
      'release: released device-first (0x100000000, revoked before its release) left [mem 0x100000000-0x100000fff] write-back: the reservation outlived its mapping',
      'unplug-to-0: released device-first (0x100000000, revoked before its release) left [mem 0x100000000-0x100000fff] write-back: the reservation outlived its mapping',
    ]);
    expect(step(r, 'unplug-to-0').observations.patMemtypes).toContain('PAT: [mem 0x0000000100000000-0x0000000100001000] write-back');
    expect(r.summary.mismatches + r.summary.checks.mismatch).toBe(0);
    expect(r.safety.filter((e) => e.status === 'violated').map((e) => e.id)).toEqual(['S6']);
  });
});
