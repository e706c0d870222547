// The behaviour diff for a person: a header naming both runs, the counts by
// severity, then every difference, regressions first, each with the model
// rule behind it on both sides.
import { CLASS_LABEL } from '../format/classes.js';
import { SEVERITIES, type Difference, type ReportDiff } from './types.js';

export interface CompareTextOptions {
  /** Exact probe changes printed per group; the rest are counted. */
  maxProbes?: number;
}

/** One line naming a difference: "plug-512M / mmio-free / read", "safety S4", "check R-VMEM-PARENT at rmmod". */
export function differenceTitle(d: Difference): string {
  switch (d.kind) {
    case 'group':
      return `${d.step} / ${d.class} / ${d.op} (${CLASS_LABEL[d.class]})`;
    case 'safety':
      return `safety ${d.id}`;
    case 'check':
      return `check ${d.rule} at ${d.step}`;
    case 'step':
      return `step ${d.step}: ${d.what}`;
    case 'run':
      return `run ${d.what}`;
  }
}

/** The lines under a difference's title. */
export function differenceDetails(d: Difference, maxProbes = 5): string[] {
  if (d.kind !== 'group') return [d.explanation];
  const probeLines = new Set(d.probes.map((p) => p.explanation));
  const lines = d.explanation.filter((l) => !probeLines.has(l));
  lines.push(...d.probes.slice(0, maxProbes).map((p) => p.explanation));
  if (d.probes.length > maxProbes) lines.push(`… and ${d.probes.length - maxProbes} more probes at shared addresses`);
  return lines;
}

export function renderCompareText(diff: ReportDiff, opts: CompareTextOptions = {}): string {
  const c = diff.counts;
  const lines = [
    `A: ${diff.a.name}${diff.a.runId ? ` (run ${diff.a.runId}, ${diff.a.status})` : ''}`,
    `B: ${diff.b.name}${diff.b.runId ? ` (run ${diff.b.runId}, ${diff.b.status})` : ''}`,
    `compared ${diff.compared.steps} steps, ${diff.compared.groups} step/class/op groups, ${diff.compared.sharedProbes} probes at addresses both runs probed`,
  ];
  if (diff.differences.length === 0) {
    lines.push('no differences: B behaved like A everywhere both runs looked');
    return lines.join('\n');
  }
  lines.push(`${diff.differences.length} differences: ${SEVERITIES.map((s) => `${c[s]} ${s}`).join(', ')}`);
  for (const d of diff.differences) {
    lines.push('', `${d.severity.toUpperCase().padEnd(10)} ${differenceTitle(d)}`);
    for (const l of differenceDetails(d, opts.maxProbes ?? 5)) lines.push(`           ${l}`);
  }
  return lines.join('\n');
}
