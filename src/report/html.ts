// A self-contained HTML page for one run (inline CSS, SVG and a few lines of
// JS; no external assets): the physical address map of every step drawn
// from its /proc/iomem, with each probe at its address coloured by what the
// kernel did and mismatches and violations marked; then safety, coverage,
// findings, the fault, and optionally the behaviour diff against another run.
import type { Difference, ReportDiff } from '../compare/types.js';
import { differenceDetails, differenceTitle } from '../compare/render.js';
import { PROBE_OPS, type ProbeRecord } from '../probe/types.js';
import { ADDRESS_CLASSES, addressMap, CLASS_LABEL, classifyAddress, describeExpected, describeObserved, isBad, OUTCOME_KIND_LABEL, outcomeKind, probeOutcome, readableReport, runName, type AddressClass } from '../format/classes.js';
import { CLASS_COLOUR, esc, nodes, OUTCOME_COLOUR, probeAddr, scenarioAccess, size, strayBlocks, type StepView } from './html/common.js';
import { axisPoints, buildScale, legend, stepSvg, type MapContext } from './html/map.js';
import { CSS, JS } from './html/style.js';
import type { Report, StepReport } from '../format/types.js';

export { OUTCOME_COLOUR } from './html/common.js';

export interface HtmlOptions {
  /** The diff of a baseline run (A) against this one (B), shown as its own section and marked on the map. */
  compare?: ReportDiff;
  /** Relative links to the run's files (default: beside the page). */
  files?: { consoleLog?: string; events?: string; reportJson?: string };
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
  const pills = s.checks.map((c) => `<span class="pill ${c.verdict}" title="${esc(c.message)}">${c.verdict === 'match' ? '✔' : '✘'} ${esc(c.rule)}</span>`).join('');
  const bad = s.checks.filter((c) => c.verdict === 'mismatch').map((c) => `<li><b>${esc(c.rule)}</b> mismatch: ${esc(c.message)}</li>`);
  return `<div class="checks"><span class="muted">step checks</span> ${pills}${bad.length ? `<ul>${bad.join('')}</ul>` : ''}</div>`;
}

function stepFacts(v: StepView): string {
  const o = v.step.observations;
  const dev = v.map.devices.map((d) => `${d.id}: plugged ${size(d.plugged.reduce((a, r) => a + r.end - r.start + 1, 0))} of ${size(d.end - d.start + 1)}`);
  const bad = v.step.probes.filter((p) => isBad(p.verdict)).length;
  const stray = strayBlocks(v.step).length;
  const acc = scenarioAccess(v.step);
  return [
    ...(stray ? [`<b class="badn">host: ${stray} populated unplugged block${stray > 1 ? 's' : ''} (S4)</b>`] : []),
    ...(acc ? [`scenario access ${esc(acc.op)} ${esc(acc.addr)}: ${esc(describeObserved(acc.op, acc.observed))}`] : []),
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
  const retries = r.environment.bootRetries ?? [];
  const retried = retries.length
    ? `<h3>Guests relaunched</h3><ul>${retries.map((b) => `<li><b>${esc(b.code)}</b>: ${esc(b.message)}<details><summary>last console lines of that boot</summary><pre>${esc(b.consoleTail.join('\n'))}</pre></details></li>`).join('')}</ul>`
    : '';
  return `<section id="findings"><h2>Console findings</h2>${f.length ? `<ul>${f.map((x) => `<li class="${x.kind}"><b>${esc(x.kind)}</b>${x.step ? ` at ${esc(x.step)}` : ''}: <code>${esc(x.line)}</code></li>`).join('')}</ul>` : '<p class="muted">no panic, Oops, BUG or WARNING lines on the console</p>'}${retried}</section>`;
}

function compareSection(d: ReportDiff): string {
  const badge = (s: string, n: number) => `<span class="sev ${s}">${n} ${s}</span>`;
  const items = (list: Difference[]) =>
    list.map((x) => `<li class="${x.severity}"><span class="sev ${x.severity}">${x.severity}</span> <b>${esc(differenceTitle(x))}</b><ul>${differenceDetails(x, 6).map((l) => `<li>${esc(l)}</li>`).join('')}</ul></li>`).join('');
  const main = d.differences.filter((x) => x.severity !== 'coverage');
  const cov = d.differences.filter((x) => x.severity === 'coverage');
  return `<section id="compare"><h2>Compared with another run</h2><p>A (baseline): <b>${esc(d.a.name)}</b> ${d.a.runId ? `<code>${esc(d.a.runId)}</code>` : ''} · B (this run): <b>${esc(d.b.name)}</b> ${d.b.runId ? `<code>${esc(d.b.runId)}</code>` : ''}</p><p>${d.compared.steps} steps, ${d.compared.groups} step/class/op groups, ${d.compared.sharedProbes} probes at shared addresses compared. ${Object.entries(d.counts).map(([s, n]) => badge(s, n)).join(' ')}</p>${d.differences.length === 0 ? '<p class="ok">no differences: this run behaved like the baseline everywhere both looked</p>' : `<ol class="diffs">${items(main)}</ol>${cov.length ? `<details><summary>${cov.length} coverage differences (only one run looked)</summary><ol class="diffs">${items(cov)}</ol></details>` : ''}`}</section>`;
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

  const env = report.environment;
  const s = report.summary;
  const bad = s.mismatches + s.violations + (s.checks?.mismatch ?? 0) + report.safety.filter((x) => x.status === 'violated').length;
  const unsafe = s.violations + report.safety.filter((x) => x.status === 'violated').length;
  const verdict = report.status !== 'completed' ? ['error', `run ${report.status}`] : unsafe > 0 ? ['fail', 'safety violated'] : bad > 0 ? ['fail', 'kernel ≠ model'] : ['pass', 'kernel = model'];
  const files = { consoleLog: 'console.log', events: 'events.jsonl', reportJson: 'report.json', ...opts.files };
  const name = runName(report);
  const card = (label: string, n: number | string, cls = '') => `<div class="card ${cls}"><b>${n}</b>${esc(label)}</div>`;

  const stepsHtml = views
    .map((v) => {
      const violated = v.step.probes.some((p) => p.verdict === 'violation') || strayBlocks(v.step).length > 0;
      const mismatched = v.step.probes.some((p) => p.verdict === 'mismatch') || (v.step.checks ?? []).some((c) => c.verdict === 'mismatch');
      return `<div class="step${violated ? ' hasviol' : mismatched ? ' hasbad' : ''}" id="step-${esc(v.step.name)}"><h3>${esc(v.step.name)}${v.step.action !== v.step.name ? ` <small class="muted">${esc(v.step.action)}</small>` : ''}</h3><div class="facts">${stepFacts(v)}${v.step.error ? ` · <b class="badn">${esc(v.step.error.code)}: ${esc(v.step.error.message)}</b>` : ''}</div><div class="mapwrap">${stepSvg(v, ctx)}</div>${checksList(v.step)}${badList(v)}<details><summary>outcomes by address class and op</summary>${classTable(v, ops)}</details></div>`;
    })
    .join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>devmem-lab: ${esc(name)}</title><style>${CSS}</style></head>
<body>
<header><h1>devmem-lab · ${esc(name)} <span class="verdict ${verdict[0]}">${esc(verdict[1])}</span></h1>
<div class="sub">${esc(env.kernel?.source ?? '')} · QEMU ${esc(env.qemu?.version ?? '?')} (${esc(env.qemu?.accel ?? '?')}) · phys bits ${env.guest?.physBits ?? '?'} · lockdown ${esc(env.guest?.lockdown ?? '?')} · run <code>${esc(env.runId ?? '?')}</code> · ${esc(report.status)}</div>
<div class="sub"><code>${esc(env.guest?.cmdline ?? '')}</code></div>
<nav><a href="#summary">Summary</a><a href="#map">Address map</a><a href="#safety">Safety</a><a href="#coverage">Coverage</a><a href="#findings">Findings</a>${report.fault || report.error ? '<a href="#fault">Fault</a>' : ''}${opts.compare ? '<a href="#compare">Compare</a>' : ''}<a href="${esc(files.consoleLog)}">console.log</a><a href="${esc(files.events)}">events.jsonl</a><a href="${esc(files.reportJson)}">report.json</a></nav></header>
<main>
<section id="summary"><h2>Summary</h2><div class="cards">${card('steps', s.steps)}${card('probes', s.probes)}${card('match', s.matches)}${card('mismatch', s.mismatches, s.mismatches ? 'bad' : '')}${card('violation', s.violations, s.violations ? 'bad' : '')}${card('skipped', s.skipped)}${s.unknown ? card('unknown', s.unknown) : ''}${card('step checks match', s.checks?.match ?? 0)}${card('step checks mismatch', s.checks?.mismatch ?? 0, s.checks?.mismatch ? 'bad' : '')}${card('safety violated', report.safety.filter((x) => x.status === 'violated').length, report.safety.some((x) => x.status === 'violated') ? 'bad' : '')}${card('seconds', ((s.durationMs ?? 0) / 1000).toFixed(1))}</div><p class="muted guest">${esc(env.guest?.version ?? '')}</p></section>
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
