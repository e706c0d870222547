// What `run` shows while it runs: the milestone lines of render.ts, and on
// a terminal one live line under them for the running step — its probes
// done of planned and their rate — redrawn in place by log-update. Not on
// a terminal: the milestone lines alone, no escape codes.
import type { RunEvent } from '../format/events.js';
import { formatRate, RunProgress } from './progress.js';
import { renderEvent } from './render.js';
import { fitLine, lineWidth, liveWriter, type LiveWriter, type TermStream } from './terminal.js';
import type { ViewOptions } from './live.js';

export class RunView {
  private readonly out: TermStream;
  private readonly now: () => number;
  private readonly progress: RunProgress;
  private readonly live?: LiveWriter;
  private readonly timer?: NodeJS.Timeout;
  private stepStart = 0;
  private running = false;
  private closed = false;

  constructor(
    private readonly verbose = false,
    opts: ViewOptions = {},
  ) {
    this.out = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.progress = new RunProgress(this.now);
    if (this.out.isTTY) {
      this.live = liveWriter(this.out);
      const ms = opts.intervalMs ?? 250;
      if (ms > 0) this.timer = setInterval(() => this.draw(), ms).unref();
    }
  }

  event(e: RunEvent & { t: number }): void {
    this.progress.event(e);
    if (e.type === 'step-start') {
      this.running = true;
      this.stepStart = this.now();
    } else if (e.type === 'step-end' || e.type === 'run-end') {
      this.running = false;
    }
    const lines: string[] = [];
    renderEvent(e, (s) => lines.push(s), this.verbose);
    if (!this.live || this.closed) {
      for (const l of lines) this.out.write(l + '\n');
      return;
    }
    // A milestone goes above the live line, which is drawn again under it.
    if (lines.length > 0) this.live.persist(lines.join('\n'));
    if (lines.length > 0 || e.type === 'probes-planned') this.draw();
  }

  /** "        [3/7] plug-512M  120/388 probes  240/s  2.1s", cut to the terminal's width; '' between steps. */
  line(): string {
    const s = this.progress.step;
    if (!this.running || !s) return '';
    const parts = [`[${s.index}] ${s.name}`];
    if (s.total !== undefined) parts.push(`${this.progress.fraction()} probes`);
    const r = this.progress.rate();
    if (r !== undefined) parts.push(formatRate(r));
    parts.push(`${((this.now() - this.stepStart) / 1000).toFixed(1)}s`);
    // Indented like the step's milestone line, under its "[3/7]".
    return fitLine(`        ${parts.join('  ')}`, lineWidth(this.out));
  }

  /** Redraws the live line (a terminal only). */
  draw(): void {
    if (!this.live || this.closed) return;
    const l = this.line();
    if (l) this.live(l);
    else this.live.clear();
  }

  /** Removes the live line and shows the cursor again; the milestones stay. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.live?.clear();
    this.live?.done();
  }
}
