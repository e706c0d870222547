// ptrace and /proc/PID/mem of a /dev/mem mapping on arm64: mm/memory.c
// generic_access_phys() → mm/ioremap.c ioremap_prot() → arch/arm64/mm/ioremap.c
// ioremap_allowed(): "if (WARN_ON(pfn_is_map_memory(__phys_to_pfn(phys_addr))))
// return false;" (line 15 of that file in 6.1.192). Plus the generic rules that
// hold unchanged (kcore, virtio-mem shape) and the x86-only high_memory check.
import { describe, expect, it } from 'vitest';
import {
  checkHighMemory,
  checkVirtioMemShape,
  expectedConsoleWarning,
  expectedHighMemoryEnd,
  predictKcore,
  predictPtrace,
  type PtraceAccess,
} from '../../../src/model/index.js';
import { facts as x86Facts } from './q35.js';
import { arm64Facts, VIRT_STEPS } from './virt.js';

const base: PtraceAccess = { write: false, revoked: false, pteWritable: true, target: 'mmio', via: 'proc-mem' };
const f = arm64Facts();

describe('generic_access_phys() on arm64', () => {
  it('RAM, and a private mapping\'s COW copy, are refused by ioremap_allowed() with a WARNING each time: EIO (R-A64-PTRACE-RAM-WARN)', () => {
    for (const target of ['ram', 'cow'] as const) {
      expect(predictPtrace(f, { ...base, target }), target).toMatchObject({ errno: 'EIO', syscall: 'pread', rule: 'R-A64-PTRACE-RAM-WARN', warning: 'R-A64-PTRACE-RAM-WARN' });
    }
  });

  it('has no first-MiB exception: pfn_is_map_memory() ignores PageReserved, so "reserved-ram" is refused too (x86 copies it)', () => {
    expect(predictPtrace(f, { ...base, target: 'reserved-ram' })).toMatchObject({ errno: 'EIO', rule: 'R-A64-PTRACE-RAM-WARN' });
    expect(predictPtrace(x86Facts('6.1'), { ...base, target: 'reserved-ram' })).toMatchObject({ outcome: 'data', rule: 'R-PTRACE-RAM' });
  });

  it('MMIO returns the bytes (cortex-a57 has no PAN); a write through a writable PTE is copied', () => {
    expect(predictPtrace(f, base)).toMatchObject({ outcome: 'data', rule: 'R-PTRACE-MMIO' });
    expect(predictPtrace(f, base).warning).toBeUndefined();
    expect(predictPtrace(f, { ...base, write: true })).toMatchObject({ outcome: 'ok', rule: 'R-PTRACE-MMIO' });
  });

  it('the generic checks before ioremap_prot() decide first: revoked → EIO, read-only PTE → EIO, process_vm_readv → EFAULT', () => {
    expect(predictPtrace(f, { ...base, revoked: true, target: 'ram' })).toMatchObject({ errno: 'EIO', rule: 'R-PTRACE-REVOKED' });
    expect(predictPtrace(f, { ...base, write: true, pteWritable: false, target: 'ram' })).toMatchObject({ errno: 'EIO', rule: 'R-PTRACE-RO' });
    expect(predictPtrace(f, { ...base, via: 'process_vm_readv', target: 'ram' })).toMatchObject({ errno: 'EFAULT', syscall: 'process_vm_readv', rule: 'R-PTRACE-VMREADV' });
    // A straddling mapping revoked in part: mem_rw() copies the live MMIO prefix.
    expect(predictPtrace(f, { ...base, revoked: true, livePrefix: 4096 })).toMatchObject({ outcome: 'data', bytes: 4096, rule: 'R-PTRACE-REVOKED' });
  });

  it('expectedConsoleWarning() names the rule for the ioremap_allowed() WARNING on arm64 only', () => {
    const line = '[   41.201934] WARNING: CPU: 0 PID: 190 at arch/arm64/mm/ioremap.c:15 ioremap_allowed+0x50/0x68';
    expect(expectedConsoleWarning(f, line)).toBe('R-A64-PTRACE-RAM-WARN');
    expect(expectedConsoleWarning(x86Facts('6.1'), line)).toBeUndefined();
    expect(expectedConsoleWarning(f, 'WARNING: CPU: 0 PID: 1 at mm/memory.c:5670 generic_access_phys+0x1/0x2')).toBeUndefined();
  });
});

describe('generic rules that hold unchanged on arm64', () => {
  it('/proc/kcore (fs/proc/kcore.c, 6.1 ≥ 5.14): PageOffline subblocks read as zeros, online RAM as data', () => {
    const ok = { capSysRawio: true, lockdown: 'none' as const };
    expect(predictKcore(f, { ...ok, page: 'page-offline' })).toMatchObject({ outcome: 'zeros', rule: 'R-KCORE-OFFLINE' });
    expect(predictKcore(f, { ...ok, page: 'online' })).toMatchObject({ outcome: 'data' });
    expect(predictKcore(f, { ...ok, page: 'never-added' })).toMatchObject({ outcome: 'zeros', rule: 'R-KCORE-HOLE' });
  });

  it('the virtio-mem resource shape (R-VMEM-PARENT, R-VMEM-CHILD) matches the fixture\'s lifecycle', () => {
    const ok = (s: typeof VIRT_STEPS.plugged512) => checkVirtioMemShape(f, s).map((x) => [x.rule, x.ok]);
    expect(ok(VIRT_STEPS.beforeDriver)).toEqual([['R-VMEM-UNLOAD-CLEAN', true]]);
    for (const s of [VIRT_STEPS.boundUnplugged, VIRT_STEPS.plugged512, VIRT_STEPS.partial130]) {
      expect(ok(s)).toEqual([
        ['R-VMEM-PARENT', true],
        ['R-VMEM-CHILD', true],
      ]);
    }
  });

  it('R-HIGHMEM-HOTADD is x86 only: arm64\'s arch_add_memory() leaves high_memory alone, and nothing is compared', () => {
    expect(expectedHighMemoryEnd(f, 0x80000000, VIRT_STEPS.plugged512).end).toBe(0x80000000);
    expect(checkHighMemory(f, Number.NaN, VIRT_STEPS.plugged512)).toMatchObject({ rule: 'R-HIGHMEM-HOTADD', ok: true });
    expect(checkHighMemory(f, Number.NaN, VIRT_STEPS.plugged512).message).toMatch(/not judged/);
  });
});
