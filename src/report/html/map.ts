// The address map of one step as SVG: the iomem tree in rows by depth,
// one row per probe op with a mark per probed page coloured by outcome,
// flags for mismatches and violations, the host's view of stray device
// pages, high_memory and the device region, on an axis shared by all steps.
import type { IomemNode } from '../../guest/iomem.js';
import type { ProbeRecord } from '../../probe/types.js';
import { ADDRESS_CLASSES, CLASS_LABEL, classifyAddress, describeExpected, describeObserved, isBad, OUTCOME_KIND_LABEL, outcomeKind, probeOutcome, type AddressClass, type AddressMap, type OutcomeKind } from '../../format/classes.js';
import { CLASS_COLOUR, esc, hex, nodes, OUTCOME_COLOUR, probeAddr, scenarioAccess, size, strayBlocks, type StepView } from './common.js';

/**
 * A piecewise scale: every boundary any step knows (iomem ranges, probed
 * pages, the device region, high_memory, 1 MiB, 4 GiB) is a breakpoint, and
 * each interval gets a fixed sliver plus a share that grows with log2 of its
 * size in pages — so a 4 KiB page in the low MiB, the 4 GiB hole and a
 * terabyte of unclaimed space are all visible, in address order.
 */
export interface Scale {
  x: (addr: number) => number;
  breaks: number[];
  width: number;
}

export function buildScale(points: number[], width: number): Scale {
  const breaks = [...new Set(points.filter((p) => Number.isFinite(p) && p >= 0))].sort((a, b) => a - b);
  const n = Math.max(1, breaks.length - 1);
  const sliver = Math.min(1.5, (width * 0.3) / n);
  const weights = breaks.slice(1).map((e, i) => Math.log2((e - breaks[i]) / 4096 + 1) ** 1.3);
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const rest = width - sliver * n;
  const px = [0];
  weights.forEach((w) => px.push(px[px.length - 1] + sliver + (rest * w) / total));
  const x = (addr: number): number => {
    if (addr <= breaks[0]) return 0;
    if (addr >= breaks[breaks.length - 1]) return width;
    let lo = 0;
    let hi = breaks.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (breaks[mid] <= addr) lo = mid;
      else hi = mid;
    }
    return px[lo] + ((px[hi] - px[lo]) * (addr - breaks[lo])) / (breaks[hi] - breaks[lo]);
  };
  return { x, breaks, width };
}

export function axisPoints(views: StepView[]): number[] {
  const pts = [0, 0x100000, 0x100000000];
  for (const v of views) {
    for (const n of nodes(v.map.roots)) pts.push(n.start, n.end + 1);
    for (const d of v.map.devices) pts.push(d.start, d.end + 1, ...d.plugged.flatMap((r) => [r.start, r.end + 1]));
    if (v.map.highMemoryEnd !== null) pts.push(v.map.highMemoryEnd);
    for (const p of v.step.probes) pts.push(probeAddr(p), probeAddr(p) + Math.max(1, p.len));
    for (const b of strayBlocks(v.step)) pts.push(Number.parseInt(b.addr, 16));
    const acc = scenarioAccess(v.step);
    if (acc) pts.push(probeAddr(acc), probeAddr(acc) + Math.max(1, acc.len));
  }
  return pts;
}

const GUTTER = 104;
const RULER = 12;
const ROW = 17;
const OP_ROW = 15;
const AXIS = 40;

function probeTitle(p: ProbeRecord, cls: AddressClass): string {
  const lines = [`${p.op} ${p.addr} (${p.len} bytes) — ${CLASS_LABEL[cls]}`, p.why, `observed: ${describeObserved(p.op, p.observed)}`];
  if (p.expected) {
    lines.push(`expected: ${describeExpected(p.expected)}${p.expected.via.length ? ` (via ${p.expected.via.join(', ')})` : ''}`, `why: ${p.expected.why}`);
  }
  lines.push(`verdict: ${p.verdict ?? 'none'}${p.verdictReason ? ` — ${p.verdictReason}` : ''}`);
  return lines.join('\n');
}

function rangeTitle(n: IomemNode, cls: AddressClass, probes: ProbeRecord[]): string {
  const inside = probes.filter((p) => probeAddr(p) >= n.start && probeAddr(p) <= n.end);
  const byOp = new Map<string, Map<string, number>>();
  for (const p of inside) {
    const m = byOp.get(p.op) ?? byOp.set(p.op, new Map()).get(p.op)!;
    m.set(probeOutcome(p), (m.get(probeOutcome(p)) ?? 0) + 1);
  }
  const lines = [`${n.name}`, `${hex(n.start)}–${hex(n.end)} (${size(n.end - n.start + 1)})`, `class: ${CLASS_LABEL[cls]}`];
  for (const [op, m] of byOp) lines.push(`${op}: ${[...m].map(([o, c]) => `${o} ×${c}`).join(', ')}`);
  if (inside.length === 0) lines.push('no probe inside');
  return lines.join('\n');
}

export interface MapContext {
  scale: Scale;
  physBits?: number;
  ops: string[];
  depth: number;
  changed: Set<string>;
}

export function stepSvg(v: StepView, ctx: MapContext): string {
  const { scale, ops } = ctx;
  const X = (a: number) => GUTTER + scale.x(a);
  const iomemTop = RULER + 4;
  const opTop = iomemTop + ctx.depth * ROW + 6;
  const height = opTop + ops.length * OP_ROW + AXIS;
  const width = GUTTER + scale.width + 12;
  const out: string[] = [];
  out.push(`<svg class="map" xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 ${width} ${height}" style="max-width:${width}px" role="img" aria-label="physical address map at step ${esc(v.step.name)}">`);
  // Track labels.
  out.push(`<text class="lbl" x="4" y="${RULER - 2}">probed pages</text>`);
  for (let d = 0; d < ctx.depth; d++) out.push(`<text class="lbl" x="4" y="${iomemTop + d * ROW + 12}">iomem${d === 0 ? '' : ` depth ${d}`}</text>`);
  ops.forEach((op, i) => out.push(`<text class="lbl" x="4" y="${opTop + i * OP_ROW + 11}">${esc(op)}</text>`));
  out.push(`<rect class="track" x="${GUTTER}" y="${opTop}" width="${scale.width}" height="${ops.length * OP_ROW}"/>`);

  // Resources, nested rows by depth, coloured by the class at their start.
  const probes = v.step.probes;
  for (const n of nodes(v.map.roots)) {
    if (n.depth >= ctx.depth) continue;
    const x1 = X(n.start);
    const w = Math.max(1, X(n.end + 1) - x1);
    const cls = rangeClass(v.map, n);
    const y = iomemTop + n.depth * ROW;
    const title = rangeTitle(n, cls, probes);
    out.push(`<g class="range" data-name="${esc(n.name)}"><title>${esc(title)}</title><rect x="${x1.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${ROW - 2}" fill="${CLASS_COLOUR[cls]}"/>`);
    const label = n.name.length * 5.6 < w - 4 ? n.name : n.name.length > 6 && w > 40 ? `${n.name.slice(0, Math.floor((w - 8) / 5.6) - 1)}…` : '';
    if (label) out.push(`<text class="rl" x="${(x1 + 3).toFixed(2)}" y="${y + 11}">${esc(label)}</text>`);
    out.push('</g>');
  }
  // Device regions as they are from QMP, even when the guest shows nothing.
  for (const d of v.map.devices) {
    const x1 = X(d.start);
    const x2 = X(d.end + 1);
    out.push(`<g class="device"><title>${esc(`virtio-mem ${d.id}: ${hex(d.start)}–${hex(d.end)} (${size(d.end - d.start + 1)}), plugged ${d.plugged.map((r) => `${hex(r.start)}–${hex(r.end)}`).join(', ') || 'nothing'} (${d.pluggedFrom})`)}</title>`);
    out.push(`<rect class="devbox" x="${x1.toFixed(2)}" y="${iomemTop - 3}" width="${(x2 - x1).toFixed(2)}" height="${opTop + ops.length * OP_ROW - iomemTop + 6}"/>`);
    out.push(`<text class="devl" x="${(x1 + 3).toFixed(2)}" y="${RULER - 3}">${esc(`${d.id} ${size(d.end - d.start + 1)}`)}</text>`);
    for (const r of d.plugged) out.push(`<rect class="plugged" x="${X(r.start).toFixed(2)}" y="${iomemTop - 3}" width="${Math.max(1, X(r.end + 1) - X(r.start)).toFixed(2)}" height="3"/>`);
    out.push('</g>');
  }

  // Probes, one mark per op and page, tinting the resource segment they stand for.
  const segments = segmentBounds(v.map.roots);
  ops.forEach((op, i) => {
    const y = opTop + i * OP_ROW;
    const mine = probes.filter((p) => p.op === op);
    const bySegment = new Map<number, Set<OutcomeKind>>();
    for (const p of mine) {
      const s = segmentOf(segments, probeAddr(p));
      (bySegment.get(s) ?? bySegment.set(s, new Set()).get(s)!).add(outcomeKind(probeOutcome(p)));
    }
    for (const [s, kinds] of bySegment) {
      const [a, b] = [segments[s], segments[s + 1]];
      if (a === undefined || b === undefined) continue;
      const fill = kinds.size === 1 ? OUTCOME_COLOUR[[...kinds][0]] : 'url(#mixed)';
      out.push(`<rect class="tint" x="${X(a).toFixed(2)}" y="${y + 1}" width="${Math.max(1, X(b) - X(a)).toFixed(2)}" height="${OP_ROW - 2}" fill="${fill}"/>`);
    }
    for (const p of mine) {
      const cls = v.classOf.get(p.addr)!;
      const a = probeAddr(p);
      let x1 = X(a);
      let w = X(a + Math.max(1, p.len)) - x1;
      if (w < 4) {
        x1 -= (4 - w) / 2;
        w = 4;
      }
      const kind = outcomeKind(probeOutcome(p));
      const marks = [isBad(p.verdict) ? p.verdict : '', ctx.changed.has(`${v.step.name} ${p.addr} ${p.op}`) ? 'changed' : ''].filter(Boolean).join(' ');
      out.push(`<rect class="probe ${marks}" data-verdict="${esc(p.verdict ?? 'none')}" x="${x1.toFixed(2)}" y="${y + 1}" width="${w.toFixed(2)}" height="${OP_ROW - 2}" fill="${OUTCOME_COLOUR[kind]}"><title>${esc(probeTitle(p, cls))}</title></rect>`);
    }
  });

  // The ruler: one tick per probed page, all its probes in the tooltip; bad ones flagged.
  const pages = new Map<string, ProbeRecord[]>();
  for (const p of probes) (pages.get(p.addr) ?? pages.set(p.addr, []).get(p.addr)!).push(p);
  for (const [addr, ps] of pages) {
    const x = X(Number.parseInt(addr, 16));
    const bad = ps.filter((p) => isBad(p.verdict));
    const title = [`${addr} — ${CLASS_LABEL[v.classOf.get(addr)!]}`, ps[0].why, ...ps.map((p) => `${p.op}: ${describeObserved(p.op, p.observed)} (${p.expected?.rule ?? 'no rule'}, ${p.verdict ?? 'none'})`)].join('\n');
    if (bad.length > 0) {
      const v2 = bad.some((p) => p.verdict === 'violation') ? 'violation' : 'mismatch';
      out.push(`<path class="flag ${v2}" d="M${(x - 5).toFixed(2)},1 L${(x + 5).toFixed(2)},1 L${x.toFixed(2)},${RULER} Z"><title>${esc(`${bad.length} ${v2}${bad.length > 1 ? 's' : ''} at ${title}`)}</title></path>`);
    } else {
      out.push(`<line class="tick" x1="${x.toFixed(2)}" x2="${x.toFixed(2)}" y1="${RULER - 6}" y2="${RULER}"><title>${esc(title)}</title></line>`);
    }
  }

  // What the host saw in the backend (S4) and a scenario's own access.
  for (const b of strayBlocks(v.step)) {
    const x = X(Number.parseInt(b.addr, 16));
    const title = `S4 violated: populated backend page in unplugged block ${b.block} at ${b.addr} (backend offset ${b.offset}, ${b.bytes} bytes), seen from the host`;
    out.push(`<g class="stray"><title>${esc(title)}</title><path class="flag violation" d="M${(x - 6).toFixed(2)},0 L${(x + 6).toFixed(2)},0 L${x.toFixed(2)},${RULER} Z"/><rect class="strayblk" x="${(x - 3).toFixed(2)}" y="${iomemTop}" width="6" height="${opTop + ops.length * OP_ROW - iomemTop}"/></g>`);
  }
  const acc = scenarioAccess(v.step);
  if (acc) {
    const x = X(probeAddr(acc));
    const title = `scenario access: ${acc.op} ${acc.addr} (${acc.len} bytes): ${describeObserved(acc.op, acc.observed)}`;
    out.push(`<path class="access" d="M${x.toFixed(2)},${RULER + 2} l5,5 l-5,5 l-5,-5 Z"><title>${esc(title)}</title></path>`);
  }

  // high_memory and the axis.
  const axisY = opTop + ops.length * OP_ROW + 4;
  if (v.map.highMemoryEnd !== null) {
    const x = X(v.map.highMemoryEnd);
    out.push(`<line class="hm" x1="${x.toFixed(2)}" x2="${x.toFixed(2)}" y1="${iomemTop - 4}" y2="${axisY + 18}"><title>high_memory ends at ${hex(v.map.highMemoryEnd)} (measured)</title></line>`);
  }
  out.push(axis(v, ctx, axisY));
  out.push('</svg>');
  return out.join('');
}

/**
 * The class a resource is drawn in: the class at its start, unless it spans
 * plugged and unplugged device memory (the "virtioN" parent), which is drawn
 * as device region with its plugged children on top.
 */
function rangeClass(map: AddressMap, n: IomemNode): AddressClass {
  const first = classifyAddress(map, n.start);
  const last = classifyAddress(map, n.end);
  return first !== last && (first.startsWith('device-') || last.startsWith('device-')) ? 'device-region-unplugged' : first;
}

/** Every iomem boundary: the segments between them have one innermost resource (or none). */
function segmentBounds(roots: IomemNode[]): number[] {
  const pts = new Set<number>();
  for (const n of nodes(roots)) {
    pts.add(n.start);
    pts.add(n.end + 1);
  }
  return [...pts].sort((a, b) => a - b);
}

function segmentOf(bounds: number[], addr: number): number {
  let lo = -1;
  let hi = bounds.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid] <= addr) lo = mid;
    else hi = mid;
  }
  return lo;
}

function axis(v: StepView, ctx: MapContext, y: number): string {
  const X = (a: number) => GUTTER + ctx.scale.x(a);
  const top = ctx.scale.breaks[ctx.scale.breaks.length - 1];
  // Labels in order of importance; one that would overlap a placed one is dropped.
  const marks: [number, string][] = [[0x100000000, '4 GiB'], [0, '0'], [0x100000, '1 MiB']];
  for (const d of v.map.devices) marks.push([d.end + 1, hex(d.end + 1)]);
  if (ctx.physBits && 2 ** ctx.physBits <= top) marks.push([2 ** ctx.physBits, `2^${ctx.physBits}: end of phys bits`]);
  else marks.push([top, hex(top)]);
  marks.push([0x40000000, '1 GiB']);
  const out: string[] = [`<line class="axis" x1="${GUTTER}" x2="${GUTTER + ctx.scale.width}" y1="${y}" y2="${y}"/>`];
  const placed: [number, number][] = [];
  for (const [a, text] of marks) {
    const x = X(a);
    out.push(`<line class="axis" x1="${x.toFixed(2)}" x2="${x.toFixed(2)}" y1="${y}" y2="${y + 4}"/>`);
    const w = text.length * 5.6;
    const tx = Math.min(Math.max(x - w / 2, GUTTER - 20), GUTTER + ctx.scale.width - w);
    if (placed.some(([l, r]) => tx < r + 6 && tx + w > l - 6)) continue;
    placed.push([tx, tx + w]);
    out.push(`<text class="ax" x="${tx.toFixed(2)}" y="${y + 15}">${esc(text)}</text>`);
  }
  if (v.map.highMemoryEnd !== null) {
    // Its own row, under its dashed line.
    const text = `high_memory ${hex(v.map.highMemoryEnd)}`;
    const w = text.length * 5.6;
    const tx = Math.min(Math.max(X(v.map.highMemoryEnd) - w / 2, GUTTER - 20), GUTTER + ctx.scale.width - w);
    out.push(`<text class="ax hmt" x="${tx.toFixed(2)}" y="${y + 28}">${esc(text)}</text>`);
  }
  return out.join('');
}

export function legend(): string {
  const outs = (Object.keys(OUTCOME_COLOUR) as OutcomeKind[]).map((k) => `<span class="chip" style="--c:${OUTCOME_COLOUR[k]}">${esc(OUTCOME_KIND_LABEL[k])}</span>`).join('');
  const classes = ADDRESS_CLASSES.filter((c) => c !== 'beyond-high-memory').map((c) => `<span class="lg"><span class="sw" style="background:${CLASS_COLOUR[c]}"></span>${esc(c === 'unclaimed-hole' ? 'no resource' : CLASS_LABEL[c])}</span>`).join('');
  return `<div class="legend"><div><b>probe outcome</b> ${outs}<span class="lg"><svg width="14" height="12"><path class="flag mismatch" d="M2,1 L12,1 L7,11 Z"/></svg> mismatch</span><span class="lg"><svg width="14" height="12"><path class="flag violation" d="M2,1 L12,1 L7,11 Z"/></svg> violation</span><span class="lg"><svg width="26" height="12"><line class="hm" x1="13" x2="13" y1="0" y2="12"/></svg> high_memory</span></div><div><b>resource class</b> ${classes}<span class="lg"><svg width="26" height="12"><rect class="devbox" x="1" y="1" width="24" height="10"/></svg> virtio-mem device region</span></div><details class="muted"><summary>how to read the map</summary>Each step is one picture, all on the same axis. The axis is piecewise: every boundary any step knows (iomem ranges, probed pages, the device region, high_memory) is a breakpoint and each interval is sized by log₂ of its pages, so the first MiB, the 4 GiB hole and the device region are all readable; addresses grow to the right but distances are not to scale. The iomem rows show the resource tree by depth, coloured by address class; the op rows show one mark per probe, coloured by outcome, and tint the resource segment each probe stands for (hatched: mixed outcomes). A triangle over a page flags a mismatch (red) or a violation (black). Hover for details; click a mark to pin them.</details></div>`;
}

