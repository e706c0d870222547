// docs/arm64.md "What a guest did (Debian 6.1.0-57-arm64, cortex-a57)",
// row by row, through predict() as the lab calls it (read = a 4 KiB pread,
// mmap-shared, touch-shared = mmap and read every byte) and predictPtrace()
// for /proc/self/mem of a mapping. Each expected value is the guest's
// answer in that table; the comment names the source line that gives it:
//   read:  arch/arm64/mm/mmap.c valid_phys_addr_range() (memblock) → EFAULT,
//          else drivers/char/mem.c read_mem() page_is_allowed() → EPERM;
//   mmap:  drivers/char/mem.c mmap_mem() valid_mmap_phys_addr_range() → EINVAL,
//          range_is_allowed() → EPERM, else ok;
//   devmem_is_allowed(): lib/devmem_is_allowed.c (exclusive, then page_is_ram()).
// The PageOffline and never-added rows need a block added in part: the
// 130 MiB state (block 0x80000000 added whole, plugged to 0x881fffff).
import { describe, expect, it } from 'vitest';
import type { ProbeOp, ProbeSpec } from '../../../src/probe/types.js';
import { predict, predictHeldTouch, predictPtrace, type Expected, type KernelFacts, type StepState } from '../../../src/model/index.js';
import { arm64Facts, VIRT_STEPS } from './virt.js';

let id = 0;
const spec = (op: ProbeOp, addr: number): ProbeSpec => ({ id: ++id, op, addr, len: 4096, why: 'docs/arm64.md' });
const short = (e: Expected) => (e.outcome === 'errno' ? `${e.syscall} ${e.errno}` : e.outcome);
const p = (f: KernelFacts, s: StepState, op: ProbeOp, addr: number) => short(predict(f, s, spec(op, addr)));

const strict = arm64Facts();
const relaxed = arm64Facts({ cmdline: 'console=ttyAMA0 panic=-1 memhp_default_state=online_movable iomem=relaxed' });
const S = VIRT_STEPS;

describe.each([
  ['strict', strict],
  ['iomem=relaxed', relaxed],
] as const)('the table, %s', (mode, f) => {
  const mmioClaim = mode === 'strict' ? 'mmap EPERM' : 'ok'; // resource_is_exclusive(): busy counts only while strict_iomem_checks
  const mmioTouch = mode === 'strict' ? 'mmap EPERM' : 'data';

  it('0x0 flash: read EFAULT (no memblock region); mmap ok, touch data (no resource: devmem_is_allowed() 1)', () => {
    for (const s of [S.beforeDriver, S.boundUnplugged, S.plugged512]) {
      expect(p(f, s, 'read', 0x0)).toBe('pread EFAULT');
      expect(p(f, s, 'mmap-shared', 0x0)).toBe('ok');
      expect(p(f, s, 'touch-shared', 0x0)).toBe('data');
    }
  });

  it('0x8000000 GIC distributor (no resource): read EFAULT; mmap ok, touch data', () => {
    expect(p(f, S.plugged512, 'read', 0x8000000)).toBe('pread EFAULT');
    expect(p(f, S.plugged512, 'mmap-shared', 0x8000000)).toBe('ok');
    expect(p(f, S.plugged512, 'touch-shared', 0x8000000)).toBe('data');
  });

  it('0x9000000 PL011, claimed: read EFAULT; mmap EPERM, ok with iomem=relaxed', () => {
    expect(p(f, S.beforeDriver, 'read', 0x9000000)).toBe('pread EFAULT');
    expect(p(f, S.beforeDriver, 'mmap-shared', 0x9000000)).toBe(mmioClaim);
    expect(p(f, S.beforeDriver, 'touch-shared', 0x9000000)).toBe(mmioTouch);
  });

  it('0x40000000 and 0x50000000 boot System RAM: read EPERM, mmap EPERM (iomem=relaxed too: page_is_ram())', () => {
    for (const a of [0x40000000, 0x50000000]) {
      expect(p(f, S.beforeDriver, 'read', a)).toBe('pread EPERM');
      expect(p(f, S.beforeDriver, 'mmap-shared', a)).toBe('mmap EPERM');
      expect(p(f, S.plugged512, 'touch-shared', a)).toBe('mmap EPERM');
    }
  });

  it('0x80000000 with nothing added: read EFAULT; mmap ok before the driver binds, EPERM after (virtio0: SYSTEM_RAM|EXCLUSIVE)', () => {
    expect(p(f, S.beforeDriver, 'read', 0x80000000)).toBe('pread EFAULT');
    expect(p(f, S.beforeDriver, 'mmap-shared', 0x80000000)).toBe('ok');
    expect(p(f, S.beforeDriver, 'touch-shared', 0x80000000)).toBe('data');
    expect(p(f, S.boundUnplugged, 'read', 0x80000000)).toBe('pread EFAULT');
    expect(p(f, S.boundUnplugged, 'mmap-shared', 0x80000000)).toBe('mmap EPERM');
  });

  it('0x80000000 plugged (an added block): read EPERM, mmap EPERM', () => {
    expect(p(f, S.plugged512, 'read', 0x80000000)).toBe('pread EPERM');
    expect(p(f, S.plugged512, 'mmap-shared', 0x80000000)).toBe('mmap EPERM');
  });

  it('0x88200000 PageOffline subblock of an added block: read EPERM (in memblock, then denied), mmap EPERM', () => {
    expect(p(f, S.partial130, 'read', 0x88200000)).toBe('pread EPERM');
    expect(p(f, S.partial130, 'mmap-shared', 0x88200000)).toBe('mmap EPERM');
  });

  it('0x90000000 block never added: read EFAULT, mmap EPERM with the driver bound', () => {
    expect(p(f, S.partial130, 'read', 0x90000000)).toBe('pread EFAULT');
    expect(p(f, S.partial130, 'mmap-shared', 0x90000000)).toBe('mmap EPERM');
  });

  it('0x8000000000 virtio BAR 4, claimed: read EFAULT; mmap EPERM, ok with iomem=relaxed', () => {
    expect(p(f, S.plugged512, 'read', 0x8000000000)).toBe('pread EFAULT');
    expect(p(f, S.plugged512, 'mmap-shared', 0x8000000000)).toBe(mmioClaim);
  });

  it('0xfffffffff000, the last page below 2^48: mmap EINVAL', () => {
    expect(p(f, S.plugged512, 'mmap-shared', 0xfffffffff000)).toBe('mmap EINVAL');
    expect(predict(f, S.plugged512, spec('mmap-shared', 0xfffffffff000)).rule).toBe('R-A64-MMAP-PABITS');
  });

  it('unplugged back to 0 the blocks are removed: the region reads EFAULT again and stays mmap EPERM', () => {
    expect(p(f, S.boundUnplugged, 'read', 0x9ffff000)).toBe('pread EFAULT');
    expect(p(f, S.boundUnplugged, 'mmap-shared', 0x9ffff000)).toBe('mmap EPERM');
  });
});

describe('/proc/self/mem and held mappings (the table\'s last column and the text below it)', () => {
  it('/proc/self/mem of a mapping of 0x0, 0x8000000 and (before the driver) 0x80000000: MMIO, the bytes come back', () => {
    // Each of those mappings succeeded above; none is memblock memory, so ioremap_allowed() lets it through.
    expect(short(predictPtrace(strict, { write: false, revoked: false, pteWritable: false, target: 'mmio', via: 'proc-mem' }))).toBe('data');
  });

  it('a mapping of 0x80000000 held across modprobe virtio_mem: touch SIGBUS/BUS_ADRERR at byte 0, /proc/self/mem EIO, process_vm_readv EFAULT', () => {
    const claim = { start: 0x80000000, end: 0xbfffffff, name: 'virtio0', kind: 'request' as const };
    const touch = predictHeldTouch(strict, { start: 0x80000000, end: 0x80000fff, private: false }, [{ claim, after: S.boundUnplugged }]);
    expect(touch).toMatchObject({ outcome: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 0 });
    const held = { write: false, revoked: true, pteWritable: false, target: 'mmio' as const };
    expect(short(predictPtrace(strict, { ...held, via: 'proc-mem' }))).toBe('pread EIO');
    expect(short(predictPtrace(strict, { ...held, via: 'process_vm_readv' }))).toBe('process_vm_readv EFAULT');
  });

  it('cow-procmem: the COW copy of a private mapping of the GIC is ordinary RAM: EIO with the ioremap_allowed() WARNING', () => {
    expect(predict(strict, S.plugged512, spec('cow-procmem', 0x8000000))).toMatchObject({ errno: 'EIO', syscall: 'pread', rule: 'R-A64-PTRACE-RAM-WARN', warning: 'R-A64-PTRACE-RAM-WARN' });
  });
});
