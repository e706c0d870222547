// What the lab reads from the guest over SSH: the facts of the boot (once)
// and the state after each step. One command per read, split into sections,
// so a step costs one round trip.

import { parseLockdown, parsePatMemtypeList, parsePhysBits, parseProcMtrr, type LockdownLevel, type MemtypeEntry, type MtrrRange } from './parse.js';
import type { GuestChannel } from './ssh.js';

const MARK = '@@devmem-lab@@';

/** Runs `name → command` pairs in one guest shell and splits the output. */
export async function readSections(ch: GuestChannel, cmds: Record<string, string>, timeoutMs = 30_000): Promise<Record<string, string>> {
  const script = Object.entries(cmds)
    .map(([name, cmd]) => `echo '${MARK} ${name}'; { ${cmd}; } 2>/dev/null || true`)
    .join('\n');
  const out = await ch.check(script, { timeoutMs });
  return splitSections(out);
}

export function splitSections(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  let cur: string | undefined;
  const buf: string[] = [];
  const flush = () => {
    if (cur !== undefined) res[cur] = buf.join('\n').replace(/\n+$/, '');
    buf.length = 0;
  };
  for (const line of out.split('\n')) {
    if (line.startsWith(MARK + ' ')) {
      flush();
      cur = line.slice(MARK.length + 1);
    } else if (cur !== undefined) buf.push(line);
  }
  flush();
  return res;
}

const NO_MTRR = 'no-proc-mtrr';

export interface GuestBootFacts {
  release: string;
  procVersion: string;
  cmdline: string;
  /** The CPU's physical address bits (/proc/cpuinfo "address sizes"); NaN where the CPU does not say (arm64). */
  physBits: number;
  lockdown: LockdownLevel;
  memoryBlockSize: number;
  /**
   * The enabled variable-range MTRRs (/proc/mtrr). Absent when the guest has
   * no /proc/mtrr: mtrr_if_init() creates it only while MTRRs are enabled.
   */
  mtrr?: MtrrRange[];
}

/** The commands whose sections make the boot facts (readSections()): one exec, alone or beside others. */
export const BOOT_FACT_COMMANDS: Readonly<Record<string, string>> = {
  release: 'uname -r',
  version: 'cat /proc/version',
  cmdline: 'cat /proc/cmdline',
  cpuinfo: "grep -m1 'address sizes' /proc/cpuinfo",
  lockdown: 'cat /sys/kernel/security/lockdown',
  blocksize: 'cat /sys/devices/system/memory/block_size_bytes',
  mtrr: `test -e /proc/mtrr && cat /proc/mtrr || echo ${NO_MTRR}`,
};

export async function readBootFacts(ch: GuestChannel): Promise<GuestBootFacts> {
  return bootFactsFrom(await readSections(ch, BOOT_FACT_COMMANDS));
}

/** The boot facts from the sections of BOOT_FACT_COMMANDS. */
export function bootFactsFrom(s: Record<string, string>): GuestBootFacts {
  return {
    release: s.release.trim(),
    procVersion: s.version.trim(),
    cmdline: s.cmdline.trim(),
    // arm64's /proc/cpuinfo has no "address sizes": the kernel's ARM64_PA_BITS says (lab/judge.ts kernelFacts()).
    physBits: /address sizes/.test(s.cpuinfo ?? '') ? parsePhysBits(s.cpuinfo) : Number.NaN,
    // No securityfs file: no lockdown LSM, so nothing is locked down.
    lockdown: s.lockdown?.trim() ? parseLockdown(s.lockdown) : 'none',
    memoryBlockSize: parseInt(s.blocksize.trim() || '0', 16),
    mtrr: s.mtrr?.trim() === NO_MTRR ? undefined : parseProcMtrr(s.mtrr ?? ''),
  };
}

export interface GuestState {
  dmesg: string[];
  virtioMemLoaded: boolean;
  virtioMemBound: boolean;
  /** Output of the extra commands asked for, by name. */
  extra: Record<string, string>;
}

/** The guest's state after a step, plus any extra commands, in one exec. */
export async function readGuestState(ch: GuestChannel, opts: { timeoutMs?: number; extra?: Record<string, string> } = {}): Promise<GuestState> {
  const s = await readSections(
    ch,
    {
      dmesg: 'dmesg',
      modules: 'cat /proc/modules',
      // Devices bound to the virtio_mem driver appear as links named virtioN.
      bound: 'ls /sys/bus/virtio/drivers/virtio_mem',
      ...opts.extra,
    },
    opts.timeoutMs,
  );
  return {
    dmesg: s.dmesg.split('\n').filter(Boolean),
    virtioMemLoaded: /^virtio_mem /m.test(s.modules ?? ''),
    virtioMemBound: /\bvirtio\d+\b/.test(s.bound ?? ''),
    extra: Object.fromEntries(Object.keys(opts.extra ?? {}).map((k) => [k, s[k] ?? ''])),
  };
}

/**
 * x86 PAT's memtype reservations (arch/x86/mm/pat/memtype.c, debugfs,
 * mounted by init): what an mmap of /dev/mem can conflict with (R-MMAP-PAT).
 * Readable under lockdown too: debugfs_locked_down() lets read-only files
 * without ioctl or mmap through.
 */
export const PAT_MEMTYPES_COMMAND = 'cat /sys/kernel/debug/x86/pat_memtype_list 2>/dev/null';

/** The list, or undefined when the guest does not expose it (no debugfs, PAT off). */
export function parseMemtypesAnswer(text: string | undefined): { text: string; entries: MemtypeEntry[] } | undefined {
  // memtype_seq_start() prints the header first, so a readable list always has it.
  if (!text || !text.includes('PAT memtype list')) return undefined;
  return { text: text.trim(), entries: parsePatMemtypeList(text) };
}

/** The kernel log lines after the ones already seen (dmesg is append-only until it wraps). */
export function dmesgDelta(before: string[], after: string[]): string[] {
  if (before.length === 0) return after;
  const lastSeen = before[before.length - 1];
  const i = after.lastIndexOf(lastSeen);
  return i >= 0 ? after.slice(i + 1) : after;
}
