// The order a matrix's workers take cells in. The first cell of a kernel
// and command line boots and saves the guest its other cells restore
// (lab/saved.ts): while it runs, a worker takes a cell of another guest,
// so two cells never boot and save the same guest side by side, and every
// guest is booted once. With nothing else left, a worker takes the next
// cell anyway.
import type { Cell } from './cells.js';

export class CellQueue {
  private readonly queue: Cell[];
  private readonly first = new Map<string, Cell>();
  private readonly running = new Set<Cell>();

  constructor(cells: readonly Cell[]) {
    this.queue = [...cells];
  }

  /** The next cell to run, now marked running; undefined when none is left. */
  take(): Cell | undefined {
    const i = this.queue.findIndex((c) => !this.booting(c));
    const [c] = this.queue.splice(Math.max(0, i), 1);
    if (!c) return undefined;
    if (!this.first.has(guestOf(c))) this.first.set(guestOf(c), c);
    this.running.add(c);
    return c;
  }

  done(c: Cell): void {
    this.running.delete(c);
  }

  private booting(c: Cell): boolean {
    const f = this.first.get(guestOf(c));
    return !!f && this.running.has(f);
  }
}

const guestOf = (c: Cell) => `${c.arch ?? ''}\0${c.kernel}\0${c.cmdline}`;
