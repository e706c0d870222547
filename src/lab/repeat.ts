// A repeated run (--repeat N): the scenario N times, each repeat a whole run
// of its own in <out>/repeat-<k>/ (report, events, console), restored from
// the same saved guest — so every repeat starts from the same post-boot
// state — or, with --repeat-boots, booted afresh each time. After each
// repeat the merged report (format/repeats.ts) is written to <out>/report.json, so
// a run stopped half-way keeps the repeats it finished.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EventLog } from '../format/events.js';
import { mergeRepeats } from '../format/repeats.js';
import type { Report } from '../format/types.js';
import type { RunOptions } from './options.js';
import { runLab } from './run.js';
import { writeFileAtomic } from '../util/cache.js';

export interface RepeatOptions extends Omit<RunOptions, 'events' | 'out'> {
  out: string;
  repeats: number;
  /** Boot every repeat afresh instead of restoring the saved guest. */
  freshBoots?: boolean;
  /** Each repeat's event log is handed here first (the live view listens to it). */
  onEvents?: (events: EventLog, repeat: number) => void;
  /** The merged report after each repeat. */
  onMerged?: (merged: Report, repeat: number) => Promise<void> | void;
  /** The run itself (tests inject faults through it). */
  runOne?: (opts: RunOptions, repeat: number) => Promise<Report>;
}

export const repeatDir = (out: string, k: number): string => join(out, `repeat-${k}`);

export async function runRepeated(opts: RepeatOptions): Promise<Report> {
  const { repeats, freshBoots, onEvents, onMerged, runOne = (o) => runLab(o), ...run } = opts;
  const reports: Report[] = [];
  let merged: Report | undefined;
  for (let k = 1; k <= repeats; k++) {
    const out = repeatDir(opts.out, k);
    await mkdir(out, { recursive: true });
    const events = new EventLog(join(out, 'events.jsonl'));
    onEvents?.(events, k);
    try {
      reports.push(await runOne({ ...run, out, events, freshBoot: run.freshBoot || freshBoots }, k));
    } finally {
      events.close();
    }
    merged = mergeRepeats(reports, { boots: freshBoots || run.freshBoot ? 'fresh' : 'restored' });
    await writeFileAtomic(join(opts.out, 'report.json'), JSON.stringify(merged, null, 2) + '\n');
    await onMerged?.(merged, k);
    // A repeat that did not complete (bad input, a fault, Ctrl-C) ends the run: the next would meet the same.
    if (reports[k - 1].status !== 'completed' || run.signal?.aborted) break;
  }
  return merged!;
}
