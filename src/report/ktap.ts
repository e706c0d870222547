// KTAP version 1 (the kernel's Documentation/dev-tools/ktap.rst) for kernel
// test tooling: one document, a subtest per run, in it a subtest per step
// with a test per address class × op (the probes of that group, as JUnit
// groups them), per step check and for a failed step action; then the
// safety properties, the console and the run's fault. Every subtest opens
// with its own "KTAP version 1" and plan, indented two spaces per level,
// and closes with its result line one level up; diagnostic lines stand
// right before the result line they describe.
//
// A group is `not ok` when a probe mismatched or violated (diagnostics name
// each failing probe: address, op, verdict, the expected outcome with its
// rule, the observed one), `not ok … # ERROR` when a probe has a verdict
// this renderer does not know, `not ok … # TODO flaky` when a probe was
// flaky (TODO: not counted as a failure), `ok … # SKIP` when nothing in it
// was judged, else `ok`. A parent fails when a child fails (TODO aside).
import { PROBE_OPS, type ProbeRecord } from '../probe/types.js';
import { ADDRESS_CLASSES, CLASS_LABEL, describeExpected, describeObserved, readableReport, runName, stepClassifier, type AddressClass } from '../format/classes.js';
import type { Report, StepReport } from '../format/types.js';
import type { Renderer } from './renderer.js';

export interface KtapOptions {
  /** Failing probes written out per test as diagnostics; the rest are counted. */
  maxProbesPerFailure?: number;
}

// ---- groups and their verdicts (kcidb.ts uses them too) ---------------

/** The probes of one step × address class × op. */
export interface ProbeGroup {
  cls: AddressClass;
  op: string;
  probes: ProbeRecord[];
}

/** A step's probes by class and op, in the order JUnit and the HTML page use: classes up the address space, ops as PROBE_OPS lists them. */
export function probeGroups(step: StepReport): ProbeGroup[] {
  const classOf = stepClassifier(step);
  const groups = new Map<string, ProbeGroup>();
  for (const p of step.probes) {
    const cls = classOf(p);
    const k = `${cls}\u0000${p.op}`;
    const g = groups.get(k);
    if (g) g.probes.push(p);
    else groups.set(k, { cls, op: p.op, probes: [p] });
  }
  const ops: string[] = [...PROBE_OPS, ...new Set(step.probes.map((p) => p.op as string).filter((op) => !(PROBE_OPS as readonly string[]).includes(op)))];
  const out: ProbeGroup[] = [];
  for (const cls of ADDRESS_CLASSES) for (const op of ops) {
    const g = groups.get(`${cls}\u0000${op}`);
    if (g) out.push(g);
  }
  return out;
}

/** fail: a mismatch or violation; error: a verdict this code does not know; flaky; skip: nothing judged; pass. */
export type GroupVerdict = 'fail' | 'error' | 'flaky' | 'skip' | 'pass';

const BAD = new Set(['mismatch', 'violation']);
const UNJUDGED = new Set(['skipped', 'unknown']);
const KNOWN = new Set(['match', 'flaky', ...BAD, ...UNJUDGED]);

export interface GroupJudgement {
  verdict: GroupVerdict;
  bad: ProbeRecord[];
  flaky: ProbeRecord[];
  /** Probes whose verdict is none of match, mismatch, violation, flaky, skipped, unknown. */
  unrecognized: ProbeRecord[];
}

export function judgeGroup(probes: ProbeRecord[]): GroupJudgement {
  const v = (p: ProbeRecord): string | undefined => p.verdict as string | undefined;
  const bad = probes.filter((p) => BAD.has(v(p) ?? ''));
  const flaky = probes.filter((p) => v(p) === 'flaky');
  const unrecognized = probes.filter((p) => v(p) !== undefined && !KNOWN.has(v(p)!));
  const verdict: GroupVerdict =
    bad.length > 0 ? 'fail'
    : unrecognized.length > 0 ? 'error'
    : flaky.length > 0 ? 'flaky'
    : probes.every((p) => v(p) === undefined || UNJUDGED.has(v(p)!)) ? 'skip'
    : 'pass';
  return { verdict, bad, flaky, unrecognized };
}

export function countBy<T>(xs: T[], key: (x: T) => string): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} x${n}`).join(', ');
}

/** "0xfed00000 read len 4096: mismatch; expected errno EPERM (pread) by R-RW-DENY; observed data, 4096 bytes". */
export function probeLine(p: ProbeRecord): string {
  const reason = p.verdictReason && p.verdict !== 'mismatch' ? ` (${p.verdictReason})` : '';
  const expected = p.expected ? describeExpected(p.expected) : '(no model prediction)';
  return `${p.addr} ${p.op} len ${p.len}: ${p.verdict ?? 'no verdict'}${reason}; expected ${expected}; observed ${describeObserved(p.op, p.observed)}`;
}

/** Why nothing in a group was judged: "not judged: agent refused: no -w x4". */
export const unjudgedReason = (probes: ProbeRecord[]): string =>
  `not judged: ${countBy(probes, (p) => p.verdictReason ?? p.expected?.unknown ?? (p.verdict === undefined ? 'no verdict' : p.verdict))}`;

// ---- KTAP text ---------------------------------------------------------

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0B-\x1F\x7F]/g;
const printable = (s: string): string => s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
/** One line of free text: no newline, no control character. */
const oneLine = (s: string): string => printable(s.replace(/\r?\n|\r/g, ' ')).trim().replace(/[\s{]+$/, '');

/** A test name KTAP can carry: one line, no '#', not ending in '{' (TAP's buffered-subtest mark). */
export function ktapName(s: string): string {
  const n = oneLine(s).replace(/#/g, '_').replace(/\s+/g, ' ').replace(/[\s{]+$/, '');
  return n === '' ? 'unnamed' : n;
}

interface Test {
  name: string;
  ok: boolean;
  /** "SKIP reason", "TODO flaky", "ERROR message". */
  directive?: string;
  /** Diagnostic lines right before the result line. */
  diag?: string[];
  children?: Test[];
}

const fails = (t: Test): boolean => !t.ok && !t.directive?.startsWith('TODO');

/** A test made of subtests: fails when one fails, skipped when all are. `about` goes first in its diagnostics. */
function parent(name: string, children: Test[], about: string[] = [], why = 'nothing to judge'): Test {
  if (children.length === 0) return { name, ok: true, directive: `SKIP ${why}`, diag: about };
  const failing = children.filter(fails);
  if (failing.length > 0) return { name, ok: false, children, diag: [...about, `${failing.length} of ${children.length} failed: ${failing.map((c) => ktapName(c.name)).join(', ')}`] };
  if (children.every((c) => c.directive?.startsWith('SKIP'))) return { name, ok: true, children, diag: about, directive: 'SKIP every subtest skipped' };
  return { name, ok: true, children, diag: about };
}

function capped(lines: string[], max: number, what: string): string[] {
  return lines.length > max ? [...lines.slice(0, max), `... and ${lines.length - max} more ${what} (report.json has them all)`] : lines;
}

function groupTest(g: ProbeGroup, max: number): Test {
  const name = `${g.cls} / ${g.op}`;
  const j = judgeGroup(g.probes);
  const of = `of ${g.probes.length} ${CLASS_LABEL[g.cls]} ${g.op} probes`;
  switch (j.verdict) {
    case 'fail':
      return { name, ok: false, diag: [`${j.bad.length} ${of}: ${countBy(j.bad, (p) => `${p.verdict} ${p.expected?.rule ?? 'no-rule'}`)}`, ...capped(j.bad.map(probeLine), max, 'failing probes'), ...j.flaky.slice(0, max).map((p) => `flaky ${probeLine(p)}`)] };
    case 'error':
      return { name, ok: false, directive: `ERROR unrecognized verdict ${[...new Set(j.unrecognized.map((p) => String(p.verdict)))].join(', ')}`, diag: capped(j.unrecognized.map(probeLine), max, 'probes') };
    case 'flaky':
      return { name, ok: false, directive: 'TODO flaky', diag: [`${j.flaky.length} ${of} flaky`, ...capped(j.flaky.map((p) => `flaky ${probeLine(p)}`), max, 'flaky probes')] };
    case 'skip':
      return { name, ok: true, directive: `SKIP ${unjudgedReason(g.probes)}` };
    default:
      return { name, ok: true };
  }
}

function stepTest(step: StepReport, max: number): Test {
  const tests = probeGroups(step).map((g) => groupTest(g, max));
  for (const c of step.checks ?? []) {
    tests.push({ name: `check / ${c.rule}`, ok: c.verdict === 'match', ...(c.verdict === 'flaky' ? { directive: 'TODO flaky' } : {}), diag: c.verdict === 'match' ? [] : [`${c.rule} ${c.verdict}: ${c.message}`] });
  }
  if (step.error) tests.push({ name: 'action', ok: false, directive: `ERROR ${step.error.code}: ${step.error.message}`, diag: [`step ${step.name} (${step.action}) failed: ${step.error.code}`] });
  return parent(step.name, tests, [`action ${step.action}, ${step.probes.length} probes, ${(step.checks ?? []).length} checks`], 'no probes or checks');
}

function safetyTest(report: Report, max: number): Test {
  const tests: Test[] = report.safety.map((s) => {
    if (s.status === 'violated') return { name: s.id, ok: false, diag: [`${s.id} violated: ${s.text}`, ...capped(s.evidence, max, 'evidence lines')] };
    if (s.status === 'not-exercised') return { name: s.id, ok: true, directive: 'SKIP not exercised' };
    if (s.status === 'flaky') return { name: s.id, ok: false, directive: 'TODO flaky', diag: [`${s.id} held in some repeats and was violated in others: ${s.text}`, ...capped(s.evidence, max, 'evidence lines')] };
    return { name: s.id, ok: true };
  });
  return parent('safety', tests, [], 'no safety properties recorded');
}

function runTests(report: Report, max: number): Test[] {
  const tests: Test[] = [];
  const findings = report.findings ?? [];
  if (findings.length > 0) {
    const serious = findings.filter((f) => f.kind !== 'warning');
    const lines = capped(findings.map((f) => `[${f.kind}]${f.step ? ` ${f.step}:` : ''} ${f.line}`), max, 'findings');
    tests.push({ name: 'console', ok: serious.length === 0, diag: serious.length ? [`the guest console printed ${countBy(serious, (f) => f.kind)}`, ...lines] : lines });
  }
  const fault = report.fault;
  if (fault) {
    const exit = fault.qemuExit ? `QEMU exit: ${JSON.stringify(fault.qemuExit)}` : 'QEMU: still running when the fault was classified';
    const tail = fault.consoleTail.slice(-max);
    tests.push({ name: 'fault', ok: false, directive: `ERROR ${fault.kind}${fault.step ? ` at ${fault.step}` : ''}: ${fault.message}`, diag: [`code ${fault.code}, step ${fault.step ?? '-'}`, exit, `console tail (last ${tail.length} lines):`, ...tail.map((l) => `  ${l}`)] });
  } else if (report.error) {
    tests.push({ name: 'fault', ok: false, directive: `ERROR ${report.error.kind || report.error.code}: ${report.error.message}`, diag: [report.error.code, ...(report.error.hint ? [report.error.hint] : [])] });
  } else if (report.status !== 'completed') {
    tests.push({ name: 'fault', ok: false, directive: `ERROR the run did not complete (status ${report.status})` });
  }
  return tests;
}

function runTest(input: Report, max: number): Test {
  const r = readableReport(input);
  const env = r.environment;
  const s = r.summary;
  const about = [
    `kernel ${env.kernel?.release ?? '?'} (${env.kernel?.source ?? env.kernel?.spec ?? 'unknown source'}), scenario ${env.scenario ?? '?'}, run ${env.runId ?? '?'}, status ${r.status}`,
    `${s.steps} steps, ${s.probes} probes: ${s.matches} match, ${s.mismatches} mismatch, ${s.violations} violation, ${s.skipped} skipped${s.unknown ? `, ${s.unknown} unknown` : ''}`,
  ];
  const t = parent(runName(r), [...r.steps.map((st) => stepTest(st, max)), safetyTest(r, max), ...runTests(r, max)], about);
  // A run that did not complete always has a failing `fault` test, so it is not ok already.
  if (r.status !== 'completed') t.diag = [...(t.diag ?? []), `the run did not complete: ${r.fault ? `${r.fault.kind}${r.fault.step ? ` at ${r.fault.step}` : ''}: ${r.fault.message}` : (r.error?.message ?? `status ${r.status}`)}`];
  return t;
}

function emit(t: Test, n: number, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const diag = (p: string, text: string) => { for (const l of text.split(/\r?\n|\r/)) out.push(`${p}# ${printable(l)}`.trimEnd()); };
  if (t.children) {
    out.push(`${pad}  KTAP version 1`, `${pad}  1..${t.children.length}`);
    t.children.forEach((c, i) => emit(c, i + 1, depth + 1, out));
  }
  for (const l of t.diag ?? []) diag(pad, l);
  out.push(`${pad}${t.ok ? 'ok' : 'not ok'} ${n} ${ktapName(t.name)}${t.directive ? ` # ${oneLine(t.directive)}` : ''}`);
}

/** KTAP for one run or several: a top-level document with one subtest per run. */
export function toKtap(input: Report | Report[], opts: KtapOptions = {}): string {
  const reports = Array.isArray(input) ? input : [input];
  const max = opts.maxProbesPerFailure ?? 20;
  const out = ['KTAP version 1', `1..${reports.length}`];
  reports.forEach((r, i) => emit(runTest(r, max), i + 1, 0, out));
  return out.join('\n') + '\n';
}

export const ktapRenderer: Renderer = {
  option: 'ktap',
  file: 'ktap.txt',
  describe: 'KTAP version 1 (the kernel\'s test output format) for kernel test tooling',
  render: (r) => toKtap(r),
  renderMany: (rs) => toKtap(rs),
};
