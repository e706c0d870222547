// /proc/kcore reads of physical memory through its direct-map PT_LOAD
// segments (fs/proc/kcore.c): R-KCORE-OFFLINE and the open checks.

import type { KernelFacts, LockdownLevel } from './facts.js';
import { fail, type Expected } from './expected.js';
import { resolveFeatures } from './versions.js';

/** What the page is to the memory hotplug code. */
export type KcorePage =
  | 'online' // online System RAM
  | 'page-offline' // PageOffline: a virtio-mem unplugged subblock inside an added block
  | 'offline-section' // added but offline memory block
  | 'never-added'; // no memmap, no KCORE_RAM entry

export interface KcoreAccess {
  page: KcorePage;
  capSysRawio: boolean;
  lockdown: LockdownLevel;
}

/**
 * open_kcore(): CAP_SYS_RAWIO, then security_locked_down(LOCKDOWN_KCORE),
 * which only the confidentiality level refuses. read_kcore(): ranges with
 * no KCORE_RAM entry have no PT_LOAD and read as zeros; from 5.14
 * pfn_to_online_page() and PageOffline() also give zeros (offline sections,
 * unplugged subblocks); 5.10 copies them through the direct map.
 */
export function predictKcore(facts: Pick<KernelFacts, 'version' | 'measured' | 'config'>, a: KcoreAccess): Expected {
  // fs/proc/Makefile: proc-$(CONFIG_PROC_KCORE) += kcore.o; no entry, no file.
  if (!facts.config.PROC_KCORE) return fail('open', 'ENOENT', 'R-KCORE-OPEN', 'PROC_KCORE=n: /proc/kcore does not exist');
  if (!a.capSysRawio) return fail('open', 'EPERM', 'R-KCORE-OPEN', 'open_kcore(): !capable(CAP_SYS_RAWIO)');
  if (a.lockdown === 'confidentiality') return fail('open', 'EPERM', 'R-KCORE-OPEN', 'open_kcore(): LOCKDOWN_KCORE at confidentiality');
  if (a.page === 'never-added') return { outcome: 'zeros', rule: 'R-KCORE-HOLE', via: ['R-KCORE-HOLE'], why: 'no KCORE_RAM entry covers a range never added' };
  if (a.page === 'online') return { outcome: 'data', rule: 'R-KCORE-OFFLINE', via: ['R-KCORE-OFFLINE'], why: 'online RAM is copied' };
  const f = resolveFeatures(facts).kcoreSkipsOffline;
  return f.enabled
    ? { outcome: 'zeros', rule: 'R-KCORE-OFFLINE', via: ['R-KCORE-OFFLINE'], why: `${a.page} page read as zeros (${f.why})` }
    : { outcome: 'data', rule: 'R-KCORE-OFFLINE', via: ['R-KCORE-OFFLINE'], why: `${a.page} page read through the direct map (${f.why})` };
}
