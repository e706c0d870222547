// The live view of a matrix: one line per cell with its step, counts and
// elapsed time, redrawn in place on a terminal; plain lines otherwise.
import type { Cell } from '../matrix/cells.js';
import type { CellResult } from '../matrix/summary.js';
import type { RunEvent } from '../format/events.js';

interface Row {
  cell: Cell;
  state: string;
  step: string;
  probes: number;
  mismatches: number;
  t0?: number;
  done?: string;
}

export class LiveView {
  private rows = new Map<string, Row>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    cells: Cell[],
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly tty = !!process.stderr.isTTY,
  ) {
    for (const c of cells) this.rows.set(c.id, { cell: c, state: 'queued', step: '', probes: 0, mismatches: 0 });
    if (this.tty) this.timer = setInterval(() => this.draw(), 250);
  }

  event(cell: Cell, e: RunEvent & { t: number }): void {
    const r = this.rows.get(cell.id)!;
    r.t0 ??= Date.now();
    if (e.type === 'step-start') {
      r.state = 'running';
      r.step = `${e.index + 1}/${e.total} ${e.step}`;
      if (!this.tty) this.line(`${cell.id}: step ${r.step}`);
    } else if (e.type === 'probe') {
      r.probes++;
      if (e.probe.verdict === 'mismatch' || e.probe.verdict === 'violation') r.mismatches++;
    } else if (e.type === 'guest-ready') {
      r.state = 'running';
    } else if (e.type === 'run-start') {
      r.state = 'booting';
      if (!this.tty) this.line(`${cell.id}: started`);
    }
  }

  done(res: CellResult, reused: boolean): void {
    const r = this.rows.get(res.id)!;
    r.state = reused ? 'reused' : res.status;
    r.done = `${res.probes} probes, ${res.mismatches} mismatch, ${res.violations} violation${res.fault ? `, ${res.fault}` : ''}, ${(res.durationMs / 1000).toFixed(1)} s`;
    if (!this.tty) this.line(`${res.id}: ${r.state}: ${r.done}`);
  }

  private line(s: string): void {
    this.out.write(s + '\n');
  }

  private draw(): void {
    const lines = [...this.rows.values()].map((r) => {
      const el = r.t0 ? `${((Date.now() - r.t0) / 1000).toFixed(0)}s` : '';
      const what = r.done ?? `${r.step} ${r.probes} probes${r.mismatches ? `, ${r.mismatches} mismatch` : ''}`;
      return `${r.state.padEnd(11)} ${el.padStart(5)}  ${r.cell.id}  ${what}`.slice(0, (this.out.columns ?? 160) - 1);
    });
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
    this.out.write(lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
    this.drawn = lines.length;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.draw();
  }
}
