// The console report after a run: counts, safety, and mismatches grouped by
// rule with the rule's one-line explanation and a few examples.
import { RULES, type RuleId } from '../model/index.js';
import type { Report } from '../format/types.js';

export function renderSummary(report: Report, maxExamples = 3): string {
  const s = report.summary;
  const lines = [
    `${s.steps} steps, ${s.probes} probes: ${s.matches} match, ${s.mismatches} mismatch, ${s.violations} violation, ${s.skipped} skipped${s.unknown ? `, ${s.unknown} unknown (the model lacked an input; report.json names it)` : ''}`,
    `step checks: ${s.checks.match} match, ${s.checks.mismatch} mismatch`,
    `safety: ${report.safety.map((e) => `${e.id} ${e.status}`).join(', ')}`,
  ];
  const rep = report.environment.repeats;
  if (rep) lines.unshift(`${rep.runs} repeats (${rep.boots === 'fresh' ? 'each booted' : 'restored'}): ${s.flaky ?? 0} probes and ${s.checks.flaky ?? 0} step checks flaky (outcome varied between repeats)`);
  if (report.coverage) {
    const ex = report.coverage.filter((c) => c.status === 'exercised');
    lines.push(`rules exercised: ${ex.length} of ${report.coverage.length} (${ex.map((c) => c.rule).join(' ')})`);
  }
  const groups = new Map<string, { step: string; addr: string; op: string; why: string }[]>();
  for (const step of report.steps) {
    for (const p of step.probes) {
      if (p.verdict !== 'mismatch' && p.verdict !== 'violation') continue;
      const key = p.verdict === 'violation' ? `${p.expected?.rule ?? '?'} (violation)` : p.expected?.rule ?? '?';
      const list = groups.get(key) ?? [];
      list.push({ step: step.name, addr: p.addr, op: p.op, why: p.verdictReason ?? '' });
      groups.set(key, list);
    }
  }
  if (groups.size > 0) {
    lines.push('', 'mismatches by rule:');
    for (const [key, list] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
      const rule = key.split(' ')[0] as RuleId;
      lines.push(`  ${key.padEnd(24)} ${String(list.length).padStart(5)}  ${RULES.get(rule)?.summary ?? ''}`);
      for (const x of list.slice(0, maxExamples)) lines.push(`      ${x.step} ${x.op} ${x.addr}: ${x.why}`);
    }
  }
  for (const step of report.steps) {
    for (const c of step.checks ?? []) if (c.verdict === 'mismatch') lines.push(`  ${c.rule} at ${step.name}: ${c.message}`);
  }
  for (const e of report.safety.filter((x) => x.status === 'violated')) {
    lines.push(`${e.id} violated: ${e.text}`, ...e.evidence.slice(0, maxExamples).map((x) => `      ${x}`));
  }
  return lines.join('\n');
}
