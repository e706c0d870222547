// predict() over the q35 virtio-mem lifecycle for Debian 5.10.223, 6.1.192 and
// 6.12.117. Every expectation below was derived by hand from the cited code:
// valid_phys_addr_range() (high_memory), devmem_is_allowed() (virtioN is
// top-level SYSTEM_RAM in all three: R-DIA-RAM), mmap_mem()/range_is_allowed().
import { describe, expect, it } from 'vitest';
import type { ProbeOp, ProbeSpec } from '../../../src/probe/types.js';
import { predict, type StepState } from '../../../src/model/index.js';
import { facts, type Kernel, STEPS } from './q35.js';

let id = 0;
const spec = (op: ProbeOp, addr: number, len = 4096): ProbeSpec => ({ id: ++id, op, addr, len, why: 'test' });
const short = (k: Kernel, s: StepState, op: ProbeOp, addr: number) => {
  const e = predict(facts(k), s, spec(op, addr));
  return e.outcome === 'errno' ? `${e.syscall} ${e.errno}` : e.outcome;
};

const IN_PLUGGED = 0x100000000; // first block
const IN_UNPLUGGED = 0x130000000; // above the 512 MiB plugged, below the region end

describe.each(['5.10', '6.1', '6.12'] as Kernel[])('lifecycle on %s with the Debian config', (k) => {
  it('before the driver: read beyond high_memory is EFAULT, mmap and touch of the idle region succeed', () => {
    expect(short(k, STEPS.beforeDriver, 'read', IN_PLUGGED)).toBe('pread EFAULT');
    expect(short(k, STEPS.beforeDriver, 'mmap-shared', IN_PLUGGED)).toBe('ok');
    expect(short(k, STEPS.beforeDriver, 'mmap-private', IN_UNPLUGGED)).toBe('ok');
    expect(short(k, STEPS.beforeDriver, 'touch-shared', IN_PLUGGED)).toBe('data');
  });

  it('bound, nothing plugged: read still EFAULT (high_memory not raised), mmap EPERM', () => {
    expect(short(k, STEPS.boundUnplugged, 'read', IN_PLUGGED)).toBe('pread EFAULT');
    expect(short(k, STEPS.boundUnplugged, 'mmap-shared', IN_PLUGGED)).toBe('mmap EPERM');
    expect(short(k, STEPS.boundUnplugged, 'touch-private', IN_UNPLUGGED)).toBe('mmap EPERM');
  });

  it('512 MiB plugged: read EPERM below the new high_memory, EFAULT above it; mmap EPERM everywhere in the region', () => {
    expect(short(k, STEPS.plugged512, 'read', IN_PLUGGED)).toBe('pread EPERM');
    expect(short(k, STEPS.plugged512, 'read', 0x11ffff000)).toBe('pread EPERM');
    expect(short(k, STEPS.plugged512, 'read', 0x120000000)).toBe('pread EFAULT');
    expect(short(k, STEPS.plugged512, 'write', IN_PLUGGED)).toBe('pwrite EPERM');
    expect(short(k, STEPS.plugged512, 'mmap-shared', IN_UNPLUGGED)).toBe('mmap EPERM');
    expect(short(k, STEPS.plugged512, 'touch-shared', IN_PLUGGED)).toBe('mmap EPERM');
  });

  it('500 MiB plugged: the partly plugged block is denied like the rest', () => {
    expect(short(k, STEPS.partial500, 'read', 0x11f800000)).toBe('pread EPERM');
    expect(short(k, STEPS.partial500, 'mmap-private', 0x11f800000)).toBe('mmap EPERM');
  });

  it('after a clean unload: unclaimed space below the raised high_memory reads as data, above it EFAULT; mmap works', () => {
    expect(short(k, STEPS.afterCleanUnload, 'read', IN_PLUGGED)).toBe('data');
    expect(short(k, STEPS.afterCleanUnload, 'read', IN_UNPLUGGED)).toBe('pread EFAULT');
    expect(short(k, STEPS.afterCleanUnload, 'mmap-shared', IN_UNPLUGGED)).toBe('ok');
    expect(short(k, STEPS.afterCleanUnload, 'touch-shared', IN_PLUGGED)).toBe('data');
  });

  it('after an unclean unload the kept parent denies everything', () => {
    expect(short(k, STEPS.afterUncleanUnload, 'read', IN_PLUGGED)).toBe('pread EPERM');
    expect(short(k, STEPS.afterUncleanUnload, 'mmap-shared', IN_UNPLUGGED)).toBe('mmap EPERM');
  });

  it('boot RAM: zeros in the first MiB, EPERM above; busy MMIO denied to mmap', () => {
    expect(short(k, STEPS.plugged512, 'read', 0x1000)).toBe('zeros');
    expect(short(k, STEPS.plugged512, 'read', 0x200000)).toBe('pread EPERM');
    expect(short(k, STEPS.plugged512, 'mmap-shared', 0x1000)).toBe('ok');
    expect(short(k, STEPS.plugged512, 'mmap-shared', 0xfec00000)).toBe('mmap EPERM');
    expect(short(k, STEPS.plugged512, 'touch-shared', 0xfed00000)).toBe('data'); // HPET: not busy
  });
});

describe('predict() details', () => {
  it('names the most specific rule and the rules on the way', () => {
    const e = predict(facts('6.1'), STEPS.plugged512, spec('mmap-shared', IN_PLUGGED));
    expect(e).toMatchObject({ rule: 'R-MMAP-DENY', via: ['R-DIA-RAM', 'R-MMAP-DENY'] });
    expect(e.why).toMatch(/virtio5/);
    const r = predict(facts('6.1'), STEPS.plugged512, spec('read', 0x1000));
    expect(r).toMatchObject({ outcome: 'zeros', bytes: 4096, rule: 'R-RW-ZERO', via: ['R-DIA-RAM', 'R-RW-ZERO'] });
  });

  it('iomem=relaxed does not open the virtio-mem region on any version (R-DIA-RAM comes first)', () => {
    for (const k of ['5.10', '6.1', '6.12'] as Kernel[]) {
      const f = facts(k, { cmdline: 'iomem=relaxed' });
      expect(predict(f, STEPS.plugged512, spec('mmap-shared', IN_UNPLUGGED)).errno, k).toBe('EPERM');
    }
  });

  it('iomem=relaxed opens busy MMIO to mmap', () => {
    expect(predict(facts('6.1', { cmdline: 'iomem=relaxed' }), STEPS.plugged512, spec('mmap-shared', 0xfec00000)).outcome).toBe('ok');
  });

  it('a CAP_SYS_RAWIO-less prober fails at open whatever the op', () => {
    for (const op of ['read', 'write', 'mmap-shared', 'touch-private'] as ProbeOp[]) {
      expect(predict(facts('6.1'), STEPS.plugged512, spec(op, 0x1000), { capSysRawio: false })).toMatchObject({ errno: 'EPERM', syscall: 'open', rule: 'R-OPEN-CAP' });
    }
  });
});

describe('copy-on-write probes', () => {
  const f = facts('6.1');
  it('cow-write: only the private mapping can fail (R-MMAP-*); the store and the munmap cannot', () => {
    // 0x140110000: unclaimed space in the 64-bit PCI window, allowed.
    expect(predict(f, STEPS.beforeDriver, spec('cow-write', 0x140110000))).toMatchObject({ outcome: 'ok', rule: 'R-MMAP-OK' });
    // System RAM above 1 MiB: devmem_is_allowed() 0 → EPERM.
    expect(predict(f, STEPS.beforeDriver, spec('cow-write', 0x100000))).toMatchObject({ errno: 'EPERM', syscall: 'mmap', rule: 'R-MMAP-DENY' });
  });
  it('cow-procmem: the mapping of low-MiB RAM is allowed (dia 2), then the COW page is ordinary RAM: EIO (R-PTRACE-RAM)', () => {
    expect(predict(f, STEPS.beforeDriver, spec('cow-procmem', 0x1000))).toMatchObject({ errno: 'EIO', syscall: 'pread', rule: 'R-PTRACE-RAM' });
    expect(predict(f, STEPS.beforeDriver, spec('cow-procmem', 0x100000))).toMatchObject({ errno: 'EPERM', rule: 'R-MMAP-DENY' });
  });
});
