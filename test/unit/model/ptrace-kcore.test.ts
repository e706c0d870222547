// mm/memory.c generic_access_phys() (R-PTRACE-*) and fs/proc/kcore.c
// open_kcore()/read_kcore() (R-KCORE-OFFLINE).
import { describe, expect, it } from 'vitest';
import { predictKcore, predictPtrace, type PtraceAccess } from '../../../src/model/index.js';
import { facts } from './q35.js';

const base: PtraceAccess = { write: false, revoked: false, pteWritable: true, target: 'mmio' };

describe('ptrace and /proc/PID/mem on a /dev/mem mapping', () => {
  it('R-PTRACE-REVOKED: follow_pte() finds no PTE → EIO, never the old page', () => {
    expect(predictPtrace(facts('6.1'), { ...base, revoked: true })).toMatchObject({ errno: 'EIO', rule: 'R-PTRACE-REVOKED' });
    // 5.10 has no re-check after ioremap_prot(): the steady state is the same, the race is not.
    const r510 = predictPtrace(facts('5.10'), { ...base, revoked: true });
    expect(r510).toMatchObject({ errno: 'EIO', rule: 'R-PTRACE-REVOKED' });
    expect(r510.why).toMatch(/no re-check/);
  });

  it('a mapping that straddles the claimed range keeps its first pages: /proc/PID/mem reads those and stops at the first revoked page', () => {
    // Seen on 6.1.192: a 2-page hold of 0xfffff000 (BIOS "Reserved") + 0x100000000 (the device's first page);
    // after modprobe virtio_mem a pread of 8192 bytes returned 4096 (fs/proc/base.c mem_rw(), page by page).
    const p = predictPtrace(facts('6.1'), { ...base, via: 'proc-mem', revoked: true, livePrefix: 4096 });
    expect(p).toMatchObject({ outcome: 'data', bytes: 4096, rule: 'R-PTRACE-REVOKED' });
    // Its first page is RAM: ioremap_prot() refuses it, nothing is copied, EIO as for a whole revocation.
    expect(predictPtrace(facts('6.1'), { ...base, via: 'proc-mem', revoked: true, livePrefix: 4096, target: 'ram' })).toMatchObject({ errno: 'EIO' });
    // process_vm_readv still refuses the VM_PFNMAP VMA outright.
    expect(predictPtrace(facts('6.1'), { ...base, via: 'process_vm_readv', revoked: true, livePrefix: 4096 })).toMatchObject({ errno: 'EFAULT' });
  });

  it('R-PTRACE-RO: a write through a read-only PTE → EIO', () => {
    expect(predictPtrace(facts('6.1'), { ...base, write: true, pteWritable: false })).toMatchObject({ errno: 'EIO', syscall: 'pwrite', rule: 'R-PTRACE-RO' });
    expect(predictPtrace(facts('6.1'), { ...base, write: true, pteWritable: true })).toMatchObject({ outcome: 'ok', rule: 'R-PTRACE-MMIO' });
  });

  it('R-PTRACE-RAM: first-MiB RAM is all PageReserved, so __ioremap_check_ram() lets it through → bytes', () => {
    // arch/x86/mm/ioremap.c __ioremap_check_ram(): refuses only when a page of
    // the resource is pfn_valid && !PageReserved; "x86/setup: Always reserve
    // the first 1M of RAM" reserves every page below 1 MiB.
    expect(predictPtrace(facts('6.1'), { ...base, target: 'reserved-ram' })).toMatchObject({ outcome: 'data', rule: 'R-PTRACE-RAM' });
  });

  it('R-PTRACE-VMREADV names process_vm_readv as the failing call', () => {
    expect(predictPtrace(facts('6.1'), { ...base, target: 'mmio', via: 'process_vm_readv' })).toMatchObject({ errno: 'EFAULT', syscall: 'process_vm_readv' });
  });

  it('R-PTRACE-VMREADV without CROSS_MEMORY_ATTACH: the syscall is sys_ni_syscall → ENOSYS', () => {
    // kernel/sys_ni.c COND_SYSCALL(process_vm_readv); mm/Makefile builds process_vm_access.o only with the option.
    const f = facts('6.1', { config: { CROSS_MEMORY_ATTACH: false } });
    expect(predictPtrace(f, { ...base, via: 'process_vm_readv' })).toMatchObject({ errno: 'ENOSYS', syscall: 'process_vm_readv', rule: 'R-PTRACE-VMREADV' });
    expect(predictPtrace(f, { ...base, revoked: true, via: 'process_vm_readv' })).toMatchObject({ errno: 'ENOSYS' });
  });

  it('R-PTRACE-RAM: ioremap_prot() refuses RAM and private COW copies → EIO', () => {
    expect(predictPtrace(facts('6.1'), { ...base, target: 'ram' })).toMatchObject({ errno: 'EIO', rule: 'R-PTRACE-RAM' });
    expect(predictPtrace(facts('6.1'), { ...base, target: 'cow' })).toMatchObject({ errno: 'EIO', rule: 'R-PTRACE-RAM' });
  });

  it('R-PTRACE-MMIO: MMIO bytes come back', () => {
    expect(predictPtrace(facts('6.12'), base)).toMatchObject({ outcome: 'data', rule: 'R-PTRACE-MMIO' });
  });

  it('process_vm_readv() always fails EFAULT: GUP refuses VM_IO|VM_PFNMAP', () => {
    expect(predictPtrace(facts('6.1'), { ...base, via: 'process_vm_readv' })).toMatchObject({ errno: 'EFAULT' });
  });
});

describe('/proc/kcore', () => {
  const ok = { capSysRawio: true, lockdown: 'none' as const };

  it('R-KCORE-OFFLINE: 5.14+ reads PageOffline and offline sections as zeros', () => {
    expect(predictKcore(facts('6.1'), { ...ok, page: 'page-offline' })).toMatchObject({ outcome: 'zeros', rule: 'R-KCORE-OFFLINE' });
    expect(predictKcore(facts('6.12'), { ...ok, page: 'offline-section' })).toMatchObject({ outcome: 'zeros', rule: 'R-KCORE-OFFLINE' });
  });

  it('5.10 reads them through the direct map', () => {
    expect(predictKcore(facts('5.10'), { ...ok, page: 'page-offline' })).toMatchObject({ outcome: 'data', rule: 'R-KCORE-OFFLINE' });
  });

  it('online RAM is data; never-added ranges have no PT_LOAD and read as zeros', () => {
    expect(predictKcore(facts('6.1'), { ...ok, page: 'online' }).outcome).toBe('data');
    expect(predictKcore(facts('5.10'), { ...ok, page: 'never-added' })).toMatchObject({ outcome: 'zeros', rule: 'R-KCORE-HOLE' });
  });

  it('open needs CAP_SYS_RAWIO and is refused only at lockdown=confidentiality', () => {
    expect(predictKcore(facts('6.1'), { page: 'online', capSysRawio: false, lockdown: 'none' })).toMatchObject({ errno: 'EPERM', syscall: 'open' });
    expect(predictKcore(facts('6.1'), { page: 'online', capSysRawio: true, lockdown: 'confidentiality' })).toMatchObject({ errno: 'EPERM', rule: 'R-KCORE-OPEN' });
    expect(predictKcore(facts('6.1'), { page: 'online', capSysRawio: true, lockdown: 'integrity' }).outcome).toBe('data');
  });

  it('without PROC_KCORE there is no /proc/kcore: open fails ENOENT', () => {
    // fs/proc/Makefile: proc-$(CONFIG_PROC_KCORE) += kcore.o, so proc_kcore_init() never creates the entry.
    expect(predictKcore(facts('6.1', { config: { PROC_KCORE: false } }), { page: 'online', capSysRawio: true, lockdown: 'none' })).toMatchObject({ errno: 'ENOENT', syscall: 'open', rule: 'R-KCORE-OPEN' });
  });
});
