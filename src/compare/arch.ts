// compare across architectures: the same scenario on x86_64 and arm64 is
// expected to differ, because the kernel's /dev/mem rules differ by
// architecture (docs/arm64.md). A difference where every probe on both
// sides matched its own architecture's model is explained by the rules
// that decided each side: severity 'arch', with those rules named. A
// difference where either side contradicted its own model keeps its
// severity: that is a kernel behaving unlike its architecture's rules, not
// an architecture difference.
import { isBad } from '../format/classes.js';
import type { Report } from '../format/types.js';
import type { Difference, GroupDiff, GroupSide, ProbeChange } from './types.js';

/** A report's guest architecture; reports before arm64 name none and are x86_64. */
export const archOf = (r: Report): string => r.environment.guest?.arch ?? 'x86_64';

const EXPLAINABLE = new Set(['change', 'content', 'rule', 'coverage']);

const sideBad = (s: GroupSide | null): number => (s ? Object.values(s.rules).reduce((n, v) => n + v.mismatch + v.violation, 0) : 0);
const sideRules = (s: GroupSide | null): string => (s ? Object.keys(s.rules).sort().join(', ') || 'no rule' : 'no probes');
const probeBad = (p: ProbeChange): boolean => isBad(p.a.verdict) || isBad(p.b.verdict);

function explainGroup(d: GroupDiff, archA: string, archB: string): GroupDiff {
  if (!EXPLAINABLE.has(d.severity) || sideBad(d.a) > 0 || sideBad(d.b) > 0 || d.probes.some(probeBad)) return d;
  // One side only: the planner probes where each machine has resources; still the architectures' difference.
  const line = `explained by the architectures' rules: ${archA} ${sideRules(d.a)}; ${archB} ${sideRules(d.b)} (each side matched its own model)`;
  return { ...d, severity: 'arch', probes: d.probes.map((p) => ({ ...p, severity: 'arch' })), explanation: [line, ...d.explanation] };
}

/** The differences of two runs of different architectures, with each one the models explain marked 'arch'. */
export function explainArchitectures(a: Report, b: Report, diffs: Difference[]): Difference[] {
  const archA = archOf(a);
  const archB = archOf(b);
  if (archA === archB) return diffs;
  return diffs.map((d) => {
    if (d.kind === 'group') return explainGroup(d, archA, archB);
    // A safety property one architecture has no case for (S6: no PAT on arm64), a step check only one side
    // knows, or high_memory, which only x86 measures (arm64's read range is memblock, not one end).
    const oneSided = d.kind === 'safety' || d.kind === 'check' || (d.kind === 'step' && d.what === 'high-memory');
    if (oneSided && d.severity === 'coverage') return { ...d, severity: 'arch', explanation: `${d.explanation} (explained: ${archA} and ${archB} differ here)` };
    return d;
  });
}
