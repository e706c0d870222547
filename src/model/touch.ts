// Touching a /dev/mem mapping (R-TOUCH) and losing it to a driver's claim
// (R-REVOKE, seed 003 "/dev/mem: Revoke mappings when a driver claims the region").

import type { IomemNode } from '../guest/iomem.js';
import { pfnOf, type KernelFacts, type PhysRange, type StepState } from './facts.js';
import { modelContext, type ModelContext } from './context.js';
import { devmemIsAllowed } from './dia.js';
import { mergeVia, type Expected } from './expected.js';
import { PCI_BDF, VIRTIO_MEM_PARENT } from './flags.js';
import { DEVM_CLAIM } from './arm64/flags.js';
import { predictMmap, type MmapOptions } from './mmap.js';
import { touchAbortArm64 } from './arm64/touch.js';
import { hex } from '../util/hex.js';


/** A fresh mmap + read of every byte (ProbeOp touch-shared / touch-private). */
export function predictTouch(ctx: ModelContext, addr: number, len: number, opts: MmapOptions): Expected {
  const m = predictMmap(ctx, addr, len, opts);
  if (m.outcome !== 'ok') return m;
  const abort = ctx.facts.arch === 'arm64' ? touchAbortArm64(ctx, addr, len, m) : undefined;
  if (abort) return abort;
  // remap_pfn_range() installed every PTE at mmap time, so reads never fault;
  // low-MiB RAM (dia 2) is mapped with its real contents, not zeros.
  return {
    outcome: 'data',
    bytes: len,
    rule: 'R-TOUCH',
    via: mergeVia(m.via, [m.rule, 'R-TOUCH']),
    why: `${m.why}; a live mapping returns the current contents`,
  };
}

/** A /dev/mem mapping made at an earlier step and still held. */
export interface HeldMapping {
  start: number;
  /** Last byte, inclusive. */
  end: number;
  private: boolean;
}

/**
 * A change to the iomem tree. Only `request` (a successful __request_region()
 * on the iomem root: request_mem_region*(), pci_request_region*(),
 * add_memory*() via register_memory_resource(), virtio-mem's parent) can
 * revoke; insert_resource(), releases, onlining and offlining cannot.
 */
export interface Claim extends PhysRange {
  name: string;
  kind: 'request' | 'insert' | 'release';
  /** Set when the kind was inferred from the name rather than known. */
  guess?: boolean;
}

export interface RevokeDecision {
  revokes: boolean;
  why: string;
}

/**
 * revoke_iomem() (kernel/resource.c; revoke_devmem() in 5.8–5.11 drivers/char/mem.c):
 * only with IO_STRICT_DEVMEM; runs after the new resource is in the tree, and
 * for speed tests devmem_is_allowed() only at the start and end pfns — both
 * allowed means nothing is revoked ("iomem=relaxed says go ahead").
 * `after` is the state with the claim in place.
 */
export function claimRevokes(facts: KernelFacts, after: StepState, claim: Claim): RevokeDecision {
  const ctx = modelContext(facts, after);
  if (claim.kind !== 'request') return { revokes: false, why: `${claim.kind} of "${claim.name}" never calls revoke_iomem()` };
  if (!ctx.features.revokeOnClaim.enabled) return { revokes: false, why: `no revocation before 5.8 (${ctx.features.revokeOnClaim.why})` };
  if (!facts.config.IO_STRICT_DEVMEM) return { revokes: false, why: 'IO_STRICT_DEVMEM=n: revoke_iomem() is an empty stub' };
  const a = devmemIsAllowed(ctx, pfnOf(claim.start));
  const b = devmemIsAllowed(ctx, pfnOf(claim.end));
  if (a.value !== 0 && b.value !== 0) {
    return { revokes: false, why: `claim "${claim.name}" ${hex(claim.start)}-${hex(claim.end)}: both ends still allowed, nothing revoked` };
  }
  const denied = a.value === 0 ? a : b;
  return { revokes: true, why: `claim "${claim.name}" ${hex(claim.start)}-${hex(claim.end)} zaps /dev/mem mappings: ${denied.why}` };
}

export interface ClaimEvent {
  claim: Claim;
  /** The state right after the claim. */
  after: StepState;
}

/**
 * Touching a mapping held across claims: the first revoking claim that
 * overlaps it zaps its PTEs (shared and private, COW copies included:
 * unmap_mapping_range(..., even_cows=1)); /dev/mem's vm_ops has no .fault,
 * so do_fault() answers VM_FAULT_SIGBUS → SIGBUS/BUS_ADRERR at the first
 * zapped byte. Otherwise the mapping still returns current contents.
 */
export function predictHeldTouch(facts: KernelFacts, mapping: HeldMapping, events: ClaimEvent[]): Expected {
  for (const { claim, after } of events) {
    if (claim.end < mapping.start || claim.start > mapping.end) continue;
    const d = claimRevokes(facts, after, claim);
    if (!d.revokes) continue;
    const firstZapped = Math.max(mapping.start, claim.start);
    return {
      outcome: 'signal',
      signal: 'SIGBUS',
      sigCode: 'BUS_ADRERR',
      bytes: firstZapped - mapping.start,
      rule: 'R-REVOKE',
      via: ['R-REVOKE'],
      why: `${d.why}; touching ${hex(firstZapped)} faults with no PTE and no .fault handler`,
    };
  }
  return {
    outcome: 'data',
    bytes: mapping.end - mapping.start + 1,
    rule: 'R-TOUCH',
    via: ['R-TOUCH'],
    why: events.length ? 'no claim since the mapping was made revoked it' : 'no claim since the mapping was made',
  };
}

/**
 * The pages of a held mapping that still have PTEs after the claims since
 * it was made: revoke_iomem() zaps exactly the claimed range
 * (unmap_mapping_range() of the claim's start and size in /dev/mem's
 * address space), so pages outside every revoking claim stay mapped.
 * Inclusive ranges, in address order; the whole mapping when nothing
 * revoked it.
 */
export function livePieces(facts: KernelFacts, mapping: HeldMapping, events: ClaimEvent[]): PhysRange[] {
  const zapped = events.filter(({ claim, after }) => claim.end >= mapping.start && claim.start <= mapping.end && claimRevokes(facts, after, claim).revokes).map((e) => e.claim);
  return subtract(mapping.start, mapping.end, zapped);
}

interface Flat {
  name: string;
  parent?: string;
  start: number;
  end: number;
}

function flat(roots: IomemNode[]): Flat[] {
  const out: Flat[] = [];
  const walk = (n: IomemNode, parent?: string) => {
    out.push({ name: n.name, parent, start: n.start, end: n.end });
    n.children.forEach((c) => walk(c, n.name));
  };
  roots.forEach((r) => walk(r));
  return out;
}

/** The parts of `pieces` that no range of `cover` covers. */
export const subtractRanges = (pieces: PhysRange[], cover: PhysRange[]): PhysRange[] => pieces.flatMap((p) => subtract(p.start, p.end, cover));

/** Pieces of [start, end] not covered by `cover`. */
function subtract(start: number, end: number, cover: PhysRange[]): PhysRange[] {
  let pieces: PhysRange[] = [{ start, end }];
  for (const c of cover) {
    pieces = pieces.flatMap((p) => {
      if (c.end < p.start || c.start > p.end) return [p];
      const out: PhysRange[] = [];
      if (c.start > p.start) out.push({ start: p.start, end: c.start - 1 });
      if (c.end < p.end) out.push({ start: c.end + 1, end: p.end });
      return out;
    });
  }
  return pieces;
}

/**
 * Claims that explain the difference between two /proc/iomem snapshots.
 * Requested resources are recognised by name: the virtio-mem parent, hot-added
 * "System RAM (…)" (a block merged into a neighbour shows up as growth of an
 * existing line), driver claims inside a PCI BAR and a device-tree
 * device's devm_ioremap_resource() claim ("9000000.pl011 pl011@9000000").
 * Other new lines are taken as insert_resource() and marked as a guess.
 */
export function claimsFromIomemDiff(before: IomemNode[], after: IomemNode[]): Claim[] {
  const old = flat(before);
  const claims: Claim[] = [];
  for (const n of flat(after)) {
    const requested = VIRTIO_MEM_PARENT.test(n.name) || n.name.startsWith('System RAM (') || (n.parent !== undefined && PCI_BDF.test(n.parent)) || DEVM_CLAIM.test(n.name);
    const same = old.filter((o) => o.name === n.name && o.parent === n.parent);
    for (const piece of subtract(n.start, n.end, same)) {
      claims.push({ ...piece, name: n.name, kind: requested ? 'request' : 'insert', ...(requested ? {} : { guess: true }) });
    }
  }
  const now = flat(after);
  for (const o of old) {
    const same = now.filter((n) => n.name === o.name && n.parent === o.parent);
    for (const piece of subtract(o.start, o.end, same)) claims.push({ ...piece, name: o.name, kind: 'release' });
  }
  return claims;
}
