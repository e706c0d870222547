// Shared pieces of the HTML report: escaping, sizes, the colours of outcome
// kinds and address classes, and what a step's map is drawn from.
import { preorder, type IomemNode } from '../../guest/iomem.js';
import type { ProbeRecord } from '../../probe/types.js';
import type { AddressClass, AddressMap, OutcomeKind } from '../../format/classes.js';
import type { StepReport } from '../../format/types.js';

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export { hex } from '../../util/hex.js';

export function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  if (v >= 1024 && i < units.length - 1) {
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(1)} ${units[i]}`;
  }
  return `${v} ${units[i]}`;
}

export const OUTCOME_COLOUR: Record<OutcomeKind, string> = {
  allowed: '#2f9e5a',
  zeros: '#74b9e0',
  eperm: '#ee8f2a',
  efault: '#8b79c6',
  errno: '#9c5b2f',
  signal: '#c2185b',
  refused: '#9a9a9a',
};

export const CLASS_COLOUR: Record<AddressClass, string> = {
  'low-mib': '#ece3c6',
  ram: '#cfe6cf',
  'mmio-busy': '#f4cfb2',
  'mmio-free': '#e3e3ee',
  'unclaimed-hole': '#ffffff',
  'beyond-high-memory': '#ffffff',
  'device-region-plugged': '#a9d3f7',
  'device-region-unplugged': '#e6f1fc',
};

export interface StepView {
  step: StepReport;
  map: AddressMap;
  classOf: Map<string, AddressClass>;
}

export const nodes = (roots: IomemNode[]): Generator<IomemNode> => preorder(roots);

export const probeAddr = (p: ProbeRecord): number => Number.parseInt(p.addr, 16);

export interface StrayBlock {
  block: number;
  addr: string;
  offset: string;
  bytes: number;
}

/** Populated backend pages in unplugged blocks, as the host saw them (S4). */
export function strayBlocks(s: StepReport): StrayBlock[] {
  const h = s.observations.host as { strayBlocks?: unknown } | undefined;
  return Array.isArray(h?.strayBlocks) ? (h.strayBlocks as StrayBlock[]).filter((b) => typeof b?.addr === 'string') : [];
}

/** A scenario's own access (touch-unplugged), recorded like a probe in the step's action. */
export function scenarioAccess(s: StepReport): ProbeRecord | undefined {
  const a = (s.observations.action as { access?: Partial<ProbeRecord> } | undefined)?.access;
  return a && typeof a.addr === 'string' && typeof a.op === 'string' && a.observed ? (a as ProbeRecord) : undefined;
}

