// mmap() of /dev/mem (drivers/char/mem.c mmap_mem() and x86 PAT), in kernel order:
// R-MMAP-PHYSBITS, R-MMAP-DENY, R-MMAP-PAT-NOSTRICT, R-MMAP-PAT.
//
// What the model cannot see: PAT memtype reservations are not in /proc/iomem.
// When StepState.memtypes is absent the model assumes none conflict, which
// for the write-back mappings the probes make (no O_SYNC) is also what the
// kernel code gives in practice: a WB request only fails when the range
// overlaps two existing reservations of different types.

import { PAGE_SIZE, pfnOf, type MemtypeEntry } from './facts.js';
import type { ModelContext } from './context.js';
import { firstDeniedPage } from './dia.js';
import { fail, mergeVia, type Expected } from './expected.js';
import { isSystemRam } from './flags.js';
import { overlappingNodes } from './regions.js';

export interface MmapOptions {
  /** MAP_PRIVATE; allowed on MMU kernels (private_mapping_ok() is 1). */
  private: boolean;
  /** O_SYNC on the fd: phys_mem_access_prot_allowed() asks for UC- instead of WB. */
  oSync: boolean;
}

export const DEFAULT_MMAP: MmapOptions = { private: false, oSync: false };

const hex = (n: number) => '0x' + n.toString(16);
const ISA_START = 0xa0000;
const ISA_END = 0x100000;

/** pat_enabled(): CONFIG_X86_PAT and no "nopat" (a probe answer, measured.patEnabled, wins). */
export function patEnabled(ctx: ModelContext): boolean {
  const m = ctx.facts.measured?.['patEnabled'];
  if (m) return m.enabled;
  return ctx.facts.config.X86_PAT && !ctx.facts.cmdline.nopat;
}

type Pcm = MemtypeEntry['type'];

/**
 * is_new_memtype_allowed() (arch/x86/include/asm/pgtable.h): a UC-, WC or WT
 * request cannot be answered with WB, and WT not with WC.
 */
function newMemtypeAllowed(want: Pcm, got: Pcm): boolean {
  if (got === 'write-back' && (want === 'uncached-minus' || want === 'write-combining' || want === 'write-through')) return false;
  return !(want === 'write-through' && got === 'write-combining');
}

/**
 * track_pfn_remap() → reserve_pfn_range() for the whole VMA. RAM ranges
 * (pat_pagerange_is_ram() ≠ 0; the ISA hole below 1 MiB counts as non-RAM)
 * never fail, only adopt the RAM's type. Otherwise memtype_reserve():
 * the ISA range is untracked; memtype_check_conflict() fails with -EBUSY when
 * the overlapping reservations disagree among themselves, else the first
 * one's type is offered and is_new_memtype_allowed() may refuse it (-EINVAL).
 * Either error makes remap_pfn_range() fail and mmap_mem() return -EAGAIN.
 */
export function patConflict(ctx: ModelContext, start: number, endExcl: number, oSync: boolean): string | null {
  if (!patEnabled(ctx)) return null;
  const want: Pcm = oSync ? 'uncached-minus' : 'write-back';
  const ramFrom = Math.max(start, ISA_END);
  if (ramFrom < endExcl) {
    const ram = overlappingNodes(ctx.tree, ramFrom, endExcl - 1).some((n) => isSystemRam(n.flags) && n.flags.busy);
    if (ram) return null;
  }
  if (start >= ISA_START && endExcl <= ISA_END) return null;
  const over = (ctx.state.memtypes ?? []).filter((m) => m.start < endExcl && m.end > start);
  if (over.length === 0) return null;
  const first = over[0].type;
  const other = over.find((m) => m.type !== first);
  if (other) return `memtype_check_conflict(): reservations ${first} and ${other.type} overlap ${hex(start)}-${hex(endExcl - 1)}`;
  if (first !== want && !newMemtypeAllowed(want, first)) {
    return `reserve_pfn_range(): ${want} requested over an existing ${first} reservation`;
  }
  return null;
}

export function predictMmap(ctx: ModelContext, addr: number, len: number, opts: MmapOptions = DEFAULT_MMAP): Expected {
  // sys_mmap() rejects an unaligned offset, do_mmap() a zero length.
  if (addr % PAGE_SIZE !== 0) return fail('mmap', 'EINVAL', 'R-MMAP-ARGS', `offset ${hex(addr)} is not page aligned (sys_mmap())`);
  if (len <= 0) return fail('mmap', 'EINVAL', 'R-MMAP-ARGS', 'length 0 (do_mmap())');
  const size = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  const last = addr + size - 1;
  const physBits = ctx.facts.physBits;
  // valid_mmap_phys_addr_range() → phys_addr_valid(addr + count - 1). No high_memory test for mmap.
  if (last >= 2 ** physBits) {
    return fail('mmap', 'EINVAL', 'R-MMAP-PHYSBITS', `last byte ${hex(last)} needs more than ${physBits} physical address bits`, ['R-MMAP-PHYSBITS']);
  }
  const strict = ctx.facts.config.STRICT_DEVMEM;
  const pat = patEnabled(ctx);
  if (strict || pat) {
    // mmap_mem()'s range_is_allowed() under STRICT_DEVMEM, else the PAT copy
    // in memtype.c; dia = 2 counts as allowed (low-MiB RAM maps with real contents).
    const denied = firstDeniedPage(ctx, pfnOf(addr), pfnOf(last));
    if (denied) {
      const via = mergeVia(denied.dia.via, [strict ? 'R-MMAP-DENY' : 'R-MMAP-PAT-NOSTRICT']);
      return strict
        ? fail('mmap', 'EPERM', 'R-MMAP-DENY', `range_is_allowed(): ${denied.dia.why}`, via)
        : fail('mmap', 'EINVAL', 'R-MMAP-PAT-NOSTRICT', `STRICT_DEVMEM=n but PAT on: phys_mem_access_prot_allowed() refuses, ${denied.dia.why}`, via);
    }
  }
  const conflict = patConflict(ctx, addr, addr + size, opts.oSync);
  if (conflict) return fail('mmap', 'EAGAIN', 'R-MMAP-PAT', `remap_pfn_range() failed: ${conflict}`, ['R-MMAP-PAT']);
  return {
    outcome: 'ok',
    rule: 'R-MMAP-OK',
    via: [],
    why: `every page allowed${strict ? '' : ' (STRICT_DEVMEM=n)'}; ${opts.private ? 'MAP_PRIVATE' : 'MAP_SHARED'} ${opts.oSync ? 'UC-' : 'WB'} mapping, remap_pfn_range() fills all PTEs${ctx.state.memtypes ? '' : ' (no memtype list: no PAT conflict assumed)'}`,
  };
}
