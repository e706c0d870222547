// open("/dev/mem") (drivers/char/mem.c memory_open() → open_port()):
// R-OPEN-NODEV, R-OPEN-CAP, R-OPEN-LOCKDOWN, in the order the kernel checks.

import type { KernelFacts, LockdownLevel } from './facts.js';
import { fail, type Expected } from './expected.js';

export interface OpenContext {
  /** The prober holds CAP_SYS_RAWIO (the agent runs as root: true). */
  capSysRawio: boolean;
  /** Lockdown level when the fd was opened; an fd opened earlier keeps working. */
  lockdownAtOpen: LockdownLevel;
  /**
   * How /dev/mem came to exist: devtmpfs only creates nodes chr_dev_init()
   * registers, so with DEVMEM=n there is no node at all (ENOENT); a node the
   * image made itself (mknod c 1 1) reaches memory_open() and gets ENXIO.
   */
  devNode: 'devtmpfs' | 'static';
}

export const DEFAULT_OPEN: OpenContext = { capSysRawio: true, lockdownAtOpen: 'none', devNode: 'devtmpfs' };

/** Returns the failure, or null when the open succeeds. */
export function predictOpen(facts: Pick<KernelFacts, 'config'>, ctx: OpenContext = DEFAULT_OPEN): Expected | null {
  if (!facts.config.DEVMEM) {
    // devlist[DEVMEM_MINOR] only exists under CONFIG_DEVMEM: memory_open()
    // finds no fops → -ENXIO; chr_dev_init() creates no "mem" node.
    return ctx.devNode === 'static'
      ? fail('open', 'ENXIO', 'R-OPEN-NODEV', 'DEVMEM=n: memory_open() finds no fops for minor 1')
      : fail('open', 'ENOENT', 'R-OPEN-NODEV', 'DEVMEM=n: chr_dev_init() created no /dev/mem node in devtmpfs');
  }
  if (!ctx.capSysRawio) return fail('open', 'EPERM', 'R-OPEN-CAP', 'open_port(): !capable(CAP_SYS_RAWIO)');
  // LOCKDOWN_DEV_MEM sits below LOCKDOWN_INTEGRITY_MAX, so either level refuses.
  if (ctx.lockdownAtOpen !== 'none') {
    return fail('open', 'EPERM', 'R-OPEN-LOCKDOWN', `open_port(): security_locked_down(LOCKDOWN_DEV_MEM) at lockdown=${ctx.lockdownAtOpen}`);
  }
  return null;
}
