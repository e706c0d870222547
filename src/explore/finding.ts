// A finding as a maintainer wants it: the kernel and its config, the
// minimal sequence (as a scenario file `run` replays), what the kernel did
// against what the model expected, the rule or property, and the kernel
// functions involved.
import { describeExpected, describeObserved, isBad } from '../format/classes.js';
import type { Report } from '../format/types.js';
import { RULES } from '../model/rules.js';
import type { RuleId } from '../model/index.js';
import { safetyProperty } from '../lab/safety/index.js';
import { describeAction, type Scenario } from '../lab/scenario.js';
import { releasePathOf } from '../lab/held.js';

/** What a failing run found, in lines: mismatching probes and checks, violated properties, kernel log findings. */
export function observedAgainstExpected(report: Report, max = 12): string[] {
  const out: string[] = [];
  for (const st of report.steps) {
    for (const p of st.probes.filter((x) => isBad(x.verdict)).slice(0, max)) {
      out.push(`step ${st.name}: ${p.op} ${p.addr} len ${p.len} (${p.why}): observed ${describeObserved(p.op, p.observed)}, expected ${p.expected ? `${describeExpected(p.expected)} by ${p.expected.rule} (${p.expected.why})` : '(no prediction)'}`);
    }
    for (const c of (st.checks ?? []).filter((x) => x.verdict === 'mismatch')) out.push(`step ${st.name}: check ${c.rule}: ${c.message}`);
  }
  for (const s of report.safety.filter((x) => x.status === 'violated')) {
    // The evidence kept: the first check's (which may have held) and every violation's.
    out.push(`${s.id} (${s.text}) violated:`, ...s.evidence.slice(0, max).map((e) => `  ${e}`));
  }
  for (const f of report.findings) out.push(`kernel log (${f.kind}${f.step ? `, step ${f.step}` : ''}): ${f.message ? `${f.message} / ` : ''}${f.line}`);
  return out;
}

/** The rules and properties a failing run names, each with its kernel source. */
export function kernelFunctions(report: Report): string[] {
  const rules = new Set<string>();
  for (const st of report.steps) {
    for (const p of st.probes.filter((x) => isBad(x.verdict))) if (p.expected) rules.add(p.expected.rule);
    for (const c of (st.checks ?? []).filter((x) => x.verdict === 'mismatch')) rules.add(c.rule);
  }
  const out = [...rules].map((r) => `${r}: ${RULES.get(r as RuleId)?.source ?? 'not in the rule catalogue'}`);
  for (const s of report.safety.filter((x) => x.status === 'violated')) out.push(`${s.id}: ${safetyProperty(s.id)?.source ?? ''}`);
  for (const f of report.findings) {
    const fns = (f.trace ?? []).map((l) => /^\s*([A-Za-z_][\w.]*)\+0x/.exec(l.replace(/^\[[^\]]*\]\s*/, ''))?.[1]).filter((x): x is string => !!x);
    if (fns.length) out.push(`stack (${f.kind}): ${fns.slice(0, 12).join(' ← ')}`);
  }
  return out;
}

/**
 * The kinds of S6 violation in its evidence (model/s6.ts words it): a live
 * mapping with no reservation (the pages a revocation left mapped are
 * another bug), two conflicting reservations, a reservation
 * left after its mapping's release, and the same after a revocation (the
 * revoke leak is another bug than the VMA-split one). A leak names the
 * release's path (lab/held-spec.ts RELEASE_HOWS) when it was not a plain
 * munmap: a split and a partial mremap are different bugs too.
 */
function s6Kinds(evidence: string[], steps: Report['steps']): string[] {
  const kinds = new Set<string>();
  for (const e of evidence) {
    if (/has live PTEs but no .* reservation covers/.test(e)) kinds.add(/revoked in part/.test(e) ? 'uncovered-after-revoke' : 'uncovered');
    if (/conflicting reservations/.test(e)) kinds.add('conflict');
    if (!/outlived its mapping/.test(e)) continue;
    if (/revoked before its release/.test(e)) {
      kinds.add('leak-after-revoke');
      continue;
    }
    const path = releasePath(e, steps);
    kinds.add(path && path !== 'munmap' ? `leak-after-${path}` : 'leak');
  }
  return [...kinds].sort();
}

/**
 * The path of the release of the mapping an S6 leak's evidence names
 * ("<step>: released <name> …", at that step or any later one), from the
 * action record of the step that released it.
 */
function releasePath(evidence: string, steps: Report['steps']): string | undefined {
  const name = /^[^:]+: released (\S+) /.exec(evidence)?.[1];
  if (!name) return undefined;
  for (const st of steps) {
    const released = (st.observations?.action as { released?: { name: string; op?: string }[] } | undefined)?.released;
    const op = released?.find((r) => r.name === name)?.op;
    if (op) return releasePathOf(op);
  }
  return undefined;
}

/** A short, stable name for what failed, to tell one finding from another. */
export const signature = (report: Report): string => [...findingParts(report)].sort().join(' + ') || 'none';

/** The kinds of failure in a report: a rule and op, a step check, a safety property, a kind of kernel log line. */
export function findingParts(report: Report): Set<string> {
  const parts = new Set<string>();
  for (const st of report.steps) for (const p of st.probes.filter((x) => isBad(x.verdict))) parts.add(`${p.expected?.rule ?? 'unpredicted'}:${p.op}`);
  for (const st of report.steps) for (const c of (st.checks ?? []).filter((x) => x.verdict === 'mismatch')) parts.add(`check:${c.rule}`);
  for (const s of report.safety.filter((x) => x.status === 'violated')) {
    const kinds = s.id === 'S6' ? s6Kinds(s.evidence, report.steps) : [];
    if (kinds.length) kinds.forEach((k) => parts.add(`S6:${k}`));
    else parts.add(s.id);
  }
  for (const f of report.findings) parts.add(`log:${f.kind}:${(f.message ?? f.line).replace(/\[[^\]]*\]|\b0x[0-9a-f]+\b|:\d+\b|\b\d+\b/g, '').replace(/\s+/g, ' ').trim().slice(0, 60)}`);
  return parts;
}

export interface FindingInfo {
  n: number;
  kernel: string;
  /** The scenario file the finding was written as. */
  scenarioPath: string;
  seed: number;
  /** Steps of the first failing sequence, before shrinking. */
  originalSteps: number;
  scenario: Scenario;
  report: Report;
}

export function findingMarkdown(f: FindingInfo): string {
  const r = f.report;
  const env = r.environment;
  const model = env.model as { config?: Record<string, unknown> } | undefined;
  const cfg = model?.config ? Object.entries(model.config).map(([k, v]) => `${k}=${v === true ? 'y' : v === false ? 'n' : String(v)}`).join(' ') : '(unknown)';
  // The scenario carries the extra command line itself.
  const cmd = `devmem-lab run --kernel ${f.kernel} --scenario ${f.scenarioPath}`;
  return [
    `# Finding ${f.n}: ${signature(r)}`,
    '',
    `- kernel: ${f.kernel} — ${env.guest?.version ?? 'version unknown'}`,
    `- command line: ${env.guest?.cmdline ?? '(unknown)'}`,
    `- model inputs from the config: ${cfg}`,
    `- found by: devmem-lab explore --seed ${f.seed}; shrunk from ${f.originalSteps} to ${f.scenario.steps.length} steps`,
    '',
    '## Reproduce',
    '',
    '```',
    cmd,
    '```',
    '',
    '## Minimal sequence',
    '',
    ...f.scenario.steps.map((s, i) => `${i + 1}. ${describeAction(s.action)}`),
    '',
    '## Observed against expected',
    '',
    ...observedAgainstExpected(r).map((l) => (l.startsWith('  ') ? `    ${l.trim()}` : `- ${l}`)),
    '',
    '## Kernel code involved',
    '',
    ...kernelFunctions(r).map((l) => `- ${l}`),
    '',
    `The run's full report is in run/ (report.json, report.html); a finding the model, not the kernel, got wrong is fixed in the model with the kernel source cited.`,
    '',
  ].join('\n');
}
