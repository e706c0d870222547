// Parsers for what the guest prints about itself (lockdown, CPU address
// bits, the PAT memtype list): raw text in, the model's input types out.
// The model re-exports them (model/facts.ts); the guest's observation code
// uses them without depending on the model.

export class FactsParseError extends Error {
  readonly code = 'E_FACTS_PARSE';
  constructor(
    message: string,
    readonly what: string,
    readonly text: string,
  ) {
    super(`${message} (${what}: ${JSON.stringify(text.slice(0, 200))})`);
  }
}

export type LockdownLevel = 'none' | 'integrity' | 'confidentiality';

/** Parses /sys/kernel/security/lockdown: "[none] integrity confidentiality". */
export function parseLockdown(text: string): LockdownLevel {
  const m = /\[(none|integrity|confidentiality)\]/.exec(text);
  if (!m) throw new FactsParseError('no [selected] lockdown level', '/sys/kernel/security/lockdown', text);
  return m[1] as LockdownLevel;
}

/** Physical address bits from /proc/cpuinfo ("address sizes : 40 bits physical, 48 bits virtual"). */
export function parsePhysBits(cpuinfo: string): number {
  const m = /address sizes\s*:\s*(\d+) bits physical/.exec(cpuinfo);
  if (!m) throw new FactsParseError('no "address sizes" line', '/proc/cpuinfo', cpuinfo);
  return Number(m[1]);
}

/** One x86 PAT memtype reservation (/sys/kernel/debug/x86/pat_memtype_list). */
export interface MemtypeEntry {
  start: number;
  /** Exclusive end, as the kernel's memtype tree stores it. */
  end: number;
  type: 'write-back' | 'uncached-minus' | 'uncached' | 'write-combining' | 'write-through' | 'write-protected';
}

const MEMTYPE_LINE = /\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]\s+(write-back|uncached-minus|uncached|write-combining|write-through|write-protected)/;

/** Parses /sys/kernel/debug/x86/pat_memtype_list ("PAT: [mem 0x…-0x…] write-combining"). */
export function parsePatMemtypeList(text: string): MemtypeEntry[] {
  const out: MemtypeEntry[] = [];
  for (const line of text.split('\n')) {
    const m = MEMTYPE_LINE.exec(line);
    if (m) out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), type: m[3] as MemtypeEntry['type'] });
  }
  return out;
}

/** An MTRR type as /proc/mtrr names it (mtrr_attrib_to_str(), arch/x86/kernel/cpu/mtrr/mtrr.c). */
export type MtrrType = 'uncachable' | 'write-combining' | 'write-through' | 'write-protect' | 'write-back';

/** One enabled variable-range MTRR. */
export interface MtrrRange {
  base: number;
  size: number;
  type: MtrrType;
}

const MTRR_LINE = /^reg\d+: base=0x([0-9a-f]+) \(\s*\d+MB\), size=\s*(\d+)([MK])B, count=\d+: (uncachable|write-combining|write-through|write-protect|write-back)$/;

/**
 * Parses /proc/mtrr (mtrr_seq_show(), arch/x86/kernel/cpu/mtrr/if.c): one
 * line per enabled variable range, "reg00: base=0x0c0000000 ( 3072MB),
 * size= 1024MB, count=1: uncachable"; sizes under 1 MiB are in KB. A line of
 * another shape is an error, not a range silently dropped.
 */
export function parseProcMtrr(text: string): MtrrRange[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const m = MTRR_LINE.exec(line.trim());
      if (!m) throw new FactsParseError('not a /proc/mtrr line', '/proc/mtrr', line);
      return { base: parseInt(m[1], 16), size: Number(m[2]) * (m[3] === 'M' ? 0x100000 : 0x400), type: m[4] as MtrrType };
    });
}
