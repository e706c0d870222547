// S6, memtype coherence (x86 PAT), judged from the guest's
// x86/pat_memtype_list against what the lab itself mapped: the list is the
// thing judged here, not an input trusted. Three checks per step:
//   - every live page of a mapping the lab holds whose mmap made a
//     reservation (memtypes.ts mappingReservation()) is covered by an entry
//     of that type: the whole mapping, or, once a claim has revoked part of
//     it, the pages the revocation left mapped;
//   - no two entries overlapping one page disagree on the type
//     (memtype_reserve() refuses to create such a pair), and no O_SYNC
//     (uncached-minus) mapping the step's probes made succeeded over a page
//     a held mapping still maps with another type: the reservation is what
//     makes such a request fail (reserve_pfn_range() → -EINVAL → EAGAIN);
//   - no entry of the type it reserved covers a range the lab mapped and
//     has since unmapped, unless a mapping the lab still holds covers it
//     too: munmap → untrack_pfn() → free_pfn_range() → memtype_free() must
//     have dropped it (a leak otherwise). Entries over ranges the lab never
//     mapped, and entries of another type, are the kernel's own and are
//     not judged.
import type { MemtypeEntry, ModelReservation } from './facts.js';
import type { LabMapping } from './memtypes.js';
import type { SafetyEvidence } from './verdict.js';
import { hex } from '../util/hex.js';

const fmt = (m: MemtypeEntry) => `[mem ${hex(m.start)}-${hex(m.end - 1)}] ${m.type}`;
const overlaps = (a: { start: number; end: number }, start: number, endExcl: number) => a.start < endExcl && a.end > start;

/** A /dev/mem mapping a probe of the step made and unmapped again, with its cache mode: e.g. an O_SYNC mmap that succeeded. */
export interface StepMapping {
  what: string;
  start: number;
  endExcl: number;
  type: MemtypeEntry['type'];
}

/** Whether entry `e` can be reservation `r` (of a type the model may not know). */
const fits = (r: ModelReservation, e: MemtypeEntry) => (r.typeUnknown ? e.type === 'write-back' || e.type === 'uncached-minus' : e.type === r.type);

/** The pages of `m` that still have PTEs (LabMapping.live), end exclusive. */
const livePages = (m: LabMapping) => m.live ?? (m.revoked ? [] : [{ start: m.start, endExcl: m.endExcl }]);

export function checkS6(step: string, observed: MemtypeEntry[] | undefined, live: LabMapping[], released: LabMapping[], made: StepMapping[] = []): SafetyEvidence[] {
  if (!observed) return [{ property: 'S6', exercised: false, violated: false, evidence: `${step}: no x86/pat_memtype_list to judge` }];
  const out: SafetyEvidence[] = [];
  for (const m of live.filter((x) => x.reservation)) {
    const r = m.reservation!;
    const wanted = r.typeUnknown ? 'write-back or uncached-minus' : r.type;
    // A revoked mapping's pages outside the claim keep their PTEs
    // (touch.ts livePieces()): they need the reservation as much as before.
    for (const p of livePages(m)) {
      const cover = observed.find((e) => e.start <= p.start && e.end >= p.endExcl && fits(r, e));
      const range = `${hex(p.start)}-${hex(p.endExcl - 1)}`;
      out.push({
        property: 'S6',
        exercised: true,
        violated: !cover,
        evidence: cover
          ? `${step}: held ${m.name}${m.revoked ? ` (revoked in part) still maps ${range},` : ''} covered by ${fmt(cover)}`
          : `${step}: held ${m.name} (${hex(m.start)}${m.revoked ? ', revoked in part' : ''}) has live PTEs but no ${wanted} reservation covers ${range}${m.revoked ? ': the revocation freed the reservation of the pages it left mapped' : ''}`,
      });
    }
  }
  for (let i = 0; i < observed.length; i++) {
    for (let j = i + 1; j < observed.length; j++) {
      const a = observed[i];
      const b = observed[j];
      if (a.type !== b.type && overlaps(a, b.start, b.end)) {
        out.push({ property: 'S6', exercised: true, violated: true, evidence: `${step}: conflicting reservations ${fmt(a)} and ${fmt(b)} overlap` });
      }
    }
  }
  // Two cache modes on one page at once: the held mapping's PTEs have its
  // reservation's type (the one track_pfn_remap() answered at its mmap).
  for (const m of live.filter((x) => x.reservation && !x.reservation.typeUnknown)) {
    const type = m.reservation!.type;
    for (const p of livePages(m)) {
      for (const x of made.filter((y) => y.type !== type && overlaps({ start: p.start, end: p.endExcl }, y.start, y.endExcl))) {
        out.push({ property: 'S6', exercised: true, violated: true, evidence: `${step}: ${x.what} mapped ${hex(Math.max(x.start, p.start))} ${x.type} while held ${m.name} maps it ${type}: one page with two cache modes` });
      }
    }
  }
  for (const m of released.filter((x) => x.reservation)) {
    const r = m.reservation!;
    const stillHeld = live.some((l) => overlaps({ start: l.start, end: l.endExcl }, r.start, r.end));
    if (stillHeld) continue;
    // An entry of another type is not this mapping's: memtype_reserve() gave
    // the mapping r.type. A driver's ioremap() (uncached-minus) of the same
    // page once it claimed it is the kernel's own.
    const left = observed.filter((e) => overlaps(e, r.start, r.end) && fits(r, e));
    out.push({
      property: 'S6',
      exercised: true,
      violated: left.length > 0,
      evidence: left.length
        ? `${step}: released ${m.name} (${hex(m.start)}${m.revoked ? ', revoked before its release' : ''}) left ${left.map(fmt).join(', ')}: the reservation outlived its mapping`
        : `${step}: released ${m.name} (${hex(m.start)}): its reservation is gone`,
    });
  }
  return out.length ? out : [{ property: 'S6', exercised: false, violated: false, evidence: `${step}: the lab holds and released no tracked mapping` }];
}
