// Which rules of the model page a run exercised, and why the others were
// not reachable from this run's kernel, command line and scenario.
import { RULES, type KernelFacts } from '../model/index.js';
import type { RuleCoverage, Summary } from './types.js';

export type { RuleCoverage } from './types.js';


/** Why a rule could not be reached, from what the run knew. */
function unreachable(rule: string, facts: KernelFacts | undefined): string {
  const c = facts?.config;
  const lockdown = facts?.cmdline.lockdown;
  switch (rule) {
    case 'R-OPEN-NODEV':
      return c && c.DEVMEM ? 'DEVMEM=y: /dev/mem exists' : 'not probed';
    case 'R-OPEN-CAP':
      return 'the agent runs as root with CAP_SYS_RAWIO';
    case 'R-OPEN-LOCKDOWN':
    case 'R-KCORE-OPEN':
      return lockdown ? `lockdown=${lockdown} on the command line, but no probe reached it` : 'no lockdown= on the command line (try --cmdline lockdown=integrity)';
    case 'R-MMAP-PAT-NOSTRICT':
      // Since 5.16 VIRTIO_MEM depends on EXCLUSIVE_SYSTEM_RAM (!DEVMEM || STRICT_DEVMEM).
      return c && c.STRICT_DEVMEM
        ? 'STRICT_DEVMEM=y: the PAT-only check is not reached (a 5.10 kernel built with STRICT_DEVMEM=n reaches it: build:bullseye/linux-source-5.10+STRICT_DEVMEM=n,IO_STRICT_DEVMEM=n)'
        : 'no denied page was mapped';
    case 'R-MMAP-PAT':
      return 'no O_SYNC mapping met a write-back reservation (the revoke scenario holds one over the device region)';
    case 'R-EXCL-SYSRAM':
      return 'the virtio-mem parent is System RAM, so R-DIA-RAM decides before iomem_is_exclusive() is asked';
    case 'R-PTRACE-RO':
      return 'needs a held mapping written through /proc/self/mem ("ptraceWrite" in a hold, as in the revoke scenario)';
    case 'R-REVOKE':
    case 'R-PTRACE-REVOKED':
    case 'R-PTRACE-RAM':
    case 'R-PTRACE-MMIO':
    case 'R-PTRACE-VMREADV':
      return 'needs a /dev/mem mapping held across steps (not in this scenario)';
    case 'R-KCORE-OFFLINE':
    case 'R-KCORE-HOLE':
      return 'no /proc/kcore probes in this scenario';
    case 'R-VMEM-UNLOAD-BUSY':
      return 'the driver was only unloaded with no memory added';
    case 'R-MMAP-ARGS':
      return 'every planned mmap is page aligned';
    case 'R-A64-RW-COPY':
      return c && c.STRICT_DEVMEM ? 'STRICT_DEVMEM=y: every memblock page is System RAM and denied, and everything else fails the memblock range check' : 'no read of memblock memory';
    case 'R-A64-TOUCH-SEA':
      return 'no touch reached an address the machine backs with nothing (or the lab could not read QEMU\'s flat view)';
    case 'R-A64-PTRACE-RAM-WARN':
      return 'needs a ptrace of RAM: a COWed private mapping read through /proc/self/mem (scenario cow-ptrace)';
    default:
      return 'no probe or step reached it';
  }
}

/**
 * The coverage table of the run's architecture: its rules only (RuleInfo.arches),
 * so an arm64 run is not charged with x86's PAT or first-MiB rules, nor the reverse.
 */
export function ruleCoverage(summary: Summary, facts?: KernelFacts): RuleCoverage[] {
  const arch = facts?.arch ?? 'x86_64';
  return [...RULES.values()].filter((info) => info.arches.includes(arch)).map((info) => {
    const r = summary.rules[info.id];
    const via = summary.rulesVia[info.id] ?? 0;
    const probes = r?.probes ?? 0;
    const checks = r?.checks ?? 0;
    const exercised = probes + checks + via > 0;
    return { rule: info.id, probes, checks, via, status: exercised ? 'exercised' : 'not-exercised', why: exercised ? undefined : unreachable(info.id, facts) };
  });
}
