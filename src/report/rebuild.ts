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
import { summarize, type Report, type StepReport } from '../format/types.js';

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

export async function rebuildReport(dir: string): Promise<{ report: Report; rebuilt: boolean }> {
  const report = await readJsonIfExists<Report>(join(dir, 'report.json'));
  if (!report) throw inputError('E_NO_REPORT', `${dir} has no report.json`, 'give the --out directory of a devmem-lab run');
  if (report.status !== 'running') return { report, rebuilt: false };
  const events = await readEvents(dir);
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
        error: { code: 'E_LAB_ENDED', message: 'the lab process ended during this step' },
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
