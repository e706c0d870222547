// JUnit XML for CI dashboards: one <testsuite> per run, one <testcase> per
// step × address class × op (the probes of that group), per step check, per
// safety property, and one for the run itself when it did not complete.
// The shape follows the common Ant/Jenkins JUnit schema
// (test/fixtures/junit.xsd): required attributes everywhere, timestamps
// without a zone, at most one failure/error/skipped per testcase. xmlbuilder2
// writes the document, so every attribute and text is escaped by the XML
// library; characters XML 1.0 cannot carry at all (console lines can hold
// anything) are written as visible \xNN.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { ProbeRecord } from '../probe/types.js';
import { CLASS_LABEL, describeExpected, describeObserved, groupName, isBad, probeOutcome, readableReport, runName, type AddressClass } from '../format/classes.js';
import type { Report, StepReport } from '../format/types.js';
import { countBy, probeGroups } from './ktap.js';
import type { Renderer } from './renderer.js';

export interface JUnitOptions {
  /** The <testsuites> name. */
  name?: string;
  /** Failing probes written out per testcase; the rest are counted. */
  maxProbesPerFailure?: number;
}

interface Case {
  classname: string;
  name: string;
  time: number;
  skipped?: string;
  error?: { type: string; message: string; body: string };
  failure?: { type: string; message: string; body: string };
}

/** "2026-11-22T03:30:24.865Z" → "2026-11-22T03:30:24" (the schema wants no zone; the lab writes UTC). */
function timestamp(iso: string | undefined): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/.exec(iso ?? '');
  return m ? m[1] : '1970-01-01T00:00:00';
}

/** A dot-free prefix for classnames: CI tools split classname at its last dot into package and class. */
const slug = (s: string): string => s.replace(/[.]/g, '_').replace(/\s*\/\s*/g, '.').replace(/\s+/g, '_');

function probeLines(p: ProbeRecord): string[] {
  const lines = [`${p.addr} ${p.op} len ${p.len} (${p.why})`, `  verdict:  ${p.verdict}${p.verdictReason ? ` - ${p.verdictReason}` : ''}`];
  if (p.expected) {
    const via = p.expected.via.filter((v) => v !== p.expected!.rule);
    lines.push(`  expected: ${describeExpected(p.expected)}${via.length ? ` (via ${via.join(', ')})` : ''}`, `  rule:     ${p.expected.rule}`, `  why:      ${p.expected.why}`);
  } else {
    lines.push('  expected: (no model prediction)');
  }
  lines.push(`  observed: ${describeObserved(p.op, p.observed)}`);
  return lines;
}

function probeCase(classname: string, step: string, cls: AddressClass, op: string, probes: ProbeRecord[], max: number): Case {
  const c: Case = { classname, name: groupName(step, cls, op), time: 0 };
  const bad = probes.filter((p) => isBad(p.verdict));
  if (bad.length > 0) {
    const type = bad.some((p) => p.verdict === 'violation') ? 'violation' : 'mismatch';
    const message = `${bad.length} of ${probes.length} ${CLASS_LABEL[cls]} ${op} probes: ${countBy(bad, (p) => `${p.verdict} ${p.expected?.rule ?? 'no-rule'}`)}`;
    const body = bad.slice(0, max).flatMap(probeLines);
    if (bad.length > max) body.push(`… and ${bad.length - max} more (report.json has them all)`);
    body.push('', `all ${probes.length} probes: ${countBy(probes, probeOutcome)}`);
    c.failure = { type, message, body: body.join('\n') };
  } else if (probes.some((p) => p.verdict === 'flaky')) {
    // Varied between repeats: shown apart (a skip with the reason), never a failure.
    const flaky = probes.filter((p) => p.verdict === 'flaky');
    c.skipped = `flaky: ${flaky.length} of ${probes.length} probes varied between repeats: ${flaky.slice(0, max).map((p) => `${p.addr} ${p.verdictReason ?? ''}`).join('; ')}`;
  } else if (probes.every((p) => p.verdict === 'skipped' || p.verdict === 'unknown' || p.verdict === undefined)) {
    c.skipped = `not judged: ${countBy(probes, (p) => p.verdictReason ?? (p.verdict === undefined ? 'no verdict' : 'skipped'))}`;
  }
  return c;
}

function stepCases(suite: string, step: StepReport, max: number): Case[] {
  const classname = `${suite}.${slug(step.name)}`;
  const cases = probeGroups(step).map((g) => probeCase(classname, step.name, g.cls, g.op, g.probes, max));
  (step.checks ?? []).forEach((chk) => {
    const c: Case = { classname, name: `${step.name} / check / ${chk.rule}`, time: 0 };
    if (chk.verdict === 'mismatch') c.failure = { type: 'mismatch', message: `${chk.rule}: ${chk.message}`, body: `step ${step.name} (${step.action})\nrule: ${chk.rule}\n${chk.message}` };
    else if (chk.verdict === 'flaky') c.skipped = `flaky: ${chk.message}`;
    cases.push(c);
  });
  if (step.error) {
    cases.push({
      classname,
      name: `${step.name} / step`,
      time: step.durationMs / 1000,
      error: { type: step.error.code, message: step.error.message, body: `step ${step.name} (${step.action}) failed: ${step.error.code}\n${step.error.message}` },
    });
  }
  return cases;
}

function runCases(suite: string, report: Report): Case[] {
  const classname = `${suite}.run`;
  const cases: Case[] = report.safety.map((s) => {
    const c: Case = { classname: `${suite}.safety`, name: `safety / ${s.id}`, time: 0 };
    if (s.status === 'violated') c.failure = { type: 'violation', message: `${s.id} violated: ${s.text}`, body: [s.text, ...s.evidence].join('\n') };
    else if (s.status === 'not-exercised') c.skipped = `${s.id} not exercised: ${s.text}`;
    else if (s.status === 'flaky') c.skipped = `flaky: ${s.id} held in some repeats and was violated in others: ${s.text}`;
    return c;
  });
  const serious = (report.findings ?? []).filter((f) => f.kind !== 'warning');
  if ((report.findings ?? []).length > 0) {
    const c: Case = { classname, name: 'run / console', time: 0 };
    if (serious.length > 0) {
      c.failure = {
        type: 'console',
        message: `the guest console printed ${countBy(serious, (f) => f.kind)}`,
        body: report.findings.map((f) => `[${f.kind}]${f.step ? ` ${f.step}:` : ''} ${f.line}`).join('\n'),
      };
    }
    cases.push(c);
  }
  const fault = report.fault;
  if (fault) {
    const exit = fault.qemuExit ? `QEMU exit: ${JSON.stringify(fault.qemuExit)}` : 'QEMU: still running when the fault was classified';
    cases.push({
      classname,
      name: 'run / fault',
      time: 0,
      error: { type: fault.kind, message: `${fault.kind}${fault.step ? ` at ${fault.step}` : ''}: ${fault.message}`, body: [`code: ${fault.code}`, `step: ${fault.step ?? '-'}`, exit, 'console tail:', ...fault.consoleTail].join('\n') },
    });
  } else if (report.error) {
    cases.push({ classname, name: 'run / fault', time: 0, error: { type: report.error.kind || report.error.code, message: report.error.message, body: [report.error.code, report.error.message, report.error.hint ?? ''].join('\n') } });
  } else if (report.status !== 'completed') {
    cases.push({ classname, name: 'run / fault', time: 0, error: { type: report.status, message: `the run did not complete (status ${report.status})`, body: `the report was last written with status ${report.status}` } });
  }
  return cases;
}

function addCase(suite: XMLBuilder, c: Case): void {
  const tc = suite.ele('testcase', { classname: c.classname, name: c.name, time: c.time.toFixed(3) });
  if (c.error) tc.ele('error', { type: c.error.type, message: c.error.message }).txt(c.error.body);
  else if (c.failure) tc.ele('failure', { type: c.failure.type, message: c.failure.message }).txt(c.failure.body);
  else if (c.skipped !== undefined) tc.ele('skipped', { message: c.skipped });
}

interface Suite {
  name: string;
  timestamp: string;
  props: [string, string][];
  cases: Case[];
  out: string[];
  err: string[];
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: number;
}

function suite(report: Report, max: number): Suite {
  const name = runName(report);
  const prefix = `devmem-lab.${slug(name)}`;
  const cases = [...report.steps.flatMap((s) => stepCases(prefix, s, max)), ...runCases(prefix, report)];
  const env = report.environment;
  const props: [string, string | undefined][] = [
    ['schema', report.schema],
    ['status', report.status],
    ['run-id', env.runId],
    ['kernel.release', env.kernel?.release],
    ['kernel.source', env.kernel?.source],
    ['kernel.spec', env.kernel?.spec],
    ['kernel.image-sha256', env.kernel?.imageSha256],
    ['guest.cmdline', env.guest?.cmdline],
    ['guest.lockdown', env.guest?.lockdown],
    ['scenario', env.scenario],
    ['qemu.version', env.qemu?.version],
    ['qemu.accel', env.qemu?.accel],
  ];
  const s = report.summary;
  return {
    name,
    timestamp: timestamp(env.startedAt),
    props: props.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== ''),
    cases,
    out: [
      `${s.steps} steps, ${s.probes} probes: ${s.matches} match, ${s.mismatches} mismatch, ${s.violations} violation, ${s.skipped} skipped${s.unknown ? `, ${s.unknown} unknown` : ''}`,
      `step checks: ${s.checks?.match ?? 0} match, ${s.checks?.mismatch ?? 0} mismatch`,
      `safety: ${report.safety.map((e) => `${e.id} ${e.status}`).join(', ')}`,
      'files: report.json, events.jsonl, console.log',
    ],
    err: (report.findings ?? []).map((f) => `[${f.kind}]${f.step ? ` ${f.step}:` : ''} ${f.line}`),
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => c.error).length,
    skipped: cases.filter((c) => c.skipped !== undefined).length,
    time: (s.durationMs ?? 0) / 1000,
  };
}

function addSuite(root: XMLBuilder, s: Suite, id: number): void {
  const el = root.ele('testsuite', {
    name: s.name,
    tests: String(s.tests),
    failures: String(s.failures),
    errors: String(s.errors),
    skipped: String(s.skipped),
    time: s.time.toFixed(3),
    timestamp: s.timestamp,
    hostname: 'localhost',
    id: String(id),
    package: 'devmem-lab',
  });
  const props = el.ele('properties');
  for (const [name, value] of s.props) props.ele('property', { name, value });
  for (const c of s.cases) addCase(el, c);
  el.ele('system-out').txt(s.out.join('\n'));
  el.ele('system-err').txt(s.err.join('\n'));
}

/** A character XML 1.0 cannot hold (a control character, a lone surrogate), written as visible text. */
const visible = (c: string): string => `\\x${c.codePointAt(0)!.toString(16).padStart(2, '0')}`;

/** JUnit XML for one run or several (one <testsuite> each). */
export function toJUnit(input: Report | Report[], opts: JUnitOptions = {}): string {
  const reports = Array.isArray(input) ? input : [input];
  const max = opts.maxProbesPerFailure ?? 20;
  const suites = reports.map((r) => suite(readableReport(r), max));
  const sum = (k: 'tests' | 'failures' | 'errors' | 'time') => suites.reduce((a, s) => a + s[k], 0);
  const root = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: visible }).ele('testsuites', {
    name: opts.name ?? 'devmem-lab',
    tests: String(sum('tests')),
    failures: String(sum('failures')),
    errors: String(sum('errors')),
    time: sum('time').toFixed(3),
  });
  suites.forEach((s, i) => addSuite(root, s, i));
  return root.end({ prettyPrint: true, indent: '  ' }) + '\n';
}

export const junitRenderer: Renderer = {
  option: 'junit',
  file: 'junit.xml',
  describe: 'JUnit XML for CI dashboards',
  render: (r) => toJUnit(r),
  renderMany: (rs) => toJUnit(rs),
};
