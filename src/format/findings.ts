// What a report found, and the exit code that follows from it: one place for
// `run`, `report` and the matrix, so they never disagree.
//
// Precedence: findings (a mismatch, a violation, a step check that did not
// match, a violated safety property) win over everything, because the
// kernel contradicted the model whatever happened later; then a run that
// did not complete (2 when the input or the machine's set-up was at fault,
// 3 when the run itself failed); then 0.
import type { Report } from './types.js';

export const EXIT = { ok: 0, findings: 1, input: 2, runFailed: 3 } as const;

/** Mismatches, violations, step-check mismatches and violated safety properties. */
export function findings(report: Pick<Report, 'summary' | 'safety'>): number {
  const s = report.summary;
  return s.mismatches + s.violations + (s.checks?.mismatch ?? 0) + report.safety.filter((e) => e.status === 'violated').length;
}

export function reportExitCode(report: Report): number {
  // A console finding (WARN, BUG, Oops, panic, a memtype bookkeeping line)
  // violates S7; it decides the exit code even in a report whose safety list
  // was never folded (one rebuilt from the events of a killed run).
  if (findings(report) > 0 || (report.findings ?? []).length > 0) return EXIT.findings;
  if (report.status === 'completed') return EXIT.ok;
  return report.error?.kind === 'input' || report.error?.kind === 'environment' ? EXIT.input : EXIT.runFailed;
}
