// A small matrix on real guests with two at a time: both cells run and
// match the model, the artifacts people read are written, and a re-run
// skips what completed.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matrixCells } from '../../src/matrix/cells.js';
import { runMatrix } from '../../src/matrix/run.js';
import { pkgPath } from '../../src/util/paths.js';

const out = mkdtempSync(join(tmpdir(), 'devmem-lab-matrix-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('matrix (real guests, --jobs 2)', () => {
  const cells = matrixCells(['debian:bookworm'], ['', 'iomem=relaxed'], ['lifecycle']);

  it('runs both cells side by side with 0 findings and writes junit, html and the index', async () => {
    const starts: number[] = [];
    const m = await runMatrix({ cells, out, jobs: 2, accel: 'tcg', onEvent: (_c, e) => e.type === 'run-start' && starts.push(Date.now()) });
    // A cell that did not complete is named with its fault and console tail.
    const failed = m.cells.filter((c) => c.status !== 'completed').map((c) => {
      const r = JSON.parse(readFileSync(join(out, c.report), 'utf8'));
      return { id: c.id, fault: r.fault?.kind, message: r.fault?.message, console: r.fault?.consoleTail?.slice(-6) };
    });
    expect(failed).toEqual([]);
    expect(m.totals).toMatchObject({ cells: 2, completed: 2, failed: 0, mismatches: 0, violations: 0, checkMismatches: 0 });
    expect(m.totals.probes).toBeGreaterThan(2000);
    // Two at a time: the second cell started before the first could have finished.
    expect(Math.abs(starts[1] - starts[0])).toBeLessThan(5000);
    for (const c of cells) {
      expect(existsSync(join(out, 'cells', c.id, 'report.html'))).toBe(true);
      expect(readFileSync(join(out, 'cells', c.id, 'junit.xml'), 'utf8')).toContain('<testsuite');
    }
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain(cells[1].id);
    expect(JSON.parse(readFileSync(join(out, 'matrix.json'), 'utf8')).totals.completed).toBe(2);
  }, 600_000);

  it('a re-run reuses completed cells and boots nothing', async () => {
    const reused: boolean[] = [];
    let events = 0;
    const m = await runMatrix({ cells, out, jobs: 2, accel: 'tcg', onEvent: () => events++, onCellDone: (_r, r) => reused.push(r) });
    expect(reused).toEqual([true, true]);
    expect(events).toBe(0);
    expect(m.totals.completed).toBe(2);
  }, 120_000);
});

describe('devmem-lab matrix with no arguments (real guest)', () => {
  it('reads ./devmem-lab.json, runs its cell and writes the matrix where the file says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-labfile-'));
    try {
      writeFileSync(join(dir, 'devmem-lab.json'), JSON.stringify({ kernels: ['debian:bookworm'], scenarios: ['capabilities'], out: 'lab-matrix', jobs: 1 }));
      const code = await new Promise<number>((resolve) => {
        execFile(pkgPath('bin/devmem-lab'), ['matrix'], { cwd: dir, timeout: 600_000 }, (err) => resolve(err ? ((err as { code?: number }).code ?? -1) : 0));
      });
      expect(code).toBe(0);
      const m = JSON.parse(readFileSync(join(dir, 'lab-matrix', 'matrix.json'), 'utf8'));
      expect(m.totals).toMatchObject({ cells: 1, completed: 1, mismatches: 0, violations: 0 });
      expect(m.cells[0].id).toBe('debian_bookworm__default__capabilities');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 660_000);
});
