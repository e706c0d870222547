// A self-contained HTML page for one run (inline CSS, SVG and a few lines of
// JS; no external assets): the physical address map of every step drawn
// from its /proc/iomem, with each probe at its address coloured by what the
// kernel did and mismatches and violations marked; then safety, coverage,
// findings, the fault, and optionally the behaviour diff against another run.
import type { Difference, ReportDiff } from '../compare/types.js';
import { differenceDetails, differenceTitle } from '../compare/render.js';
import { PROBE_OPS, type ProbeRecord } from '../probe/types.js';
import { ADDRESS_CLASSES, addressMap, CLASS_LABEL, classifyAddress, describeExpected, describeObserved, isBad, OUTCOME_KIND_LABEL, outcomeKind, probeOutcome, readableReport, runName, type AddressClass } from '../format/classes.js';
import { findings } from '../format/findings.js';
import { CLASS_COLOUR, nodes, OUTCOME_COLOUR, probeAddr, scenarioAccess, size, strayBlocks, type StepView } from './html/common.js';
import { axisPoints, buildScale, legend, stepSvg, type MapContext } from './html/map.js';
import { CSS, JS } from './html/style.js';
import { html, trusted, type Html } from './html/template.js';
import type { Report, StepReport } from '../format/types.js';
import type { Renderer } from './renderer.js';

export { OUTCOME_COLOUR } from './html/common.js';

export interface HtmlOptions {
  /** The diff of a baseline run (A) against this one (B), shown as its own section and marked on the map. */
  compare?: ReportDiff;
  /** Relative links to the run's files (default: beside the page). */
  files?: { consoleLog?: string; events?: string; reportJson?: string };
}

// ---- tables ------------------------------------------------------------

const th = (cols: string[]) => html`<thead><tr>${cols.map((c) => html`<th>${c}</th>`)}</tr></thead>`;

function chip(outcome: string, n: number, bad = 0): Html {
  const kind = outcomeKind(outcome);
  return html`<span class="chip" style="--c:${OUTCOME_COLOUR[kind]}" title="${OUTCOME_KIND_LABEL[kind]}">${outcome.replace(/^errno:|^signal:/, '')} ×${n}${bad ? html` <b class="badn">${bad} bad</b>` : ''}</span>`;
}

function classCell(ps: ProbeRecord[]): Html {
  const by = new Map<string, { n: number; bad: number; rules: Set<string> }>();
  for (const p of ps) {
    const o = by.get(probeOutcome(p)) ?? by.set(probeOutcome(p), { n: 0, bad: 0, rules: new Set() }).get(probeOutcome(p))!;
    o.n++;
    if (isBad(p.verdict)) o.bad++;
    if (p.expected) o.rules.add(p.expected.rule);
  }
  const chips = [...by].map(([o, s], i) => html`${i ? html`<br>` : ''}${chip(o, s.n, s.bad)}<span class="rules">${[...s.rules].join(' ')}</span>`);
  return html`<td class="${[...by.values()].some((s) => s.bad) ? 'badcell' : ''}">${chips}</td>`;
}

function classTable(v: StepView, ops: string[]): Html {
  const cell = new Map<string, ProbeRecord[]>();
  for (const p of v.step.probes) {
    const k = `${v.classOf.get(p.addr)}\u0000${p.op}`;
    (cell.get(k) ?? cell.set(k, []).get(k)!).push(p);
  }
  const classes = ADDRESS_CLASSES.filter((c) => ops.some((op) => cell.has(`${c}\u0000${op}`)));
  if (classes.length === 0) return html`<p class="muted">no probes</p>`;
  const rows = classes.map(
    (c) => html`<tr><th><span class="sw" style="background:${CLASS_COLOUR[c]}"></span>${CLASS_LABEL[c]}</th>${ops.map((op) => classCell(cell.get(`${c}\u0000${op}`) ?? []))}</tr>`,
  );
  return html`<table class="classes">${th(['address class', ...ops])}<tbody>${rows}</tbody></table>`;
}

function badList(v: StepView): Html | '' {
  // Mismatches and violations first, then probes that varied between repeats (apart: never findings).
  const bad = [...v.step.probes.filter((p) => isBad(p.verdict)), ...v.step.probes.filter((p) => p.verdict === 'flaky')];
  if (bad.length === 0) return '';
  const rows = bad.map(
    (p) => html`<tr class="${p.verdict}"><td>${p.verdict}</td><td><code>${p.addr}</code></td><td>${p.op}</td><td>${CLASS_LABEL[v.classOf.get(p.addr)!]}</td><td>${p.expected ? describeExpected(p.expected) : '—'}</td><td>${describeObserved(p.op, p.observed)}</td><td>${p.verdictReason ?? ''}</td></tr>`,
  );
  return html`<table class="bad">${th(['verdict', 'address', 'op', 'class', 'expected (rule)', 'observed', 'why'])}<tbody>${rows}</tbody></table>`;
}

function checksList(s: StepReport): Html | '' {
  if (!s.checks || s.checks.length === 0) return '';
  const pills = s.checks.map((c) => html`<span class="pill ${c.verdict}" title="${c.message}">${c.verdict === 'match' ? '✔' : c.verdict === 'flaky' ? '~' : '✘'} ${c.rule}</span>`);
  const bad = s.checks.filter((c) => c.verdict === 'mismatch').map((c) => html`<li><b>${c.rule}</b> mismatch: ${c.message}</li>`);
  return html`<div class="checks"><span class="muted">step checks</span> ${pills}${bad.length ? html`<ul>${bad}</ul>` : ''}</div>`;
}

function stepFacts(v: StepView): Html {
  const o = v.step.observations;
  const dev = v.map.devices.map((d) => `${d.id}: plugged ${size(d.plugged.reduce((a, r) => a + r.end - r.start + 1, 0))} of ${size(d.end - d.start + 1)}`);
  const bad = v.step.probes.filter((p) => isBad(p.verdict)).length;
  const stray = strayBlocks(v.step).length;
  const acc = scenarioAccess(v.step);
  const facts: (Html | string)[] = [
    ...(stray ? [html`<b class="badn">host: ${stray} populated unplugged block${stray > 1 ? 's' : ''} (S4)</b>`] : []),
    ...(acc ? [`scenario access ${acc.op} ${acc.addr}: ${describeObserved(acc.op, acc.observed)}`] : []),
    html`${v.step.probes.length} probes${bad ? html`, <b class="badn">${bad} mismatch/violation</b>` : ''}`,
    `high_memory ${o.highMemoryEnd || 'not measured'}`,
    `virtio_mem ${o.virtioMemLoaded ? 'loaded' : 'not loaded'}, ${o.virtioMemBound ? 'bound' : 'unbound'}`,
    ...dev,
    `${v.step.durationMs} ms`,
  ];
  return html`${facts.map((f, i) => html`${i ? ' · ' : ''}${f}`)}`;
}

// ---- sections ----------------------------------------------------------

function safetySection(r: Report): Html {
  const rows = r.safety.map(
    (s) => html`<tr class="${s.status}"><td><b>${s.id}</b></td><td><span class="status ${s.status}">${s.status}</span></td><td>${s.text}</td><td>${s.checks}</td><td>${s.evidence.length ? html`<ul>${s.evidence.map((e) => html`<li>${e}</li>`)}</ul>` : ''}</td></tr>`,
  );
  return html`<section id="safety"><h2>Safety properties</h2><table>${th(['id', 'status', 'property', 'checks', 'evidence'])}<tbody>${rows}</tbody></table></section>`;
}

function coverageSection(r: Report): Html {
  if (!r.coverage) return html`<section id="coverage"><h2>Rule coverage</h2><p class="muted">this report has no coverage table</p></section>`;
  const ex = r.coverage.filter((c) => c.status === 'exercised').length;
  const rows = r.coverage.map((c) => {
    const counts = r.summary.rules?.[c.rule];
    const bad = counts ? counts.mismatch + counts.violation : 0;
    return html`<tr class="${c.status}"><td><code>${c.rule}</code></td><td>${c.status === 'exercised' ? '✔' : '—'}</td><td>${c.probes}</td><td>${c.checks}</td><td>${c.via}</td><td>${bad ? html`<b class="badn">${bad}</b>` : counts ? '0' : ''}</td><td>${c.why ?? ''}</td></tr>`;
  });
  return html`<section id="coverage"><h2>Rule coverage <small>${ex} of ${r.coverage.length} rules exercised</small></h2><table>${th(['rule', 'exercised', 'probes', 'checks', 'via', 'bad', 'why not'])}<tbody>${rows}</tbody></table></section>`;
}

/** How the guest came up (boot once, run many). */
function originLine(r: Report): Html | '' {
  const o = r.environment.origin;
  if (!o) return '';
  const text =
    o.mode === 'restored' ? `guest restored from saved state ${o.state} (saved ${o.savedAt}) in ${o.restoreMs} ms`
    : o.mode === 'booted-and-saved' ? `guest booted and saved as ${o.state} for later runs`
    : o.mode === 'booted-after-failed-restore' ? `guest booted: restoring saved state ${o.state} failed (${o.error})`
    : 'guest booted (no saved state used)';
  return html`<p class="muted origin">${text}</p>`;
}

function faultSection(r: Report): Html | '' {
  const f = r.fault;
  if (!f && !r.error) return '';
  if (!f) return html`<section id="fault" class="fault"><h2>Run error</h2><p><b>${r.error!.code}</b> ${r.error!.message}</p>${r.error!.hint ? html`<p>${r.error!.hint}</p>` : ''}</section>`;
  const qemu = f.qemuExit ? JSON.stringify(f.qemuExit) : 'still running when the fault was classified';
  return html`<section id="fault" class="fault"><h2>Fault: ${f.kind}${f.step ? html` at ${f.step}` : ''}</h2><p><b>${f.code}</b> ${f.message}</p><p>QEMU: ${qemu}</p><details open><summary>console tail (${f.consoleTail.length} lines)</summary><pre>${f.consoleTail.join('\n')}</pre></details></section>`;
}

function findingsSection(r: Report): Html {
  const f = r.findings ?? [];
  const retries = r.environment.bootRetries ?? [];
  const retried = retries.length
    ? html`<h3>Guests relaunched</h3><ul>${retries.map((b) => html`<li><b>${b.code}</b>: ${b.message}<details><summary>last console lines of that boot</summary><pre>${b.consoleTail.join('\n')}</pre></details></li>`)}</ul>`
    : '';
  const item = (x: (typeof f)[number]) =>
    html`<li class="${x.kind}"><b>${x.kind}</b>${x.step ? html` at ${x.step}` : ''}: <code>${x.message ? `${x.message}\n` : ''}${x.line}</code>${x.trace?.length ? html`<details><summary>stack trace</summary><pre>${x.trace.join('\n')}</pre></details>` : ''}</li>`;
  const list = f.length ? html`<ul>${f.map(item)}</ul>` : html`<p class="muted">no panic, Oops, BUG, WARNING or memtype bookkeeping line in the kernel log</p>`;
  return html`<section id="findings"><h2>Kernel log findings</h2>${list}${retried}</section>`;
}

function compareSection(d: ReportDiff): Html {
  const badge = (s: string, n: number) => html`<span class="sev ${s}">${n} ${s}</span>`;
  const items = (list: Difference[]) =>
    list.map((x) => html`<li class="${x.severity}"><span class="sev ${x.severity}">${x.severity}</span> <b>${differenceTitle(x)}</b><ul>${differenceDetails(x, 6).map((l) => html`<li>${l}</li>`)}</ul></li>`);
  const main = d.differences.filter((x) => x.severity !== 'coverage');
  const cov = d.differences.filter((x) => x.severity === 'coverage');
  const side = (l: ReportDiff['a']) => html`<b>${l.name}</b> ${l.runId ? html`<code>${l.runId}</code>` : ''}`;
  const body = d.differences.length === 0
    ? html`<p class="ok">no differences: this run behaved like the baseline everywhere both looked</p>`
    : html`<ol class="diffs">${items(main)}</ol>${cov.length ? html`<details><summary>${cov.length} coverage differences (only one run looked)</summary><ol class="diffs">${items(cov)}</ol></details>` : ''}`;
  return html`<section id="compare"><h2>Compared with another run</h2><p>A (baseline): ${side(d.a)} · B (this run): ${side(d.b)}</p><p>${d.compared.steps} steps, ${d.compared.groups} step/class/op groups, ${d.compared.sharedProbes} probes at shared addresses compared. ${Object.entries(d.counts).map(([s, n]) => html`${badge(s, n)} `)}</p>${body}</section>`;
}

// ---- the page ----------------------------------------------------------

function stepSection(v: StepView, ctx: MapContext, ops: string[]): Html {
  const violated = v.step.probes.some((p) => p.verdict === 'violation') || strayBlocks(v.step).length > 0;
  const mismatched = v.step.probes.some((p) => p.verdict === 'mismatch') || (v.step.checks ?? []).some((c) => c.verdict === 'mismatch');
  const action = v.step.action !== v.step.name ? html` <small class="muted">${v.step.action}</small>` : '';
  const error = v.step.error ? html` · <b class="badn">${v.step.error.code}: ${v.step.error.message}</b>` : '';
  return html`<div class="step${violated ? ' hasviol' : mismatched ? ' hasbad' : ''}" id="step-${v.step.name}"><h3>${v.step.name}${action}</h3><div class="facts">${stepFacts(v)}${error}</div><div class="mapwrap">${trusted(stepSvg(v, ctx))}</div>${checksList(v.step)}${badList(v)}<details><summary>outcomes by address class and op</summary>${classTable(v, ops)}</details></div>`;
}

function repeatsLine(report: Report): Html | '' {
  const r = report.environment.repeats;
  return r ? html`<p class="muted">${r.runs} repeats (${r.boots === 'fresh' ? 'each booted afresh' : 'each restored from the same saved guest'}): a result that varied between them is flaky, shown apart and never a finding</p>` : '';
}

function summarySection(report: Report): Html {
  const s = report.summary;
  const violated = report.safety.filter((x) => x.status === 'violated').length;
  const card = (label: string, n: number | string, cls = '') => html`<div class="card ${cls}"><b>${n}</b>${label}</div>`;
  const cards = [
    card('steps', s.steps), card('probes', s.probes), card('match', s.matches),
    card('mismatch', s.mismatches, s.mismatches ? 'bad' : ''), card('violation', s.violations, s.violations ? 'bad' : ''),
    card('skipped', s.skipped), s.unknown ? card('unknown', s.unknown) : '',
    s.flaky ? card('flaky (varied between repeats)', s.flaky, 'flaky') : '', s.checks?.flaky ? card('step checks flaky', s.checks.flaky, 'flaky') : '',
    card('step checks match', s.checks?.match ?? 0), card('step checks mismatch', s.checks?.mismatch ?? 0, s.checks?.mismatch ? 'bad' : ''),
    card('safety violated', violated, violated ? 'bad' : ''), card('seconds', ((s.durationMs ?? 0) / 1000).toFixed(1)),
  ];
  return html`<section id="summary"><h2>Summary</h2><div class="cards">${cards}</div><p class="muted guest">${report.environment.guest?.version ?? ''}</p>${originLine(report)}${repeatsLine(report)}</section>`;
}

function header(report: Report, files: Required<NonNullable<HtmlOptions['files']>>, compare: boolean): Html {
  const env = report.environment;
  const n = findings(report);
  const unsafe = report.summary.violations + report.safety.filter((x) => x.status === 'violated').length;
  const [cls, text] = report.status !== 'completed' ? ['error', `run ${report.status}`] : unsafe > 0 ? ['fail', 'safety violated'] : n > 0 ? ['fail', 'kernel ≠ model'] : ['pass', 'kernel = model'];
  const nav = html`<a href="#summary">Summary</a><a href="#map">Address map</a><a href="#safety">Safety</a><a href="#coverage">Coverage</a><a href="#findings">Findings</a>${report.fault || report.error ? html`<a href="#fault">Fault</a>` : ''}${compare ? html`<a href="#compare">Compare</a>` : ''}<a href="${files.consoleLog}">console.log</a><a href="${files.events}">events.jsonl</a><a href="${files.reportJson}">report.json</a>`;
  return html`<header><h1>devmem-lab · ${runName(report)} <span class="verdict ${cls}">${text}</span></h1>
<div class="sub">${env.kernel?.source ?? ''} · QEMU ${env.qemu?.version ?? '?'} (${env.qemu?.accel ?? '?'}) · phys bits ${env.guest?.physBits ?? '?'} · lockdown ${env.guest?.lockdown ?? '?'} · run <code>${env.runId ?? '?'}</code> · ${report.status}</div>
<div class="sub"><code>${env.guest?.cmdline ?? ''}</code></div>
<nav>${nav}</nav></header>`;
}

/** The whole page, one string. */
export function toHtml(input: Report, opts: HtmlOptions = {}): string {
  const report = readableReport(input);
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
  const ctx: MapContext = { scale, ops, depth, changed, physBits: report.environment.guest?.physBits };
  const files = { consoleLog: 'console.log', events: 'events.jsonl', reportJson: 'report.json', ...opts.files };

  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>devmem-lab: ${runName(report)}</title><style>${trusted(CSS)}</style></head>
<body>
${header(report, files, !!opts.compare)}
<main>
${summarySection(report)}
${faultSection(report)}
<section id="map"><h2>Physical address map per step</h2>${trusted(legend())}${views.map((v) => stepSection(v, ctx, ops))}</section>
${safetySection(report)}
${coverageSection(report)}
${findingsSection(report)}
${opts.compare ? compareSection(opts.compare) : ''}
<footer class="muted">${report.schema} · generated by devmem-lab</footer>
</main>
<div id="pin"></div>
<svg width="0" height="0" style="position:absolute"><defs><pattern id="mixed" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ee8f2a"/><rect width="3" height="6" fill="#2f9e5a"/></pattern></defs></svg>
<script>${trusted(JS)}</script>
</body></html>
`.text;
}

export const htmlRenderer: Renderer = {
  option: 'html',
  file: 'report.html',
  describe: 'the self-contained HTML report',
  render: (r) => toHtml(r),
};
