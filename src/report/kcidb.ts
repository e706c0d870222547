// KCIDB v5 JSON (KernelCI's common results database, schema in
// kcidb-schema.ts) for kernel CI systems: one checkout per kernel source (the
// package and version the lab ran), one build per kernel image, and per run a
// test per step × address class × op (the probes of that group, as JUnit and
// KTAP group them), per step check and failed step action, per safety
// property, for the console's findings and, when the run did not complete,
// one ERROR test for the run.
//
// Paths: devmem_lab.<scenario>.<step>.<class>.<op>, .<step>.check.<rule>,
// .<step>.action, .safety.<S1…>, .console, .run; every segment lower case,
// runs of anything but [a-z0-9] as one '_'. Ids are devmem_lab:<run id>:<the
// path below the scenario>, so a report renders to the same ids every time;
// checkouts and builds are shared by every run of one kernel.
//
// A group is FAIL when a probe mismatched or violated, ERROR when a probe has
// a verdict this code does not know, DONE when a probe was flaky (it ran,
// but says nothing of the kernel), SKIP when nothing in it was judged, else
// PASS. misc carries the rule ids, the verdict, expected and observed counts
// and, for violations and safety properties, the property ids.
import { createHash } from 'node:crypto';
import { CLASS_LABEL, describeExpected, groupName, probeOutcome, readableReport, runName } from '../format/classes.js';
import type { Report, SafetyEntry, StepReport } from '../format/types.js';
import type { ProbeRecord } from '../probe/types.js';
import type { Kcidb, KcidbBuild, KcidbCheckout, KcidbStatus, KcidbTest } from './kcidb-schema.js';
import { countBy, judgeGroup, probeGroups, probeLine, unjudgedReason, type GroupVerdict, type ProbeGroup } from './ktap.js';
import type { Renderer } from './renderer.js';

export const KCIDB_ORIGIN_NAME = 'devmem_lab';
const ORIGIN = KCIDB_ORIGIN_NAME;
/** The schema version written: 5.3. */
export const KCIDB_VERSION = { major: 5, minor: 3 } as const;

const GROUP_STATUS: Record<GroupVerdict, KcidbStatus> = { fail: 'FAIL', error: 'ERROR', flaky: 'DONE', skip: 'SKIP', pass: 'PASS' };
// flaky (held in some repeats, violated in others): DONE, KCIDB's "finished without a definite outcome".
const SAFETY_STATUS: Record<SafetyEntry['status'], KcidbStatus> = { holds: 'PASS', violated: 'FAIL', 'not-exercised': 'SKIP', flaky: 'DONE' };

/** A test path segment: lower case, runs of anything but [a-z0-9] as one '_' ("plug-512M" → "plug_512m"). */
export function pathSegment(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'unnamed';
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
/** KCIDB text may not hold a NUL. */
const clean = (s: string): string => s.replace(/\0/g, '\\x00');
/** An RFC 3339 time in UTC, or nothing for a missing or unreadable one. */
const iso = (s: string | undefined): string | undefined => (s && !Number.isNaN(Date.parse(s)) ? new Date(s).toISOString() : undefined);
const seconds = (ms: number | undefined): number | undefined => (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined);

function tally<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

const MAX_EXCERPT = 16384;

/** Lines as a log excerpt within KCIDB's 16 KiB, cut at a line with a note of what was left out. */
function excerpt(lines: string[]): string | undefined {
  const out: string[] = [];
  let size = 0;
  for (const [i, raw] of lines.entries()) {
    const line = clean(raw);
    if (size + line.length + 1 > MAX_EXCERPT - 80) {
      out.push(`... and ${lines.length - i} more lines (report.json has them all)`);
      break;
    }
    out.push(line);
    size += line.length + 1;
  }
  return out.length > 0 ? out.join('\n') + '\n' : undefined;
}

/** "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0" from /proc/version: its second parenthesised part, less the linker. */
export function compilerOf(version: string | undefined): string | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < (version ?? '').length; i++) {
    if (version![i] === '(' && depth++ === 0) start = i + 1;
    else if (version![i] === ')' && depth > 0 && --depth === 0) parts.push(version!.slice(start, i));
  }
  return parts[1]?.split(/, (?=GNU ld|LLD|ld )/)[0].trim() || undefined;
}

type Ids = { run: string; checkout: string; build: string };

/** Stable ids: the run's own id, the kernel's source (package and version) and its image's sha256. */
export function kcidbIds(r: Report): Ids {
  const env = r.environment ?? {};
  const k = env.kernel;
  const run = env.runId || `run-${sha256(JSON.stringify([env.startedAt, k, env.scenario, env.guest?.cmdline])).slice(0, 16)}`;
  const source = k?.source || k?.spec || k?.release;
  return {
    run,
    checkout: `${ORIGIN}:checkout-${source ? sha256(`${source}\n${k?.release ?? ''}`).slice(0, 16) : run}`,
    build: `${ORIGIN}:build-${k?.imageSha256 || run}`,
  };
}

function checkout(r: Report, ids: Ids): KcidbCheckout {
  const k = r.environment.kernel;
  return {
    id: ids.checkout,
    origin: ORIGIN,
    comment: clean(k?.source || k?.release || 'unknown kernel'),
    ...(k?.imageSha256 ? { valid: true } : {}),
    misc: { kernel_spec: k?.spec, kernel_source: k?.source, kernel_release: k?.release, proc_version: r.environment.guest?.version },
  };
}

function build(r: Report, ids: Ids): KcidbBuild {
  const k = r.environment.kernel;
  const compiler = compilerOf(r.environment.guest?.version);
  return {
    id: ids.build,
    checkout_id: ids.checkout,
    origin: ORIGIN,
    comment: clean(`${k?.release || 'unknown release'} (${k?.spec || 'unknown spec'})`),
    // The kernel's architecture as KCIDB spells it (the kernel's ARCH names: x86_64, arm64); reports before arm64 are x86_64.
    architecture: r.environment.guest?.arch ?? 'x86_64',
    ...(k?.spec ? { config_name: clean(k.spec) } : {}),
    ...(compiler ? { compiler: clean(compiler) } : {}),
    // The image exists and was booted: the build (the lab's or the distribution's) succeeded.
    ...(k?.imageSha256 ? { status: 'PASS' as const } : {}),
    misc: {
      kernel_release: k?.release,
      image_sha256: k?.imageSha256,
      config: Object.fromEntries(Object.entries(k?.config ?? {}).map(([o, v]) => [o.startsWith('CONFIG_') ? o : `CONFIG_${o}`, v])),
      ...(k?.deviceOptions ? { device_options: k.deviceOptions } : {}),
    },
  };
}

type TestFields = Omit<KcidbTest, 'id' | 'build_id' | 'origin' | 'path' | 'environment'>;

/** The tests of one run; `add` keeps paths (and so ids) unique within it. */
class RunTests {
  readonly tests: KcidbTest[] = [];
  private readonly used = new Set<string>();
  private readonly prefix: string;
  private readonly environment: KcidbTest['environment'];

  constructor(readonly r: Report, private readonly ids: Ids) {
    const env = r.environment;
    this.prefix = `${ORIGIN}.${pathSegment(env.scenario ?? 'unknown-scenario')}`;
    this.environment = {
      comment: clean(runName(r)),
      misc: { cmdline: env.guest?.cmdline, lockdown: env.guest?.lockdown, phys_bits: env.guest?.physBits, qemu_version: env.qemu?.version, accel: env.qemu?.accel, scenario: env.scenario, guest_origin: env.origin?.mode },
    };
  }

  /** A segment for a step, "_2", "_3" … after a name seen before. */
  stepSegment(name: string): string {
    const base = pathSegment(name);
    let seg = base;
    for (let n = 2; [...this.used].some((u) => u === seg || u.startsWith(`${seg}.`)); n++) seg = `${base}_${n}`;
    return seg;
  }

  add(segments: string[], f: TestFields): void {
    let rel = segments.join('.');
    for (let n = 2; this.used.has(rel); n++) rel = `${segments.join('.')}_${n}`;
    this.used.add(rel);
    this.tests.push({
      id: `${ORIGIN}:${this.ids.run}:${rel}`,
      build_id: this.ids.build,
      origin: ORIGIN,
      path: `${this.prefix}.${rel}`,
      environment: this.environment,
      ...f,
      ...(f.comment !== undefined ? { comment: clean(f.comment) } : {}),
      misc: { run_id: this.ids.run, ...f.misc },
    });
  }
}

/** S1…S7 named by violating probes ("S1: …" reasons). */
const violatedProperties = (probes: ProbeRecord[]): string[] => [...new Set(probes.filter((p) => p.verdict === 'violation').map((p) => /^(S\d+):/.exec(p.verdictReason ?? '')?.[1] ?? 'unknown'))];

function groupTest(t: RunTests, step: StepReport, seg: string, g: ProbeGroup): void {
  const j = judgeGroup(g.probes);
  const lines =
    j.verdict === 'fail' ? [...j.bad.map(probeLine), ...j.flaky.map((p) => `flaky ${probeLine(p)}`)]
    : j.verdict === 'error' ? j.unrecognized.map(probeLine)
    : j.verdict === 'flaky' ? j.flaky.map((p) => `flaky ${probeLine(p)}`)
    : [];
  const judged = g.probes.filter((p) => p.expected);
  const safety = violatedProperties(g.probes);
  t.add([seg, pathSegment(g.cls), pathSegment(g.op)], {
    status: GROUP_STATUS[j.verdict],
    comment: `${groupName(step.name, g.cls, g.op)}: ${g.probes.length} ${CLASS_LABEL[g.cls]} ${g.op} probes, ${j.verdict === 'skip' ? unjudgedReason(g.probes) : countBy(g.probes, (p) => p.verdict ?? 'no verdict')}`,
    start_time: iso(step.startedAt),
    ...(lines.length > 0 ? { log_excerpt: excerpt(lines) } : {}),
    misc: {
      step: step.name,
      action: step.action,
      address_class: g.cls,
      op: g.op,
      probes: g.probes.length,
      rules: [...new Set(judged.map((p) => p.expected!.rule))],
      verdicts: tally(g.probes, (p) => p.verdict ?? 'none'),
      expected: tally(judged, (p) => describeExpected(p.expected!)),
      observed: tally(g.probes, probeOutcome),
      ...(j.bad.length > 0 ? { failing: tally(j.bad, (p) => `${p.verdict} ${p.expected?.rule ?? 'no-rule'}`) } : {}),
      ...(safety.length > 0 ? { safety_properties: safety } : {}),
    },
  });
}

function stepTests(t: RunTests, step: StepReport): void {
  const seg = t.stepSegment(step.name);
  const start = iso(step.startedAt);
  for (const g of probeGroups(step)) groupTest(t, step, seg, g);
  for (const c of step.checks ?? []) {
    t.add([seg, 'check', pathSegment(c.rule)], {
      status: c.verdict === 'match' ? 'PASS' : c.verdict === 'flaky' ? 'DONE' : 'FAIL',
      comment: `${step.name} / check / ${c.rule}: ${c.verdict}`,
      start_time: start,
      ...(c.verdict === 'match' ? {} : { log_excerpt: excerpt([`${c.rule} ${c.verdict}: ${c.message}`]) }),
      misc: { step: step.name, action: step.action, rules: [c.rule], verdict: c.verdict, message: c.message },
    });
  }
  if (step.error) {
    t.add([seg, 'action'], {
      status: 'ERROR',
      comment: `step ${step.name} (${step.action}) failed: ${step.error.code}`,
      start_time: start,
      duration: seconds(step.durationMs),
      log_excerpt: excerpt([`${step.error.code}: ${step.error.message}`]),
      misc: { step: step.name, action: step.action, error_code: step.error.code },
    });
  }
}

function runTests(t: RunTests): void {
  const r = t.r;
  const start = iso(r.environment.startedAt);
  const duration = seconds(r.summary.durationMs);
  for (const s of r.safety) {
    t.add(['safety', pathSegment(s.id)], {
      status: SAFETY_STATUS[s.status] ?? 'ERROR',
      comment: `${s.id} ${s.status}: ${s.text}`,
      start_time: start,
      duration,
      ...(s.status === 'violated' ? { log_excerpt: excerpt([`${s.id} violated: ${s.text}`, ...s.evidence]) } : {}),
      misc: { safety_properties: [s.id], safety_status: s.status, checks: s.checks },
    });
  }
  const findings = r.findings ?? [];
  if (findings.length > 0) {
    const serious = findings.filter((f) => f.kind !== 'warning');
    t.add(['console'], {
      status: serious.length > 0 ? 'FAIL' : 'PASS',
      comment: `the guest console printed ${countBy(findings, (f) => f.kind)}`,
      start_time: start,
      duration,
      log_excerpt: excerpt(findings.map((f) => `[${f.kind}]${f.step ? ` ${f.step}:` : ''} ${f.line}`)),
      misc: { findings: tally(findings, (f) => f.kind) },
    });
  }
  if (r.status === 'completed' && !r.fault && !r.error) return;
  const f = r.fault;
  t.add(['run'], {
    status: 'ERROR',
    comment: f ? `${f.kind}${f.step ? ` at ${f.step}` : ''}: ${f.message}` : r.error ? `${r.error.kind || r.error.code}: ${r.error.message}` : `the run did not complete (status ${r.status})`,
    start_time: start,
    duration,
    log_excerpt: excerpt(f ? [`code ${f.code}, step ${f.step ?? '-'}`, f.qemuExit ? `QEMU exit: ${JSON.stringify(f.qemuExit)}` : 'QEMU: still running when the fault was classified', 'console tail:', ...f.consoleTail] : r.error ? [r.error.code, r.error.message, ...(r.error.hint ? [r.error.hint] : [])] : [`the report was last written with status ${r.status}`]),
    misc: { run_status: r.status, fault_kind: f?.kind, fault_code: f?.code, fault_step: f?.step, error_code: r.error?.code },
  });
}

/** KCIDB v5 for one run or several: checkouts and builds once per kernel, tests per run. */
export function toKcidb(input: Report | Report[]): Kcidb {
  const checkouts = new Map<string, KcidbCheckout>();
  const builds = new Map<string, KcidbBuild>();
  const tests: KcidbTest[] = [];
  for (const raw of Array.isArray(input) ? input : [input]) {
    const r = readableReport(raw);
    const ids = kcidbIds(r);
    if (!checkouts.has(ids.checkout)) checkouts.set(ids.checkout, checkout(r, ids));
    if (!builds.has(ids.build)) builds.set(ids.build, build(r, ids));
    const t = new RunTests(r, ids);
    for (const step of r.steps) stepTests(t, step);
    runTests(t);
    tests.push(...t.tests);
  }
  return { version: { ...KCIDB_VERSION }, checkouts: [...checkouts.values()], builds: [...builds.values()], tests };
}

/** The KCIDB document as the file holds it. */
export const kcidbJson = (input: Report | Report[]): string => JSON.stringify(toKcidb(input), null, 2) + '\n';

export const kcidbRenderer: Renderer = { option: 'kcidb', file: 'kcidb.json', describe: 'KCIDB v5 JSON for KernelCI\'s common results database (kcidb-submit reads it on stdin)', render: kcidbJson, renderMany: kcidbJson };
