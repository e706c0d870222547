// The matrix summary: one row per cell from its report, written after every
// cell, and the merge of shard summaries into one.
import type { Report } from '../format/types.js';
import type { Cell } from './cells.js';

export const MATRIX_SCHEMA = 'devmem-lab/matrix@1';

export interface CellResult extends Cell {
  status: Report['status'] | 'not-run';
  probes: number;
  matches: number;
  mismatches: number;
  violations: number;
  checkMismatches: number;
  safety: Record<string, string>;
  fault?: string;
  durationMs: number;
  /** Path of the cell's report, relative to the matrix directory. */
  report: string;
}

export interface MatrixSummary {
  schema: typeof MATRIX_SCHEMA;
  cells: CellResult[];
  totals: { cells: number; completed: number; failed: number; probes: number; mismatches: number; violations: number; checkMismatches: number; findings: number };
}

export function cellResult(cell: Cell, report: Report | undefined, reportPath: string): CellResult {
  if (!report) {
    return { ...cell, status: 'not-run', probes: 0, matches: 0, mismatches: 0, violations: 0, checkMismatches: 0, safety: {}, durationMs: 0, report: reportPath };
  }
  const s = report.summary;
  return {
    ...cell,
    status: report.status,
    probes: s.probes,
    matches: s.matches,
    mismatches: s.mismatches,
    violations: s.violations + report.safety.filter((e) => e.status === 'violated').length,
    checkMismatches: s.checks?.mismatch ?? 0,
    safety: Object.fromEntries(report.safety.map((e) => [e.id, e.status])),
    fault: report.fault?.kind,
    durationMs: s.durationMs,
    report: reportPath,
  };
}

/** Cells in matrix order; totals derived from them (never stored twice). */
export function summarizeMatrix(cells: CellResult[]): MatrixSummary {
  const sorted = [...cells].sort((a, b) => a.index - b.index);
  const totals = {
    cells: sorted.length,
    completed: sorted.filter((c) => c.status === 'completed').length,
    failed: sorted.filter((c) => c.status === 'failed' || c.status === 'interrupted').length,
    probes: sorted.reduce((a, c) => a + c.probes, 0),
    mismatches: sorted.reduce((a, c) => a + c.mismatches, 0),
    violations: sorted.reduce((a, c) => a + c.violations, 0),
    checkMismatches: sorted.reduce((a, c) => a + c.checkMismatches, 0),
    // A cell that failed after the kernel contradicted the model counts: its findings are real.
    findings: sorted.filter((c) => c.mismatches + c.violations + c.checkMismatches > 0).length,
  };
  return { schema: MATRIX_SCHEMA, cells: sorted, totals };
}

/**
 * Merges shard summaries: the union of their cells by id. A cell present in
 * two shards (a re-run) keeps the completed one, else the later.
 */
export function mergeSummaries(parts: MatrixSummary[]): MatrixSummary {
  const byId = new Map<string, CellResult>();
  for (const p of parts) {
    for (const c of p.cells) {
      const cur = byId.get(c.id);
      if (!cur || cur.status !== 'completed') byId.set(c.id, c);
    }
  }
  return summarizeMatrix([...byId.values()]);
}

/** Exit code of a matrix, with run's precedence (report/findings.ts): 1 if findings, 3 if a cell failed to run, else 0. */
export function matrixExitCode(m: MatrixSummary): number {
  if (m.totals.findings > 0) return 1;
  return m.totals.failed > 0 || m.cells.some((c) => c.status === 'not-run' || c.status === 'running') ? 3 : 0;
}
