// The live view of a matrix: one line per cell with its state, elapsed
// time, id, and the running step's probes done of planned and their rate,
// redrawn in place by log-update on a terminal and cut to its width; plain
// lines, no escape codes, otherwise.
import type { Cell } from '../matrix/cells.js';
import type { CellResult } from '../matrix/summary.js';
import type { RunEvent } from '../format/events.js';
import { RunProgress } from './progress.js';
import { fitLine, fitMiddle, lineWidth, liveWriter, padCols, stringWidth, type LiveWriter, type TermStream } from './terminal.js';

export interface ViewOptions {
  stream?: TermStream;
  /** The clock elapsed times and rates are read from. */
  now?: () => number;
  /** Redraw period on a terminal (0: only when draw() or close() is called). */
  intervalMs?: number;
}

interface Row {
  cell: Cell;
  state: string;
  progress: RunProgress;
  t0?: number;
  /** A finished cell: its figures and the rest of its result. */
  done?: { ms: number; figures: string; rest: string };
}

export class LiveView {
  private readonly rows = new Map<string, Row>();
  private readonly out: TermStream;
  private readonly now: () => number;
  private readonly live?: LiveWriter;
  private readonly timer?: NodeJS.Timeout;
  private closed = false;

  constructor(cells: Cell[], opts: ViewOptions = {}) {
    this.out = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    for (const c of cells) this.rows.set(c.id, { cell: c, state: 'queued', progress: new RunProgress(this.now) });
    if (this.out.isTTY) {
      this.live = liveWriter(this.out);
      const ms = opts.intervalMs ?? 250;
      if (ms > 0) this.timer = setInterval(() => this.draw(), ms).unref();
    }
  }

  event(cell: Cell, e: RunEvent & { t: number }): void {
    const r = this.rows.get(cell.id)!;
    r.t0 ??= this.now();
    r.progress.event(e);
    if (e.type === 'step-start') {
      r.state = 'running';
      this.plain(`${cell.id}: step ${e.index + 1}/${e.total} ${e.step}`);
    } else if (e.type === 'guest-ready') {
      r.state = 'running';
    } else if (e.type === 'run-start') {
      r.state = 'booting';
      this.plain(`${cell.id}: started`);
    }
  }

  done(res: CellResult, reused: boolean): void {
    const r = this.rows.get(res.id)!;
    r.state = reused ? 'reused' : res.status;
    const rest = `${res.mismatches} mismatch, ${res.violations} violation${res.fault ? `, ${res.fault}` : ''}`;
    r.done = { ms: res.durationMs, figures: `${res.probes} probes`, rest };
    this.plain(`${res.id}: ${r.state}: ${res.probes} probes, ${rest}, ${(res.durationMs / 1000).toFixed(1)} s`);
  }

  /**
   * The view's lines as drawn on a terminal: columns state ("step 3/7"
   * while one runs), elapsed, cell id, figures (the running step's probes
   * done/planned and rate, or a finished cell's probes) and the rest (the
   * step's name, or mismatches, violations and fault). On a narrow terminal ids are cut in the middle,
   * down to 12 columns, to keep the figures in view, and the rest is cut or
   * left out.
   */
  lines(): string[] {
    const width = lineWidth(this.out);
    const cols = [...this.rows.values()].map((r) => this.columns(r));
    const max = (i: number) => Math.max(0, ...cols.map((c) => stringWidth(c[i])));
    const [stateW, elW, idW, figW] = [max(0), max(1), max(2), max(3)];
    const idCol = Math.max(Math.min(idW, 12), Math.min(idW, width - (stateW + 1 + elW + 2) - 2 - figW));
    return cols.map(([state, el, id, fig, rest]) => {
      const base = `${padCols(state, stateW)} ${' '.repeat(elW - stringWidth(el))}${el}  ${padCols(fitMiddle(id, idCol), idCol)}  ${padCols(fig, figW)}`;
      const full = rest ? `${base}  ${rest}` : base.trimEnd();
      // The rest is shown cut when at least a few columns of it fit; else the line ends with the figures.
      return fitLine(stringWidth(full) <= width || stringWidth(base) + 6 <= width ? full : base.trimEnd(), width);
    });
  }

  /** state, elapsed, id, figures, rest. */
  private columns(r: Row): string[] {
    if (r.done) return [r.state, `${(r.done.ms / 1000).toFixed(1)}s`, r.cell.id, r.done.figures, r.done.rest];
    if (r.t0 === undefined) return [r.state, '', r.cell.id, '', ''];
    const el = `${((this.now() - r.t0) / 1000).toFixed(0)}s`;
    // A running cell's state is its step: "step 3/7".
    const s = r.progress.step;
    return [s ? `step ${s.index}` : r.state, el, r.cell.id, r.progress.counts(), s?.name ?? ''];
  }

  /** Redraws the view in place (a terminal only). */
  draw(): void {
    if (this.live && !this.closed) this.live(this.lines().join('\n'));
  }

  private plain(s: string): void {
    if (!this.live) this.out.write(s + '\n');
  }

  /** The last frame stays on the terminal, the cursor shown again. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.draw();
    this.closed = true;
    this.live?.done();
  }
}
