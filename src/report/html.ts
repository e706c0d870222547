// A self-contained HTML page for one run (inline CSS, SVG and a few lines of
// JS; no external assets): the physical address map of every step drawn
// from its /proc/iomem, with each probe at its address coloured by what the
// kernel did and mismatches and violations marked; then safety, coverage,
// findings, the fault, and optionally the behaviour diff against another run.
import type { Difference, ReportDiff } from '../compare/types.js';
import { differenceDetails, differenceTitle } from '../compare/render.js';
import type { IomemNode } from '../guest/iomem.js';
import { PROBE_OPS, type ProbeRecord } from '../probe/types.js';
import {
  ADDRESS_CLASSES,
  addressMap,
  CLASS_LABEL,
  classifyAddress,
  describeExpected,
  describeObserved,
  isBad,
  OUTCOME_KIND_LABEL,
  outcomeKind,
  probeOutcome,
  runName,
  type AddressClass,
  type AddressMap,
  type OutcomeKind,
} from './classes.js';
import type { Report, StepReport } from './types.js';

export interface HtmlOptions {
  /** The diff of a baseline run (A) against this one (B), shown as its own section and marked on the map. */
  compare?: ReportDiff;
  /** Relative links to the run's files (default: beside the page). */
  files?: { consoleLog?: string; events?: string; reportJson?: string };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const hex = (n: number): string => `0x${n.toString(16)}`;

function size(bytes: number): string {
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

const CLASS_COLOUR: Record<AddressClass, string> = {
  'low-mib': '#ece3c6',
  ram: '#cfe6cf',
  'mmio-busy': '#f4cfb2',
  'mmio-free': '#e3e3ee',
  'unclaimed-hole': '#ffffff',
  'beyond-high-memory': '#ffffff',
  'device-region-plugged': '#a9d3f7',
  'device-region-unplugged': '#e6f1fc',
};

// ---- the address axis --------------------------------------------------

/**
 * A piecewise scale: every boundary any step knows (iomem ranges, probed
 * pages, the device region, high_memory, 1 MiB, 4 GiB) is a breakpoint, and
 * each interval gets a fixed sliver plus a share that grows with log2 of its
 * size in pages — so a 4 KiB page in the low MiB, the 4 GiB hole and a
 * terabyte of unclaimed space are all visible, in address order.
 */
interface Scale {
  x: (addr: number) => number;
  breaks: number[];
  width: number;
}

function buildScale(points: number[], width: number): Scale {
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

interface StepView {
  step: StepReport;
  map: AddressMap;
  classOf: Map<string, AddressClass>;
}

function* nodes(roots: IomemNode[]): Generator<IomemNode> {
  for (const n of roots) {
    yield n;
    yield* nodes(n.children);
  }
}

const probeAddr = (p: ProbeRecord): number => Number.parseInt(p.addr, 16);

function axisPoints(views: StepView[]): number[] {
  const pts = [0, 0x100000, 0x100000000];
  for (const v of views) {
    for (const n of nodes(v.map.roots)) pts.push(n.start, n.end + 1);
    for (const d of v.map.devices) pts.push(d.start, d.end + 1, ...d.plugged.flatMap((r) => [r.start, r.end + 1]));
    if (v.map.highMemoryEnd !== null) pts.push(v.map.highMemoryEnd);
    for (const p of v.step.probes) pts.push(probeAddr(p), probeAddr(p) + Math.max(1, p.len));
  }
  return pts;
}

// ---- one step's map ----------------------------------------------------

const GUTTER = 104;
const RULER = 12;
const ROW = 17;
const OP_ROW = 15;
const AXIS = 30;

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
  const lines = [`${n.name}`, `${hex(n.start)}–${hex(n.end)} (${size(n.end - n.start + 1)})`, `class at its start: ${CLASS_LABEL[cls]}`];
  for (const [op, m] of byOp) lines.push(`${op}: ${[...m].map(([o, c]) => `${o} ×${c}`).join(', ')}`);
  if (inside.length === 0) lines.push('no probe inside');
  return lines.join('\n');
}

interface MapContext {
  scale: Scale;
  ops: string[];
  depth: number;
  changed: Set<string>;
}

function stepSvg(v: StepView, ctx: MapContext): string {
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
    const cls = classifyAddress(v.map, n.start);
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

  // high_memory and the axis.
  const axisY = opTop + ops.length * OP_ROW + 4;
  if (v.map.highMemoryEnd !== null) {
    const x = X(v.map.highMemoryEnd);
    out.push(`<line class="hm" x1="${x.toFixed(2)}" x2="${x.toFixed(2)}" y1="${iomemTop - 4}" y2="${axisY}"><title>high_memory ends at ${hex(v.map.highMemoryEnd)} (measured)</title></line>`);
  }
  out.push(axis(v, ctx, axisY));
  out.push('</svg>');
  return out.join('');
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
  const marks: [number, string][] = [
    [0, '0'],
    [0x100000, '1 MiB'],
    [0x100000000, '4 GiB'],
  ];
  if (v.map.highMemoryEnd !== null) marks.push([v.map.highMemoryEnd, `high_memory ${hex(v.map.highMemoryEnd)}`]);
  for (const d of v.map.devices) marks.push([d.start, `${d.id} ${hex(d.start)}`], [d.end + 1, hex(d.end + 1)]);
  const top = ctx.scale.breaks[ctx.scale.breaks.length - 1];
  marks.push([top, hex(top)]);
  const out: string[] = [`<line class="axis" x1="${GUTTER}" x2="${GUTTER + ctx.scale.width}" y1="${y}" y2="${y}"/>`];
  let lastEnd = -Infinity;
  for (const [a, text] of marks.sort((p, q) => p[0] - q[0])) {
    const x = X(a);
    out.push(`<line class="axis" x1="${x.toFixed(2)}" x2="${x.toFixed(2)}" y1="${y}" y2="${y + 4}"/>`);
    const w = text.length * 5.6;
    const tx = Math.min(Math.max(x - w / 2, GUTTER - 20), GUTTER + ctx.scale.width - w);
    if (tx < lastEnd + 6) continue;
    out.push(`<text class="ax" x="${tx.toFixed(2)}" y="${y + 15}">${esc(text)}</text>`);
    lastEnd = tx + w;
  }
  return out.join('');
}

// ---- tables ------------------------------------------------------------

function chip(outcome: string, n: number, bad = 0): string {
  const kind = outcomeKind(outcome);
  return `<span class="chip" style="--c:${OUTCOME_COLOUR[kind]}" title="${esc(OUTCOME_KIND_LABEL[kind])}">${esc(outcome.replace(/^errno:|^signal:/, ''))} ×${n}${bad ? ` <b class="badn">${bad} bad</b>` : ''}</span>`;
}

function classTable(v: StepView, ops: string[]): string {
  const cell = new Map<string, ProbeRecord[]>();
  for (const p of v.step.probes) {
    const k = `${v.classOf.get(p.addr)}\u0000${p.op}`;
    (cell.get(k) ?? cell.set(k, []).get(k)!).push(p);
  }
  const classes = ADDRESS_CLASSES.filter((c) => ops.some((op) => cell.has(`${c}\u0000${op}`)));
  if (classes.length === 0) return '<p class="muted">no probes</p>';
  const rows = classes.map((c) => {
    const tds = ops.map((op) => {
      const ps = cell.get(`${c}\u0000${op}`) ?? [];
      const by = new Map<string, { n: number; bad: number; rules: Set<string> }>();
      for (const p of ps) {
        const o = by.get(probeOutcome(p)) ?? by.set(probeOutcome(p), { n: 0, bad: 0, rules: new Set() }).get(probeOutcome(p))!;
        o.n++;
        if (isBad(p.verdict)) o.bad++;
        if (p.expected) o.rules.add(p.expected.rule);
      }
      const html = [...by].map(([o, s]) => `${chip(o, s.n, s.bad)}<span class="rules">${esc([...s.rules].join(' '))}</span>`).join('<br>');
      return `<td${[...by.values()].some((s) => s.bad) ? ' class="badcell"' : ''}>${html}</td>`;
    });
    return `<tr><th><span class="sw" style="background:${CLASS_COLOUR[c]}"></span>${esc(CLASS_LABEL[c])}</th>${tds.join('')}</tr>`;
  });
  return `<table class="classes"><thead><tr><th>address class</th>${ops.map((o) => `<th>${esc(o)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function badList(v: StepView): string {
  const bad = v.step.probes.filter((p) => isBad(p.verdict));
  if (bad.length === 0) return '';
  const rows = bad.map(
    (p) =>
      `<tr class="${esc(p.verdict!)}"><td>${esc(p.verdict!)}</td><td><code>${esc(p.addr)}</code></td><td>${esc(p.op)}</td><td>${esc(CLASS_LABEL[v.classOf.get(p.addr)!])}</td><td>${esc(p.expected ? describeExpected(p.expected) : '—')}</td><td>${esc(describeObserved(p.op, p.observed))}</td><td>${esc(p.verdictReason ?? '')}</td></tr>`,
  );
  return `<table class="bad"><thead><tr><th>verdict</th><th>address</th><th>op</th><th>class</th><th>expected (rule)</th><th>observed</th><th>why</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function checksList(s: StepReport): string {
  if (!s.checks || s.checks.length === 0) return '';
  return `<ul class="checks">${s.checks.map((c) => `<li class="${c.verdict}"><b>${esc(c.rule)}</b> <span class="v">${esc(c.verdict)}</span> ${esc(c.message)}</li>`).join('')}</ul>`;
}

function stepFacts(v: StepView): string {
  const o = v.step.observations;
  const dev = v.map.devices.map((d) => `${d.id}: plugged ${size(d.plugged.reduce((a, r) => a + r.end - r.start + 1, 0))} of ${size(d.end - d.start + 1)}`);
  const bad = v.step.probes.filter((p) => isBad(p.verdict)).length;
  return [
    `${v.step.probes.length} probes${bad ? `, <b class="badn">${bad} mismatch/violation</b>` : ''}`,
    `high_memory ${o.highMemoryEnd ? esc(o.highMemoryEnd) : 'not measured'}`,
    `virtio_mem ${o.virtioMemLoaded ? 'loaded' : 'not loaded'}, ${o.virtioMemBound ? 'bound' : 'unbound'}`,
    ...dev.map(esc),
    `${v.step.durationMs} ms`,
  ].join(' · ');
}

function safetySection(r: Report): string {
  const rows = r.safety.map(
    (s) =>
      `<tr class="${s.status}"><td><b>${esc(s.id)}</b></td><td><span class="status ${s.status}">${esc(s.status)}</span></td><td>${esc(s.text)}</td><td>${s.checks}</td><td>${s.evidence.length ? `<ul>${s.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''}</td></tr>`,
  );
  return `<section id="safety"><h2>Safety properties</h2><table><thead><tr><th>id</th><th>status</th><th>property</th><th>checks</th><th>evidence</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function coverageSection(r: Report): string {
  if (!r.coverage) return `<section id="coverage"><h2>Rule coverage</h2><p class="muted">this report has no coverage table</p></section>`;
  const ex = r.coverage.filter((c) => c.status === 'exercised').length;
  const rows = r.coverage.map((c) => {
    const counts = r.summary.rules?.[c.rule];
    const bad = counts ? counts.mismatch + counts.violation : 0;
    return `<tr class="${c.status}"><td><code>${esc(c.rule)}</code></td><td>${c.status === 'exercised' ? '✔' : '—'}</td><td>${c.probes}</td><td>${c.checks}</td><td>${c.via}</td><td>${bad ? `<b class="badn">${bad}</b>` : counts ? '0' : ''}</td><td>${esc(c.why ?? '')}</td></tr>`;
  });
  return `<section id="coverage"><h2>Rule coverage <small>${ex} of ${r.coverage.length} rules exercised</small></h2><table><thead><tr><th>rule</th><th>exercised</th><th>probes</th><th>checks</th><th>via</th><th>bad</th><th>why not</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function faultSection(r: Report): string {
  const f = r.fault;
  if (!f && !r.error) return '';
  if (!f) return `<section id="fault" class="fault"><h2>Run error</h2><p><b>${esc(r.error!.code)}</b> ${esc(r.error!.message)}</p>${r.error!.hint ? `<p>${esc(r.error!.hint)}</p>` : ''}</section>`;
  return `<section id="fault" class="fault"><h2>Fault: ${esc(f.kind)}${f.step ? ` at ${esc(f.step)}` : ''}</h2><p><b>${esc(f.code)}</b> ${esc(f.message)}</p><p>QEMU: ${f.qemuExit ? esc(JSON.stringify(f.qemuExit)) : 'still running when the fault was classified'}</p><details open><summary>console tail (${f.consoleTail.length} lines)</summary><pre>${esc(f.consoleTail.join('\n'))}</pre></details></section>`;
}

function findingsSection(r: Report): string {
  const f = r.findings ?? [];
  return `<section id="findings"><h2>Console findings</h2>${f.length ? `<ul>${f.map((x) => `<li class="${x.kind}"><b>${esc(x.kind)}</b>${x.step ? ` at ${esc(x.step)}` : ''}: <code>${esc(x.line)}</code></li>`).join('')}</ul>` : '<p class="muted">no panic, Oops, BUG or WARNING lines on the console</p>'}</section>`;
}

function compareSection(d: ReportDiff): string {
  const badge = (s: string, n: number) => `<span class="sev ${s}">${n} ${s}</span>`;
  const items = (list: Difference[]) =>
    list.map((x) => `<li class="${x.severity}"><span class="sev ${x.severity}">${x.severity}</span> <b>${esc(differenceTitle(x))}</b><ul>${differenceDetails(x, 6).map((l) => `<li>${esc(l)}</li>`).join('')}</ul></li>`).join('');
  const main = d.differences.filter((x) => x.severity !== 'coverage');
  const cov = d.differences.filter((x) => x.severity === 'coverage');
  return `<section id="compare"><h2>Compared with another run</h2><p>A (baseline): <b>${esc(d.a.name)}</b> ${d.a.runId ? `<code>${esc(d.a.runId)}</code>` : ''} · B (this run): <b>${esc(d.b.name)}</b> ${d.b.runId ? `<code>${esc(d.b.runId)}</code>` : ''}</p><p>${d.compared.steps} steps, ${d.compared.groups} step/class/op groups, ${d.compared.sharedProbes} probes at shared addresses compared. ${Object.entries(d.counts).map(([s, n]) => badge(s, n)).join(' ')}</p>${d.differences.length === 0 ? '<p class="ok">no differences: this run behaved like the baseline everywhere both looked</p>' : `<ol class="diffs">${items(main)}</ol>${cov.length ? `<details><summary>${cov.length} coverage differences (only one run looked)</summary><ol class="diffs">${items(cov)}</ol></details>` : ''}`}</section>`;
}

function legend(): string {
  const outs = (Object.keys(OUTCOME_COLOUR) as OutcomeKind[]).map((k) => `<span class="chip" style="--c:${OUTCOME_COLOUR[k]}">${esc(OUTCOME_KIND_LABEL[k])}</span>`).join('');
  const classes = ADDRESS_CLASSES.filter((c) => c !== 'beyond-high-memory').map((c) => `<span class="lg"><span class="sw" style="background:${CLASS_COLOUR[c]}"></span>${esc(c === 'unclaimed-hole' ? 'no resource' : CLASS_LABEL[c])}</span>`).join('');
  return `<div class="legend"><div><b>probe outcome</b> ${outs}<span class="lg"><svg width="14" height="12"><path class="flag mismatch" d="M2,1 L12,1 L7,11 Z"/></svg> mismatch</span><span class="lg"><svg width="14" height="12"><path class="flag violation" d="M2,1 L12,1 L7,11 Z"/></svg> violation</span><span class="lg"><svg width="26" height="12"><line class="hm" x1="13" x2="13" y1="0" y2="12"/></svg> high_memory</span></div><div><b>resource (class at its start)</b> ${classes}<span class="lg"><svg width="26" height="12"><rect class="devbox" x="1" y="1" width="24" height="10"/></svg> virtio-mem device region</span></div><p class="muted">Scale: piecewise, every boundary a breakpoint and each interval sized by log₂ of its pages, so the first MiB, the 4 GiB hole and the device region are all readable. Op rows tint each resource segment by the outcome of the probes in it (hatched: mixed). Hover for details; click a mark to pin it.</p></div>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#6b7280;--line:#d7dbe3;--bad:#d00000;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:14px 22px}header h1{margin:0;font-size:19px}header .sub{opacity:.85;margin-top:3px}
header nav{margin-top:8px}header nav a{color:#bcd4ff;margin-right:14px;text-decoration:none}header nav a:hover{text-decoration:underline}
main{padding:10px 22px 40px}section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0}
h2{font-size:15px;margin:0 0 8px}h2 small{font-weight:400;color:var(--muted);margin-left:6px}h3{font-size:14px;margin:0}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:96px;background:#fbfcfd}.card b{display:block;font-size:20px}.card.bad b{color:var(--bad)}
.verdict{font-weight:700;padding:2px 10px;border-radius:12px;margin-left:8px}.verdict.pass{background:#2f9e5a;color:#fff}.verdict.fail{background:var(--bad);color:#fff}.verdict.error{background:#444;color:#fff}
.env{display:grid;grid-template-columns:max-content 1fr;gap:1px 12px;margin:8px 0 0;color:var(--muted)}.env dt{font-weight:600}.env dd{margin:0}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid #eceef2;padding:3px 6px;text-align:left;vertical-align:top}thead th{background:#f1f3f6;font-weight:600}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#101418;color:#d7e0ea;padding:8px;border-radius:6px;overflow:auto;max-height:360px}
.muted{color:var(--muted)}.ok{color:#2f9e5a;font-weight:600}.badn{color:var(--bad)}
.step{border-top:1px solid var(--line);padding:10px 0 4px}.step:first-of-type{border-top:0}.step .facts{color:var(--muted);margin:2px 0 4px}.step.hasbad h3::after{content:" ▼ mismatch";color:var(--bad);font-size:12px}
.mapwrap{overflow-x:auto}svg.map{display:block;font:10px system-ui,sans-serif}
svg .lbl{fill:#5b6472;font-size:10px}svg .rl{fill:#2b3340;font-size:9.5px;pointer-events:none}svg .ax{fill:#4b5563;font-size:10px}
svg .range rect{stroke:#8d97a8;stroke-width:.6}svg .range:hover rect{stroke:#1d2330;stroke-width:1.4}
svg .track{fill:#fafbfc;stroke:#e3e6eb}svg .tint{opacity:.28}svg .probe{stroke:#ffffff;stroke-width:.5;cursor:pointer}svg .probe:hover{stroke:#000;stroke-width:1.2}
svg .probe.mismatch,svg .probe.violation{stroke:var(--bad);stroke-width:2}svg .probe.violation{stroke:#000}svg .probe.changed{stroke:#1565c0;stroke-width:1.6;stroke-dasharray:2 1}
svg .flag.mismatch{fill:var(--bad)}svg .flag.violation{fill:#000;stroke:var(--bad);stroke-width:1.5}svg .tick{stroke:#6b7280;stroke-width:1}
svg .hm{stroke:#c2185b;stroke-width:1.4;stroke-dasharray:4 3}svg .axis{stroke:#6b7280}svg .devbox{fill:none;stroke:#1565c0;stroke-width:1.2;stroke-dasharray:5 3}svg .plugged{fill:#1565c0}svg .devl{fill:#1565c0;font-size:10px;font-weight:600}
.legend{margin:4px 0 8px}.legend>div{margin:3px 0}.chip{display:inline-block;border-left:10px solid var(--c);background:#f3f4f6;border-radius:3px;padding:0 6px;margin:1px 6px 1px 0;white-space:nowrap}
.lg{display:inline-flex;align-items:center;gap:4px;margin-right:12px}.sw{display:inline-block;width:14px;height:11px;border:1px solid #8d97a8;margin-right:4px;vertical-align:-1px}
table.classes td{font-size:12px}table.classes .rules{color:var(--muted);font-size:11px;margin-left:2px}td.badcell{background:#fff0f0}
table.bad tr.mismatch td:first-child,table.bad tr.violation td:first-child{color:var(--bad);font-weight:600}
.checks{margin:4px 0;padding-left:18px}.checks li.mismatch .v{color:var(--bad);font-weight:700}.checks li.match .v{color:#2f9e5a}
.status{padding:0 6px;border-radius:8px}.status.holds{background:#dff3e6}.status.violated{background:var(--bad);color:#fff}.status.not-exercised{background:#eceef2}
tr.not-exercised td{color:var(--muted)}.fault{border-color:var(--bad)}.fault h2{color:var(--bad)}
.sev{display:inline-block;border-radius:8px;padding:0 7px;font-size:11px;background:#eceef2}.sev.regression{background:var(--bad);color:#fff}.sev.change{background:#ee8f2a;color:#fff}.sev.fix{background:#2f9e5a;color:#fff}.sev.rule{background:#8b79c6;color:#fff}.sev.content{background:#74b9e0}
ol.diffs>li{margin:4px 0}ol.diffs ul{margin:2px 0;color:#374151;font-size:12px}
#pin{position:fixed;right:14px;bottom:14px;max-width:560px;background:#1d2330;color:#e5edf7;padding:10px 12px;border-radius:8px;white-space:pre-wrap;font:12px ui-monospace,monospace;box-shadow:0 4px 18px rgba(0,0,0,.25);display:none}
#pin.on{display:block}
`;

// Pins a mark's tooltip text in a panel: native <title> tooltips are slow and vanish.
const JS = `
(function(){var pin=document.getElementById('pin');var pinned=null;
function text(el){var t=el.querySelector('title');return t?t.textContent:'';}
document.addEventListener('mouseover',function(e){var el=e.target.closest&&e.target.closest('.probe,.flag,.tick,.range');if(!el||pinned)return;pin.textContent=text(el);pin.className='on';});
document.addEventListener('mouseout',function(e){if(!pinned&&e.target.closest&&e.target.closest('.probe,.flag,.tick,.range'))pin.className='';});
document.addEventListener('click',function(e){var el=e.target.closest&&e.target.closest('.probe,.flag,.tick,.range');if(el){pinned=el;pin.textContent=text(el)+'\\n\\n(click elsewhere to unpin)';pin.className='on';}else if(pinned){pinned=null;pin.className='';}});
})();
`;

/** The whole page, one string. */
export function toHtml(report: Report, opts: HtmlOptions = {}): string {
  const views: StepView[] = report.steps.map((step) => {
    const map = addressMap(step.observations);
    const classOf = new Map<string, AddressClass>();
    for (const p of step.probes) if (!classOf.has(p.addr)) classOf.set(p.addr, classifyAddress(map, probeAddr(p)));
    return { step, map, classOf };
  });
  const scale = buildScale(axisPoints(views), 1180);
  const present = new Set(report.steps.flatMap((s) => s.probes.map((p) => p.op as string)));
  const ops = [...PROBE_OPS.filter((o) => present.has(o)), ...[...present].filter((o) => !(PROBE_OPS as readonly string[]).includes(o))];
  const depth = Math.max(1, ...views.map((v) => Math.max(0, ...[...nodes(v.map.roots)].map((n) => n.depth + 1))));
  const changed = new Set<string>();
  for (const d of opts.compare?.differences ?? []) if (d.kind === 'group') for (const p of d.probes) changed.add(`${d.step} ${p.addr} ${p.op}`);
  const ctx: MapContext = { scale, ops, depth, changed };

  const env = report.environment;
  const s = report.summary;
  const bad = s.mismatches + s.violations + (s.checks?.mismatch ?? 0) + report.safety.filter((x) => x.status === 'violated').length;
  const verdict = report.status !== 'completed' ? ['error', `run ${report.status}`] : bad > 0 ? ['fail', 'kernel ≠ model'] : ['pass', 'kernel = model'];
  const files = { consoleLog: 'console.log', events: 'events.jsonl', reportJson: 'report.json', ...opts.files };
  const name = runName(report);
  const card = (label: string, n: number | string, cls = '') => `<div class="card ${cls}"><b>${n}</b>${esc(label)}</div>`;

  const stepsHtml = views
    .map((v) => {
      const hasBad = v.step.probes.some((p) => isBad(p.verdict)) || (v.step.checks ?? []).some((c) => c.verdict === 'mismatch');
      return `<div class="step${hasBad ? ' hasbad' : ''}" id="step-${esc(v.step.name)}"><h3>${esc(v.step.name)}${v.step.action !== v.step.name ? ` <small class="muted">${esc(v.step.action)}</small>` : ''}</h3><div class="facts">${stepFacts(v)}${v.step.error ? ` · <b class="badn">${esc(v.step.error.code)}: ${esc(v.step.error.message)}</b>` : ''}</div><div class="mapwrap">${stepSvg(v, ctx)}</div>${checksList(v.step)}${badList(v)}<details><summary>outcomes by address class and op</summary>${classTable(v, ops)}</details></div>`;
    })
    .join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>devmem-lab: ${esc(name)}</title><style>${CSS}</style></head>
<body>
<header><h1>devmem-lab · ${esc(name)} <span class="verdict ${verdict[0]}">${esc(verdict[1])}</span></h1>
<div class="sub">${esc(env.kernel?.source ?? '')} · QEMU ${esc(env.qemu?.version ?? '?')} (${esc(env.qemu?.accel ?? '?')}) · run <code>${esc(env.runId ?? '?')}</code> · ${esc(env.startedAt ?? '')} · status ${esc(report.status)}</div>
<nav><a href="#summary">Summary</a><a href="#map">Address map</a><a href="#safety">Safety</a><a href="#coverage">Coverage</a><a href="#findings">Findings</a>${report.fault || report.error ? '<a href="#fault">Fault</a>' : ''}${opts.compare ? '<a href="#compare">Compare</a>' : ''}<a href="${esc(files.consoleLog)}">console.log</a><a href="${esc(files.events)}">events.jsonl</a><a href="${esc(files.reportJson)}">report.json</a></nav></header>
<main>
<section id="summary"><h2>Summary</h2><div class="cards">${card('steps', s.steps)}${card('probes', s.probes)}${card('match', s.matches)}${card('mismatch', s.mismatches, s.mismatches ? 'bad' : '')}${card('violation', s.violations, s.violations ? 'bad' : '')}${card('skipped', s.skipped)}${card('step checks match', s.checks?.match ?? 0)}${card('step checks mismatch', s.checks?.mismatch ?? 0, s.checks?.mismatch ? 'bad' : '')}${card('safety violated', report.safety.filter((x) => x.status === 'violated').length, report.safety.some((x) => x.status === 'violated') ? 'bad' : '')}${card('seconds', ((s.durationMs ?? 0) / 1000).toFixed(1))}</div>
<dl class="env"><dt>command line</dt><dd><code>${esc(env.guest?.cmdline ?? '')}</code></dd><dt>guest</dt><dd>${esc(env.guest?.version ?? '')}</dd><dt>phys bits, lockdown</dt><dd>${env.guest?.physBits ?? '?'} · ${esc(env.guest?.lockdown ?? '?')}</dd></dl></section>
${faultSection(report)}
<section id="map"><h2>Physical address map per step</h2>${legend()}${stepsHtml}</section>
${safetySection(report)}
${coverageSection(report)}
${findingsSection(report)}
${opts.compare ? compareSection(opts.compare) : ''}
<footer class="muted">${esc(report.schema)} · generated by devmem-lab</footer>
</main>
<div id="pin"></div>
<svg width="0" height="0" style="position:absolute"><defs><pattern id="mixed" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ee8f2a"/><rect width="3" height="6" fill="#2f9e5a"/></pattern></defs></svg>
<script>${JS}</script>
</body></html>
`;
}
