// Held /dev/mem mappings and /proc/kcore: the probes that need history.
// A mapping made at one step is touched, read through /proc/self/mem (the
// ptrace path), through process_vm_readv, optionally written through
// /proc/self/mem, and mapped again on an O_SYNC fd while it is held (a UC-
// request over its reservation, R-MMAP-PAT) at every later step; the model
// predicts each from the claims seen since the mapping was made (R-REVOKE,
// R-PTRACE-*), and S2/S3 are checked whatever it predicted.
import { flattenIomem, type IomemNode } from '../guest/iomem.js';
import {
  checkS2,
  checkS3,
  mappingReservation,
  modelContext,
  claimsFromIomemDiff,
  livePieces,
  predictHeldTouch,
  predictKcore,
  predictPtrace,
  subtractRanges,
  PCI_BDF,
  type ClaimEvent,
  type Expected,
  type HeldMapping,
  type KcorePage,
  type KernelFacts,
  type LabMapping,
  type ModelReservation,
  type SafetyEvidence,
  type StepState,
} from '../model/index.js';
import type { ProbeOp, ProbeRecord, ProbeSpec } from '../probe/types.js';
import { PAGE } from '../probe/types.js';
import { RELEASE_HOWS, releaseHowFor, type ReleaseHow } from './held-spec.js';
import { hex } from '../util/hex.js';
import type { DeviceInfo } from './hostview.js';
import { applyExpected, judgeProbe } from './judge.js';

export interface Held extends HeldMapping {
  name: string;
  /** Index of the step that made it: only claims after it can revoke it. */
  stepIndex: number;
  /** Write it through /proc/self/mem too. */
  ptraceWrite: boolean;
  /** The PAT reservation its mmap made (memtypes.ts; null: none), known from the step it was made at. */
  reservation?: ModelReservation | null;
  /** Index of the step that released it: claims from then on cannot touch it. */
  releasedAt?: number;
}

/** Claims between two steps' iomem, stamped with the later step. */
export interface StepClaims {
  stepIndex: number;
  events: ClaimEvent[];
  /**
   * The step's action may have claimed and released a resource within the
   * step (ActionDef.opaque: a driver probe that fails after
   * pci_request_region() does), which no /proc/iomem snapshot shows.
   */
  opaque?: boolean;
}

export function stepClaims(stepIndex: number, before: IomemNode[] | undefined, after: StepState, opaque = false): StepClaims {
  return { stepIndex, events: before ? claimsFromIomemDiff(before, after.iomem).map((claim) => ({ claim, after })) : [], ...(opaque ? { opaque } : {}) };
}

/** The claims seen while a mapping was held (after the step that made it, before the one that released it): the ones that can have revoked it. */
const claimsWhileHeld = (h: Held, claims: StepClaims[]): StepClaims[] => claims.filter((c) => c.stepIndex > h.stepIndex && (h.releasedAt === undefined || c.stepIndex < h.releasedAt));
const claimsSince = (h: Held, claims: StepClaims[]): ClaimEvent[] => claimsWhileHeld(h, claims).flatMap((c) => c.events);

/**
 * The pages of `h` that a claim no snapshot saw may have revoked: those
 * inside a PCI function's resource (what a driver bind claims), once an
 * opaque step has run while `h` was held. Inclusive ranges.
 */
export function unseenClaimRanges(h: Held, claims: StepClaims[], iomem: IomemNode[]): { start: number; end: number }[] {
  if (!claimsWhileHeld(h, claims).some((c) => c.opaque)) return [];
  return flattenIomem(iomem)
    .filter((n) => PCI_BDF.test(n.name) && n.start <= h.end && n.end >= h.start)
    .map((n) => ({ start: Math.max(n.start, h.start), end: Math.min(n.end, h.end) }));
}

const unseenWhy = (r: { start: number; end: number }) =>
  `whether a driver claimed and released ${hex(r.start)}-${hex(r.end)} within one step (a failed driver probe does; /proc/iomem snapshots cannot show it), revoking the mapping there`;

/**
 * The mappings with the PAT reservation each made (memtypes.ts), decided
 * from the state of the step that made them: a new value for those made at
 * `stepIndex`, the others as they were.
 */
export function withReservations(facts: KernelFacts, state: StepState, held: Held[], stepIndex: number): Held[] {
  return held.map((h) => (h.stepIndex === stepIndex && h.reservation === undefined ? { ...h, reservation: mappingReservation(modelContext(facts, state), h.start, h.end + 1) ?? null } : h));
}

/** The lab's mappings as the model's PAT view needs them: the reservation each made and whether a claim since has revoked it. */
export function labMappings(facts: KernelFacts, held: Held[], claims: StepClaims[], iomem: IomemNode[]): LabMapping[] {
  return held.map((h) => {
    const since = claimsSince(h, claims);
    const revoked = predictHeldTouch(facts, h, since).outcome === 'signal';
    const unseen = unseenClaimRanges(h, claims, iomem);
    // S6 judges only the pages certainly still mapped.
    const certain = subtractRanges(livePieces(facts, h, since), unseen);
    const live = revoked || unseen.length ? certain.map((p) => ({ start: p.start, endExcl: p.end + 1 })) : undefined;
    return { name: h.name, start: h.start, endExcl: h.end + 1, reservation: h.reservation ?? undefined, revoked, ...(live ? { live } : {}) };
  });
}

const kind = (h: Held) => (h.private ? 'private' : 'shared');

export const holdSpecs = (held: Held[], firstId: number): ProbeSpec[] =>
  held.map((h, i) => ({ id: firstId + i, op: `hold-${kind(h)}` as ProbeOp, addr: h.start, len: lenOf(h), why: `hold ${h.name}` }));

/** A held mapping's length: the agent finds a hold by kind, address and length. */
const lenOf = (h: Held) => h.end - h.start + 1;

const useSpec = (h: Held, op: ProbeOp, id: number): ProbeSpec => ({
  id,
  op,
  addr: h.start,
  len: lenOf(h),
  why: op.startsWith('mmap-sync') ? `O_SYNC mapping over held ${h.name}` : `held ${h.name}`,
});

/** The release of each held mapping, by `how` (held-spec.ts RELEASE_HOWS). */
export const releaseSpecs = (held: Held[], firstId: number, how: ReleaseHow = 'munmap'): ProbeSpec[] =>
  held.map((h, i) => {
    const path = releaseHowFor(how, lenOf(h) / PAGE);
    return { id: firstId + i, op: `release-${path === 'munmap' ? '' : `${path}-`}${kind(h)}` as ProbeOp, addr: h.start, len: lenOf(h), why: `release ${h.name}${path === 'munmap' ? '' : ` (${path})`}` };
  });

/** The path a release op of releaseSpecs() takes ("release-move-head-private" → "move-head"), or undefined for another op. */
export function releasePathOf(op: string): ReleaseHow | undefined {
  const m = /^release-(?:(.+)-)?(?:shared|private)$/.exec(op);
  if (!m) return undefined;
  const path = (m[1] ?? 'munmap') as ReleaseHow;
  return RELEASE_HOWS.includes(path) ? path : undefined;
}

/** A fresh mapping of the held page on an O_SYNC fd, made while the hold keeps its reservation. */
export const syncMapSpecs = (held: Held[], firstId: number): ProbeSpec[] => held.map((h, i) => useSpec(h, `mmap-sync-${kind(h)}`, firstId + i));

/** The uses of one held mapping at a later step, in order; `withheld` (readsWithheld()): only the O_SYNC mapping. */
export function heldUseOps(h: Held, withheld = false): ProbeOp[] {
  const k = kind(h);
  if (withheld) return [`mmap-sync-${k}`] as ProbeOp[];
  return [`held-touch-${k}`, `held-procmem-${k}`, `held-vmreadv-${k}`, ...(h.ptraceWrite ? [`held-procmem-write-${k}`] : []), `mmap-sync-${k}`] as ProbeOp[];
}

/** Every held mapping's uses (heldUseOps), mapping by mapping; `withheld` names the mappings whose reads wait. */
export function useHeldSpecs(held: Held[], firstId: number, withheld: Set<string> = new Set()): ProbeSpec[] {
  let id = firstId;
  return held.flatMap((h) => heldUseOps(h, withheld.has(h.name)).map((op) => useSpec(h, op, id++)));
}

/**
 * Why the lab does not read a held mapping at this step, if it does not:
 * the mapping covers unplugged device memory, no driver is bound, and the
 * model predicts the mapping is not revoked, so a touch would read
 * unplugged memory. The kernel allows that (the touch-unplugged scenario
 * shows it and S4 flags it), the virtio-mem spec forbids it, and the lab
 * does not do it on its own account (probes.ts plans only mmaps there). The
 * reads resume at a step where the driver is bound or the mapping is
 * predicted revoked: a touch then faults, and one that does not is S2's.
 */
export function readsWithheld(facts: KernelFacts, state: StepState, h: Held, claims: StepClaims[]): string | undefined {
  const vm = state.virtioMem;
  if (vm.bound || !vm.region || h.end < vm.region.start || h.start > vm.region.end) return undefined;
  if (predictHeldTouch(facts, h, claimsSince(h, claims)).outcome === 'signal') return undefined;
  for (let a = Math.max(h.start, vm.region.start); a <= Math.min(h.end, vm.region.end); a += PAGE) {
    if (!vm.plugged.some((p) => p.start <= a && p.end >= a)) {
      return `held ${h.name} covers unplugged device memory at 0x${a.toString(16)} with no driver bound: reading it would populate the backend (S4); only its O_SYNC mapping is probed`;
    }
  }
  return undefined;
}

const ramNames = /^(System RAM|Kernel (code|rodata|data|bss))/;

/** Is the page ordinary (busy) System RAM: what generic_access_phys()'s ioremap_prot() refuses. */
function isRam(iomem: IomemNode[], addr: number): boolean {
  return flattenIomem(iomem).some((n) => ramNames.test(n.name) && n.start <= addr && n.end >= addr);
}

/**
 * Judges the uses of one held mapping (recs in heldUseOps order, with their
 * specs); returns S1/S2/S3 evidence.
 */
export function judgeHeldUses(facts: KernelFacts, state: StepState, h: Held, claims: StepClaims[], uses: { spec: ProbeSpec; rec: ProbeRecord }[]): SafetyEvidence[] {
  const events = claimsSince(h, claims);
  const byUse = (re: RegExp) => uses.find((u) => re.test(u.spec.op));
  const sync = byUse(/^mmap-sync-/);
  const withheld = readsWithheld(facts, state, h, claims);
  if (withheld) {
    const none = (property: 'S2' | 'S3'): SafetyEvidence => ({ property, exercised: false, violated: false, evidence: withheld });
    return [none('S2'), none('S3'), ...(sync ? [judgeProbe(facts, state, sync.spec, sync.rec)] : [])];
  }
  const touch = byUse(/^held-touch-/)!.rec;
  const procmem = byUse(/^held-procmem-(shared|private)$/)!.rec;
  const vmreadv = byUse(/^held-vmreadv-/)!.rec;
  const pokemem = byUse(/^held-procmem-write-/)?.rec;
  const unseen = unseenClaimRanges(h, claims, state.iomem)[0];
  const touchExp = predictHeldTouch(facts, h, events);
  if (unseen) {
    // What touch, ptrace and process_vm_readv return depends on a claim the lab could not see.
    const unknown: Expected = { ...touchExp, unknown: unseenWhy(unseen) };
    for (const u of uses.filter((x) => x !== sync)) apply(u.rec, unknown);
    const none = (property: 'S2' | 'S3'): SafetyEvidence => ({ property, exercised: false, violated: false, evidence: `held ${h.name}: not judged, the model lacks ${unseenWhy(unseen)}` });
    return [none('S2'), none('S3'), ...(sync ? [judgeProbe(facts, state, sync.spec, sync.rec)] : [])];
  }
  const revokedObserved = touch.observed.result === 'signal';
  const target = !isRam(state.iomem, h.start) ? 'mmio' : h.start < 0x100000 ? 'reserved-ram' : 'ram';
  // PROT_READ mappings: every PTE is read-only.
  // A claim zaps only its own range: a mapping that starts before it keeps its first pages (predictHeldTouch()'s bytes).
  const livePrefix = touchExp.outcome === 'signal' ? (touchExp.bytes ?? 0) : 0;
  const ptraceBase = { write: false, revoked: touchExp.outcome === 'signal', pteWritable: false, target, livePrefix } as const;
  apply(touch, touchExp);
  apply(procmem, predictPtrace(facts, { ...ptraceBase, via: 'proc-mem' }));
  apply(vmreadv, predictPtrace(facts, { ...ptraceBase, via: 'process_vm_readv' }));
  if (pokemem) apply(pokemem, predictPtrace(facts, { ...ptraceBase, write: true, via: 'proc-mem' }));
  const what = `${h.name} (${kind(h)} mapping of 0x${h.start.toString(16)})`;
  const s2 = checkS2(h, events, touch.observed);
  const s3 = checkS3(revokedObserved, procmem.observed, `/proc/self/mem read of ${what}`, livePrefix);
  const checked: [ProbeRecord, SafetyEvidence][] = [
    [touch, s2],
    [procmem, s3],
  ];
  if (pokemem) checked.push([pokemem, checkS3(revokedObserved, pokemem.observed, `/proc/self/mem write of ${what}`)]);
  for (const [rec, ev] of checked) {
    if (ev.violated) {
      rec.verdict = 'violation';
      rec.verdictReason = `${ev.property}: ${ev.evidence}`;
    }
  }
  const out = checked.map(([, ev]) => ev);
  if (sync) out.push(judgeProbe(facts, state, sync.spec, sync.rec));
  return out;
}

function apply(rec: ProbeRecord, e: Expected): void {
  if (rec.observed.result === 'errno' && rec.observed.syscall === 'hold') {
    rec.verdict = 'skipped';
    rec.verdictReason = 'the mapping could not be made (see the hold probe)';
    return;
  }
  if (rec.observed.result === 'refused') {
    rec.verdict = 'skipped';
    rec.verdictReason = `agent refused: ${rec.observed.reason ?? 'not allowed'}`;
    return;
  }
  const j = applyExpected(rec, e);
  rec.verdict = j.verdict;
  if (j.verdict !== 'match') rec.verdictReason = j.reason;
}

/**
 * /proc/kcore probes of the device region: a plugged page, an unplugged
 * subblock inside an added block (PageOffline) when there is one, a page
 * never added, and ordinary RAM.
 */
export function kcoreSpecs(state: StepState, dev: DeviceInfo | undefined, firstId: number): { spec: ProbeSpec; page: KcorePage }[] {
  // Ordinary RAM: the first boot System RAM at or above 1 MiB (0x100000 on the PC, 0x40000000 on QEMU virt).
  const ram = state.iomem.find((n) => n.name === 'System RAM' && n.start >= 0x100000);
  const out: { addr: number; page: KcorePage; why: string }[] = ram ? [{ addr: ram.start, page: 'online', why: 'System RAM' }] : [];
  if (dev) {
    const added = flattenIomem(state.iomem).filter((n) => n.name === 'System RAM (virtio_mem)');
    const inAdded = (a: number) => added.some((n) => n.start <= a && n.end >= a);
    const plugEnd = dev.memaddr + dev.size;
    if (dev.size > 0) out.push({ addr: dev.memaddr, page: 'online', why: 'first plugged page' });
    if (inAdded(plugEnd)) out.push({ addr: plugEnd, page: 'page-offline', why: 'unplugged subblock inside an added memory block' });
    const last = dev.memaddr + dev.maxSize - PAGE;
    if (!inAdded(last)) out.push({ addr: last, page: 'never-added', why: 'device memory never added' });
  }
  return out.map((o, i) => ({ spec: { id: firstId + i, op: 'kcore', addr: o.addr, len: PAGE, why: `kcore: ${o.why}` }, page: o.page }));
}

export function judgeKcore(facts: KernelFacts, state: StepState, page: KcorePage, rec: ProbeRecord, capSysRawio = true): void {
  apply(rec, predictKcore(facts, { page, capSysRawio, lockdown: state.lockdown }));
}

/** What a physical page is to the hotplug code, for a kcore read of it. */
export function kcorePage(state: StepState, dev: DeviceInfo | undefined, addr: number): KcorePage {
  const nodes = flattenIomem(state.iomem);
  const added = nodes.filter((n) => n.name === 'System RAM (virtio_mem)').some((n) => n.start <= addr && n.end >= addr);
  if (dev && addr >= dev.memaddr && addr < dev.memaddr + dev.maxSize) {
    if (!added) return 'never-added';
    return addr < dev.memaddr + dev.size ? 'online' : 'page-offline';
  }
  return isRam(state.iomem, addr) ? 'online' : 'never-added';
}
