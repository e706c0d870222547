// A matrix's files next to matrix.json: each renderer that takes many
// reports (JUnit, KTAP, KCIDB) over every cell, and an index page linking
// them and each cell's own files.
import { join } from 'node:path';
import type { Report } from '../format/types.js';
import { RENDERERS } from '../report/renderers.js';
import { readJsonIfExists, writeFileAtomic } from '../util/cache.js';
import type { MatrixSummary } from './summary.js';

import { esc } from '../report/html/common.js';

export function matrixIndexHtml(m: MatrixSummary): string {
  const rows = m.cells
    .map((c) => {
      const bad = c.mismatches + c.violations + c.checkMismatches > 0 || c.status !== 'completed';
      const link = c.report.replace(/report\.json$/, 'report.html');
      const files = RENDERERS.filter((r) => r.file !== 'report.html').map((r) => `<a href="${esc(c.report.replace(/report\.json$/, r.file))}">${esc(r.option)}</a>`).join(' ');
      return `<tr class="${bad ? 'bad' : 'ok'}"><td><a href="${esc(link)}">${esc(c.id)}</a> <small>${files}</small></td><td>${esc(c.kernel)}</td><td>${esc(c.cmdline || '(none)')}</td><td>${esc(c.scenario)}</td><td>${esc(c.status)}${c.fault ? ` (${esc(c.fault)})` : ''}</td><td>${c.probes}</td><td>${c.mismatches}</td><td>${c.violations}</td><td>${c.checkMismatches}</td><td>${Object.entries(c.safety).map(([k, v]) => `${k}:${v}`).join(' ')}</td></tr>`;
    })
    .join('\n');
  const t = m.totals;
  return `<!doctype html><html><head><meta charset="utf-8"><title>devmem-lab matrix</title><style>
body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
tr.bad td{background:#fde8e8}tr.ok td{background:#eefbea}</style></head><body>
<h1>devmem-lab matrix</h1><p>${t.cells} cells: ${t.completed} completed, ${t.failed} failed; ${t.probes} probes, ${t.mismatches} mismatches, ${t.violations} violations, ${t.checkMismatches} step-check mismatches. ${RENDERERS.filter((r) => r.renderMany).map((r) => `<a href="${esc(r.file)}">${esc(r.file)}</a> · `).join('')}<a href="matrix.json">matrix.json</a></p>
<table><tr><th>cell</th><th>kernel</th><th>cmdline</th><th>scenario</th><th>status</th><th>probes</th><th>mismatch</th><th>violation</th><th>check mismatch</th><th>safety</th></tr>
${rows}</table></body></html>
`;
}

export async function writeMatrixArtifacts(dir: string, m: MatrixSummary): Promise<void> {
  const reports: Report[] = [];
  for (const c of m.cells) {
    const r = await readJsonIfExists<Report>(c.report.startsWith('/') ? c.report : join(dir, c.report));
    if (r) reports.push(r);
  }
  if (reports.length) for (const r of RENDERERS) if (r.renderMany) await writeFileAtomic(join(dir, r.file), r.renderMany(reports));
  await writeFileAtomic(join(dir, 'index.html'), matrixIndexHtml(m));
}
