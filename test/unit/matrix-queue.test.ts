// The matrix's cell order: one boot per guest, never two of the same side by side.
import { describe, expect, it } from 'vitest';
import { matrixCells } from '../../src/matrix/cells.js';
import { CellQueue } from '../../src/matrix/queue.js';

const ids = (cs: { id: string }[]) => cs.map((c) => c.id);

describe('CellQueue', () => {
  const cells = matrixCells(['debian:bookworm'], ['', 'nokaslr'], ['lifecycle', 'revoke']);

  it('while a guest\'s first cell runs, the next worker takes another guest\'s cell', () => {
    const q = new CellQueue(cells);
    const a = q.take()!;
    const b = q.take()!;
    expect([a.cmdline, a.scenario]).toEqual(['', 'lifecycle']);
    expect([b.cmdline, b.scenario]).toEqual(['nokaslr', 'lifecycle']);
    q.done(a);
    // The default guest is saved now: its second cell is next.
    const c = q.take()!;
    expect([c.cmdline, c.scenario]).toEqual(['', 'revoke']);
    // nokaslr's first cell still runs, but nothing else is left: take it anyway.
    const d = q.take()!;
    expect([d.cmdline, d.scenario]).toEqual(['nokaslr', 'revoke']);
    expect(q.take()).toBeUndefined();
  });

  it('one worker runs the cells in matrix order', () => {
    const q = new CellQueue(cells);
    const order = [];
    for (let c = q.take(); c; q.done(c), c = q.take()) order.push(c);
    expect(ids(order)).toEqual(ids(cells));
  });

  it('a later cell of a guest waits only for that guest\'s first cell', () => {
    const q = new CellQueue(matrixCells(['debian:bookworm'], ['', 'nokaslr'], ['lifecycle', 'revoke', 'capabilities']));
    const a = q.take()!; // default/lifecycle boots
    const b = q.take()!; // nokaslr/lifecycle boots
    q.done(b);
    const c = q.take()!;
    expect([a.cmdline, c.cmdline, c.scenario]).toEqual(['', 'nokaslr', 'revoke']);
  });
});
