// mmap() of /dev/mem on arm64 (drivers/char/mem.c mmap_mem()):
// arch/arm64/mm/mmap.c valid_mmap_phys_addr_range() → R-A64-MMAP-PABITS,
// range_is_allowed() → R-MMAP-DENY, no PAT (track_pfn_remap() stub,
// generic phys_mem_access_prot_allowed()); then touching and revoking
// (R-TOUCH, R-REVOKE: kernel/resource.c revoke_iomem(), generic).
import { describe, expect, it } from 'vitest';
import {
  claimRevokes,
  claimsFromIomemDiff,
  modelContext,
  patEnabled,
  predictHeldTouch,
  predictMmap,
  predictTouch,
  validMmapPhysAddrRangeArm64,
  type Claim,
  type KernelFacts,
  type StepState,
} from '../../../src/model/index.js';
import { facts as x86Facts, step } from './q35.js';
import { arm64Facts, virtStep, VIRT_IOMEM, VIRT_STEPS } from './virt.js';

const mm = (f: KernelFacts, s: StepState, addr: number, len = 4096, oSync = false) => predictMmap(modelContext(f, s), addr, len, { private: false, oSync });
const TOP = 2 ** 48;

describe('R-A64-MMAP-PABITS: !(((pfn << PAGE_SHIFT) + size) & ~PHYS_MASK), PHYS_MASK from ARM64_PA_BITS=48', () => {
  const f = arm64Facts();

  it('refuses the last page below 2^48 (its end is 2^48) and allows the one before', () => {
    expect(validMmapPhysAddrRangeArm64(TOP - 4096, 4096, 48)).toBe(false);
    expect(validMmapPhysAddrRangeArm64(TOP - 8192, 4096, 48)).toBe(true);
    expect(mm(f, VIRT_STEPS.plugged512, 0xfffffffff000)).toMatchObject({ errno: 'EINVAL', syscall: 'mmap', rule: 'R-A64-MMAP-PABITS' });
    expect(mm(f, VIRT_STEPS.plugged512, 0xffffffffe000)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    expect(mm(f, VIRT_STEPS.plugged512, 0xffffffffe000, 8192)).toMatchObject({ errno: 'EINVAL', rule: 'R-A64-MMAP-PABITS' });
  });

  it('differs from x86 by that one page: phys_addr_valid(addr + count - 1) lets x86 map it', () => {
    const x86 = x86Facts('6.1', { physBits: 48 });
    expect(mm(x86, step('', false, [], 0x3ffe0000), 0xfffffffff000)).toMatchObject({ outcome: 'ok' });
  });

  it('is checked before range_is_allowed(), and takes PA_BITS from the config when physBits is missing', () => {
    expect(mm(arm64Facts({ physBits: Number.NaN }), VIRT_STEPS.plugged512, 0xfffffffff000)).toMatchObject({ errno: 'EINVAL', rule: 'R-A64-MMAP-PABITS' });
    expect(mm(arm64Facts({ physBits: Number.NaN }), VIRT_STEPS.plugged512, 0x40000000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
  });

  it('sys_mmap()/do_mmap() argument checks come first, as on x86', () => {
    expect(mm(f, VIRT_STEPS.plugged512, 0x8000800)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-ARGS' });
    expect(mm(f, VIRT_STEPS.plugged512, 0x8000000, 0)).toMatchObject({ errno: 'EINVAL', rule: 'R-MMAP-ARGS' });
  });
});

describe('R-MMAP-DENY and success on the virt tree', () => {
  const f = arm64Facts();

  it('RAM and claimed MMIO are EPERM; unclaimed space maps', () => {
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x40000000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY', via: ['R-A64-DIA-EXCL', 'R-EXCL-BUSY', 'R-MMAP-DENY'] });
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x9000000)).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x8000000000)).toMatchObject({ errno: 'EPERM' });
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x0, 0x8000000)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x80000000, 0x40000000)).toMatchObject({ outcome: 'ok' });
  });

  it('a mapping that runs from an allowed page into a denied one is refused (range_is_allowed() tests every page)', () => {
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x7fff000, 0x2000)).toMatchObject({ outcome: 'ok' });
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x8fff000, 0x2000)).toMatchObject({ errno: 'EPERM' });
    expect(mm(f, VIRT_STEPS.boundUnplugged, 0x7ffff000, 0x2000)).toMatchObject({ errno: 'EPERM' });
  });

  it('no PAT: pat_enabled() is false even when a probe measured "on", O_SYNC changes nothing, a memtype list is ignored', () => {
    const measured: KernelFacts = { ...f, measured: { patEnabled: { enabled: true, evidence: 'test' } } };
    expect(patEnabled(modelContext(measured, VIRT_STEPS.beforeDriver))).toBe(false);
    const s = { ...VIRT_STEPS.beforeDriver, memtypes: [{ start: 0x8000000, end: 0x8001000, type: 'write-back' as const }] };
    expect(mm(measured, s, 0x8000000, 4096, true)).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK', via: [] });
  });

  it('the memory type comes from phys_mem_access_prot(): Device-nGnRnE off memblock; RAM (STRICT_DEVMEM=n) write-back, O_SYNC Normal-NC', () => {
    expect(mm(f, VIRT_STEPS.beforeDriver, 0x8000000).why).toMatch(/Device-nGnRnE/);
    const open = arm64Facts({ config: { STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } });
    expect(mm(open, VIRT_STEPS.beforeDriver, 0x40000000)).toMatchObject({ outcome: 'ok' });
    expect(mm(open, VIRT_STEPS.beforeDriver, 0x40000000).why).toMatch(/write-back/);
    expect(mm(open, VIRT_STEPS.beforeDriver, 0x40000000, 4096, true).why).toMatch(/Normal-NC/);
  });
});

describe('touch and revocation (generic code over arm64 devmem_is_allowed())', () => {
  const f = arm64Facts();
  const parent: Claim = { start: 0x80000000, end: 0xbfffffff, name: 'virtio0', kind: 'request' };

  it('a fresh mapping reads its bytes (R-TOUCH); a refused one fails at mmap', () => {
    const ctx = modelContext(f, VIRT_STEPS.beforeDriver);
    expect(predictTouch(ctx, 0x8000000, 4096, { private: false, oSync: false })).toMatchObject({ outcome: 'data', bytes: 4096, rule: 'R-TOUCH' });
    expect(predictTouch(ctx, 0x40000000, 4096, { private: true, oSync: false })).toMatchObject({ errno: 'EPERM', syscall: 'mmap' });
  });

  it('modprobe virtio_mem: the parent appears as a request and revokes a held mapping of 0x80000000 (SIGBUS/BUS_ADRERR at byte 0)', () => {
    expect(claimsFromIomemDiff(VIRT_STEPS.beforeDriver.iomem, VIRT_STEPS.boundUnplugged.iomem)).toEqual([parent]);
    const held = { start: 0x80000000, end: 0x80000fff, private: false };
    expect(predictHeldTouch(f, held, [{ claim: parent, after: VIRT_STEPS.boundUnplugged }])).toMatchObject({ outcome: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0, rule: 'R-REVOKE' });
  });

  it('a device-tree driver\'s claim is a request (devm_request_mem_region() → __request_region() → revoke_iomem()): revokes with strict iomem checks, not with iomem=relaxed', () => {
    const before = virtStep(VIRT_IOMEM.beforeDriver.replace('  09000000-09000fff : 9000000.pl011 pl011@9000000\n', ''), false, []);
    const claims = claimsFromIomemDiff(before.iomem, VIRT_STEPS.beforeDriver.iomem);
    expect(claims).toEqual([{ start: 0x9000000, end: 0x9000fff, name: '9000000.pl011 pl011@9000000', kind: 'request' }]);
    expect(claimRevokes(f, VIRT_STEPS.beforeDriver, claims[0]).revokes).toBe(true);
    expect(claimRevokes(arm64Facts({ cmdline: 'iomem=relaxed' }), VIRT_STEPS.beforeDriver, claims[0]).revokes).toBe(false);
  });

  // arch/arm64/mm/fault.c fault_info[0x10]: { do_sea, SIGBUS, BUS_OBJERR, "synchronous external abort" }.
  describe('R-A64-TOUCH-SEA: a load where QEMU backs nothing', () => {
    // A hand-written flat view: flash, the GIC distributor, the PL011, RAM and the device region.
    const backed = [
      { start: 0x0, end: 0x7ffffff },
      { start: 0x8000000, end: 0x800ffff },
      { start: 0x9000000, end: 0x9000fff },
      { start: 0x40000000, end: 0xbfffffff },
    ];
    const s = { ...VIRT_STEPS.beforeDriver, backed };

    it('faults at the first unbacked byte: SIGBUS/BUS_OBJERR, the bytes before it read', () => {
      const ctx = modelContext(f, s);
      expect(predictTouch(ctx, 0xc000000, 4096, { private: false, oSync: false })).toMatchObject({ outcome: 'signal', signal: 'SIGBUS', sigCode: 'BUS_OBJERR', bytes: 0, rule: 'R-A64-TOUCH-SEA', via: ['R-MMAP-OK', 'R-A64-TOUCH-SEA'] });
      expect(predictTouch(ctx, 0x800f000, 0x2000, { private: false, oSync: false })).toMatchObject({ outcome: 'signal', bytes: 4096 });
      expect(predictTouch(ctx, 0x8000000, 0x10000, { private: true, oSync: false })).toMatchObject({ outcome: 'data', rule: 'R-TOUCH' });
      expect(predictTouch(ctx, 0x80000000, 4096, { private: false, oSync: false })).toMatchObject({ outcome: 'data' });
    });

    it('a refused mmap comes first, and without the backed ranges nothing is assumed', () => {
      expect(predictTouch(modelContext(f, s), 0x9000000, 4096, { private: false, oSync: false })).toMatchObject({ errno: 'EPERM' });
      expect(predictTouch(modelContext(f, VIRT_STEPS.beforeDriver), 0xc000000, 4096, { private: false, oSync: false })).toMatchObject({ outcome: 'data' });
    });
  });
});
