// drivers/char/mem.c memory_open()/open_port()/chr_dev_init():
// R-OPEN-NODEV, R-OPEN-CAP, R-OPEN-LOCKDOWN, and their order.
import { describe, expect, it } from 'vitest';
import { predict, predictOpen } from '../../../src/model/index.js';
import { facts, page, STEPS } from './q35.js';

describe('open("/dev/mem")', () => {
  it('R-OPEN-NODEV: DEVMEM=n → ENXIO from memory_open() when the node exists, ENOENT when devtmpfs made none', () => {
    const f = facts('6.1', { config: { DEVMEM: false, STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false } });
    expect(predictOpen(f, { capSysRawio: true, lockdownAtOpen: 'none', devNode: 'static' })).toMatchObject({ errno: 'ENXIO', syscall: 'open', rule: 'R-OPEN-NODEV' });
    expect(predictOpen(f, { capSysRawio: true, lockdownAtOpen: 'none', devNode: 'devtmpfs' })).toMatchObject({ errno: 'ENOENT', rule: 'R-OPEN-NODEV' });
  });

  it('R-OPEN-NODEV comes before the capability check (no fops, no open_port())', () => {
    const f = facts('6.1', { config: { DEVMEM: false } });
    expect(predictOpen(f, { capSysRawio: false, lockdownAtOpen: 'integrity', devNode: 'static' })?.rule).toBe('R-OPEN-NODEV');
  });

  it('R-OPEN-CAP: without CAP_SYS_RAWIO → EPERM, checked before lockdown', () => {
    expect(predictOpen(facts('6.1'), { capSysRawio: false, lockdownAtOpen: 'confidentiality', devNode: 'devtmpfs' })).toMatchObject({ errno: 'EPERM', rule: 'R-OPEN-CAP' });
  });

  it('R-OPEN-LOCKDOWN: integrity and confidentiality both refuse LOCKDOWN_DEV_MEM', () => {
    for (const level of ['integrity', 'confidentiality'] as const) {
      expect(predictOpen(facts('6.1'), { capSysRawio: true, lockdownAtOpen: level, devNode: 'devtmpfs' })).toMatchObject({ errno: 'EPERM', rule: 'R-OPEN-LOCKDOWN' });
    }
    expect(predictOpen(facts('6.1'), { capSysRawio: true, lockdownAtOpen: 'none', devNode: 'devtmpfs' })).toBeNull();
  });

  it('predict(): the step\'s lockdown refuses a fresh open, but an fd opened before raising it keeps working', () => {
    const locked = { ...STEPS.plugged512, lockdown: 'integrity' as const };
    const spec = { id: 1, op: 'read' as const, ...page(0x1000), why: 't' };
    expect(predict(facts('6.1'), locked, spec)).toMatchObject({ outcome: 'errno', errno: 'EPERM', syscall: 'open', rule: 'R-OPEN-LOCKDOWN' });
    expect(predict(facts('6.1'), locked, spec, { lockdownAtOpen: 'none' })).toMatchObject({ outcome: 'zeros', rule: 'R-RW-ZERO' });
  });
});
