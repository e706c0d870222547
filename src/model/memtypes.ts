// x86 PAT memtype reservations of /dev/mem mappings (arch/x86/mm/pat/memtype.c)
// and what the model knows of them: R-MMAP-PAT.
//
// The guest's x86/pat_memtype_list (debugfs) is one source. A kernel without
// CONFIG_DEBUG_FS, or a guest where debugfs is not mounted, has no list; the
// model then predicts the reservations from what the lab itself mapped (its
// held mappings) and marks every range where the kernel may hold
// reservations the lab cannot see. A request whose outcome depends on such
// a range is `unknown` (naming the missing input), never a guess.

import type { ModelContext } from './context.js';
import { PAGE_SIZE, type MemtypeEntry, type ModelReservation } from './facts.js';
import { writeBackAnswer } from './mtrr.js';

export type { LabMapping } from './facts.js';
import { isSystemRam } from './flags.js';
import { overlappingNodes } from './regions.js';
import { hex } from '../util/hex.js';

type Pcm = MemtypeEntry['type'];

const ISA_START = 0xa0000;
const ISA_END = 0x100000;

/** pat_enabled(): CONFIG_X86_PAT and no "nopat" (a probe answer, measured.patEnabled, wins); never on arm64. */
export function patEnabled(ctx: ModelContext): boolean {
  if (ctx.facts.arch === 'arm64') return false;
  const m = ctx.facts.measured?.['patEnabled'];
  if (m) return m.enabled;
  return ctx.facts.config.X86_PAT && !ctx.facts.cmdline.nopat;
}

/**
 * reserve_pfn_range()'s first test, pat_pagerange_is_ram(): pages at or above
 * 1 MiB inside busy System RAM take the RAM path (the page's own memtype,
 * no tree entry, never a conflict). The first MiB counts as non-RAM.
 */
function ramPath(ctx: ModelContext, start: number, endExcl: number): boolean {
  const ramFrom = Math.max(start, ISA_END);
  return ramFrom < endExcl && overlappingNodes(ctx.tree, ramFrom, endExcl - 1).some((n) => isSystemRam(n.flags) && n.flags.busy);
}

/** x86_platform.is_untracked_pat_range(): the legacy ISA range has no entries. */
const untracked = (start: number, endExcl: number) => start >= ISA_START && endExcl <= ISA_END;

/**
 * The tree entry track_pfn_remap() makes for a mapping of [start, endExcl),
 * if any. A write-back request gets the type pat_x_mtrr_type() answers
 * (mtrr.ts); where the model cannot tell, typeUnknown says why.
 */
export function mappingReservation(ctx: ModelContext, start: number, endExcl: number, type: Pcm = 'write-back'): ModelReservation | undefined {
  if (!patEnabled(ctx) || ramPath(ctx, start, endExcl) || untracked(start, endExcl)) return undefined;
  if (type !== 'write-back') return { start, end: endExcl, type };
  const a = writeBackAnswer(ctx.facts.mtrr, start, endExcl);
  return a.type ? { start, end: endExcl, type: a.type } : { start, end: endExcl, type: 'write-back', typeUnknown: a.missing };
}

/**
 * is_new_memtype_allowed() (arch/x86/include/asm/pgtable.h): a UC-, WC or WT
 * request cannot be answered with WB, and WT not with WC.
 */
function newMemtypeAllowed(want: Pcm, got: Pcm): boolean {
  if (got === 'write-back' && (want === 'uncached-minus' || want === 'write-combining' || want === 'write-through')) return false;
  return !(want === 'write-through' && got === 'write-combining');
}

/**
 * Where, without the guest's list, the kernel may hold reservations of its
 * own: anything but the virtio-mem device region (no driver ioremaps it) and
 * space no resource claims below a PCI host-bridge window. Revoked holds
 * count too (see LabMapping.revoked).
 */
function unseenReservations(ctx: ModelContext, start: number, endExcl: number): string | undefined {
  const held = (ctx.state.labMappings ?? []).find((m) => m.revoked && m.reservation && m.start < endExcl && m.endExcl > start);
  if (held) return `whether the revocation of held ${held.name} freed its reservation (untrack_pfn())`;
  const region = ctx.state.virtioMem.region;
  for (let a = start; a < endExcl; a += PAGE_SIZE) {
    if (region && a >= region.start && a <= region.end) continue;
    const claimed = overlappingNodes(ctx.tree, a, a + PAGE_SIZE - 1).find((n) => !n.name.startsWith('PCI Bus '));
    if (claimed) return `reservations the kernel may hold in ${claimed.name} (ioremap()/memremap())`;
  }
  return undefined;
}

export type PatAnswer = { kind: 'none' } | { kind: 'conflict'; why: string } | { kind: 'unknown'; missing: string };

/**
 * track_pfn_remap() → reserve_pfn_range() for the whole VMA. RAM ranges never
 * fail. Otherwise memtype_reserve(): memtype_check_conflict() fails with
 * -EBUSY when the overlapping reservations disagree among themselves, else
 * the first one's type is offered and is_new_memtype_allowed() may refuse it
 * (-EINVAL). Either error makes remap_pfn_range() fail and mmap_mem() return
 * -EAGAIN.
 *
 * Without the guest's list: memtype_reserve() never inserts an entry whose
 * type differs from an entry it overlaps, so all entries over one page share
 * one type. A one-page WB request is then always answered; a request over a
 * held WB reservation that WB cannot answer always fails; anything else over
 * unseen ranges is unknown.
 */
export function patConflict(ctx: ModelContext, start: number, endExcl: number, oSync: boolean): PatAnswer {
  if (!patEnabled(ctx) || ramPath(ctx, start, endExcl) || untracked(start, endExcl)) return { kind: 'none' };
  const want: Pcm = oSync ? 'uncached-minus' : 'write-back';
  const observed = ctx.state.memtypes;
  const known = observed ?? (ctx.state.labMappings ?? []).flatMap((m) => (m.reservation && !m.revoked ? [m.reservation] : []));
  const over: ModelReservation[] = known.filter((m) => m.start < endExcl && m.end > start);
  const range = `${hex(start)}-${hex(endExcl - 1)}`;
  const guessed = over.find((m) => m.typeUnknown);
  if (guessed && want !== 'write-back') return { kind: 'unknown', missing: `the type of the lab's own reservation over ${range}: ${guessed.typeUnknown}` };
  if (over.length > 0) {
    const first = over[0].type;
    const other = over.find((m) => m.type !== first);
    if (other) return { kind: 'conflict', why: `memtype_check_conflict(): reservations ${first} and ${other.type} overlap ${range}` };
    if (first !== want && !newMemtypeAllowed(want, first)) {
      return { kind: 'conflict', why: `reserve_pfn_range(): ${want} requested over an existing ${first} reservation${observed ? '' : ' (the lab\'s own hold)'}` };
    }
  }
  if (observed) return { kind: 'none' };
  const unseen = unseenReservations(ctx, start, endExcl);
  if (!unseen) return { kind: 'none' };
  if (endExcl - start <= PAGE_SIZE && (want === 'write-back' || over.length > 0)) return { kind: 'none' };
  return { kind: 'unknown', missing: `the guest's x86/pat_memtype_list (no debugfs): ${unseen}` };
}
