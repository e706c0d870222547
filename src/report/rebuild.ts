// Rebuilds a report from a run directory: report.json is rewritten after
// every step, events.jsonl after every event, so a run killed mid-step
// (SIGKILL, power loss) still has everything up to its last probe. This
// turns the two into one valid report.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProbeRecord } from '../probe/types.js';
import { readJsonIfExists } from '../util/cache.js';
import { inputError } from '../util/errors.js';
import type { RunEvent } from '../format/events.js';
import { REPORT_SCHEMA, summarize, type Report, type StepReport } from '../format/types.js';

export async function readEvents(dir: string): Promise<(RunEvent & { t: number })[]> {
  const text = await readFile(join(dir, 'events.jsonl'), 'utf8').catch(() => '');
  const out: (RunEvent & { t: number })[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // The last line of a killed run may be cut short: everything before it counts.
    }
  }
  return out;
}

/** report.json, or undefined when it is missing; a damaged one (cut short, not a report) is `null`. */
async function readReportFile(path: string): Promise<Report | undefined | null> {
  const r = await readJsonIfExists<Report>(path).catch(() => null);
  if (r === undefined || r === null) return r;
  return typeof r === 'object' && (r as { schema?: string }).schema === REPORT_SCHEMA && Array.isArray(r.steps) ? r : null;
}

/** The report's frame from the run's first event, when report.json itself cannot be read. */
function skeleton(events: (RunEvent & { t: number })[]): Report | undefined {
  const start = events.find((e) => e.type === 'run-start') as (RunEvent & { t: number; runId?: string; scenario?: string }) | undefined;
  if (!start) return undefined;
  return {
    schema: REPORT_SCHEMA,
    status: 'running',
    environment: { runId: start.runId ?? '?', startedAt: new Date(start.t).toISOString(), scenario: start.scenario ?? '?' } as Report['environment'],
    steps: [],
    findings: [],
    safety: [],
    summary: summarize([], 0),
  };
}

export async function rebuildReport(dir: string): Promise<{ report: Report; rebuilt: boolean }> {
  const file = await readReportFile(join(dir, 'report.json'));
  if (file === undefined) throw inputError('E_NO_REPORT', `${dir} has no report.json`, 'give the --out directory of a devmem-lab run');
  if (file && file.status !== 'running') return { report: file, rebuilt: false };
  const events = await readEvents(dir);
  // A report.json cut short (the disk filled, the file was copied mid-write) is rebuilt from the events alone.
  const report = file ?? skeleton(events);
  if (!report) throw inputError('E_NO_REPORT', `${dir}/report.json is damaged and events.jsonl has no run in it`, 'give the --out directory of a devmem-lab run; this one cannot be read');
  // Only run-start, step-start, probe, step-end and console events are read;
  // the others (progress, probes-planned, …) hold nothing a report keeps.
  const ended = new Set(events.filter((e) => e.type === 'step-end').map((e) => (e as { step: string }).step));
  const have = new Set(report.steps.map((s) => s.name));
  const partial = new Map<string, StepReport>();
  for (const e of events) {
    if (e.type === 'step-start' && !have.has(e.step)) {
      partial.set(e.step, {
        name: e.step,
        action: '(rebuilt from events.jsonl)',
        startedAt: '',
        durationMs: 0,
        observations: { iomem: '', dmesg: [], memoryDevices: [], virtioMemBound: false, virtioMemLoaded: false, highMemoryEnd: null, action: {} },
        probes: [],
        ...(ended.has(e.step) ? {} : { error: { code: 'E_LAB_ENDED', message: 'the lab process ended during this step' } }),
      });
    }
    if (e.type === 'probe') partial.get(e.step)?.probes.push(e.probe as ProbeRecord);
  }
  report.steps.push(...partial.values());
  report.status = 'interrupted';
  const lastT = events.at(-1)?.t ?? 0;
  report.fault ??= {
    kind: 'interrupted',
    step: [...partial.keys()].at(-1),
    message: 'the lab process ended without finishing the run; report rebuilt from events.jsonl',
    code: 'E_LAB_ENDED',
    qemuExit: null,
    consoleTail: events.filter((e) => e.type === 'console').slice(-30).map((e) => (e as { line: string }).line),
  };
  report.summary = summarize(report.steps, lastT);
  return { report, rebuilt: true };
}
