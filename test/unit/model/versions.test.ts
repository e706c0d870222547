// The "Where versions differ" table, checked against the versions whose
// sources were read: Debian 5.10.223 (kernel-model.md), 6.1.192, 6.12.117.
import { describe, expect, it } from 'vitest';
import { parseKernelVersion, resolveFeatures, type FeatureId } from '../../../src/model/index.js';
import { facts, PROC_VERSION } from './q35.js';

const on = (k: Parameters<typeof facts>[0], id: FeatureId) => resolveFeatures(facts(k))[id].enabled;

describe('resolveFeatures', () => {
  it.each([
    // region_intersects() descendants: 6.12.117 and 6.1.192 kernel/resource.c have the
    // for_each_resource(p, dp, false) loop; 6.1.106 predates the 6.1.113 backport.
    ['regionIntersectsDescendants', [false, true, false, true]],
    // virtio_mem_create_resource(): SYSTEM_RAM | IORESOURCE_EXCLUSIVE in 6.1/6.12, not 5.10.
    ['virtioMemParentExclusive', [false, true, true, true]],
    ['iomemExclusiveSystemRam', [false, true, true, true]],
    ['genericAccessPhysRecheck', [false, true, true, true]],
    ['kcoreSkipsOffline', [false, true, true, true]],
    // e820__end_ram_pfn() in 6.12.117 arch/x86/kernel/e820.c counts E820_TYPE_ACPI; 6.1.192's e820_end_pfn() does not.
    ['maxPfnCountsAcpi', [false, false, false, true]],
    ['revokeOnClaim', [true, true, true, true]],
  ] as [FeatureId, boolean[]][])('%s for 5.10.223, 6.1.192, 6.1.106, 6.12.117', (id, want) => {
    expect([on('5.10', id), on('6.1', id), on('6.1-old', id), on('6.12', id)]).toEqual(want);
  });

  it('reads and writes stop on any signal from 5.19 (830a4e5c48df), not from 6.1; 5.10 has fatal_signal_pending()', () => {
    const v = (r: string) => resolveFeatures({ version: parseKernelVersion(r) }).rwStopsOnAnySignal;
    expect(v('5.19.0')).toMatchObject({ enabled: true, certain: true });
    expect(v('5.18.19')).toMatchObject({ enabled: false, certain: true });
    expect(resolveFeatures(facts('5.10')).rwStopsOnAnySignal).toMatchObject({ enabled: false, certain: true });
    expect(resolveFeatures(facts('6.1')).rwStopsOnAnySignal.enabled).toBe(true);
  });

  it('PAT has its own range_is_allowed() up to 6.15; 6.16+ and Debian 7.2 share the STRICT_DEVMEM one', () => {
    const v = (r: string) => resolveFeatures({ version: parseKernelVersion(r) }).patRangeFollowsStrictDevmem.enabled;
    expect([v('6.15.11'), v('6.16.0')]).toEqual([false, true]);
    expect([on('6.12', 'patRangeFollowsStrictDevmem'), on('7.2', 'patRangeFollowsStrictDevmem')]).toEqual([false, true]);
  });

  it('is certain where the source was read, and not where a stable backport may exist', () => {
    const f510 = resolveFeatures(facts('5.10'));
    expect(f510.regionIntersectsDescendants).toMatchObject({ enabled: false, certain: true });
    const later510 = resolveFeatures({ version: { ...parseKernelVersion('5.10.0-35-amd64', PROC_VERSION['5.10']), patch: 237 } });
    expect(later510.regionIntersectsDescendants).toMatchObject({ enabled: false, certain: false });
    expect(resolveFeatures(facts('6.1')).regionIntersectsDescendants).toMatchObject({ enabled: true, certain: true, basis: 'version' });
  });

  it('cannot place an ABI-only 6.1 relative to 6.1.113', () => {
    const d = resolveFeatures({ version: parseKernelVersion('6.1.0-47-amd64') }).regionIntersectsDescendants;
    expect(d.certain).toBe(false);
    expect(d.why).toMatch(/patch level .* unknown/);
  });

  it('lets a probe-measured answer override the version guess', () => {
    const f = facts('6.1');
    f.measured = { regionIntersectsDescendants: { enabled: false, evidence: 'kmem page read EFAULT' } };
    expect(resolveFeatures(f).regionIntersectsDescendants).toMatchObject({ enabled: false, basis: 'measured', certain: true });
  });

  it('puts each feature at its mainline boundary', () => {
    const v = (s: string) => resolveFeatures({ version: parseKernelVersion(s) });
    expect(v('5.15.0').iomemExclusiveSystemRam.enabled).toBe(false);
    expect(v('5.16.0').iomemExclusiveSystemRam.enabled).toBe(true);
    expect(v('5.11.0').genericAccessPhysRecheck.enabled).toBe(false);
    expect(v('5.12.0').genericAccessPhysRecheck.enabled).toBe(true);
    expect(v('5.13.0').kcoreSkipsOffline.enabled).toBe(false);
    expect(v('5.14.0').kcoreSkipsOffline.enabled).toBe(true);
    expect(v('6.10.0').maxPfnCountsAcpi.enabled).toBe(false);
    expect(v('6.11.0').maxPfnCountsAcpi.enabled).toBe(true);
    expect(v('5.7.0').revokeOnClaim.enabled).toBe(false);
    expect(v('5.8.0').revokeOnClaim.enabled).toBe(true);
    expect(v('6.11.5').regionIntersectsDescendants.enabled).toBe(false);
    expect(v('6.12.0').regionIntersectsDescendants.enabled).toBe(true);
  });
});
