import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cellId, matrixCells, parseShard, shardCells } from '../../src/matrix/cells.js';
import { cellResult, matrixExitCode, mergeSummaries, summarizeMatrix } from '../../src/matrix/summary.js';
import { takeListOption } from '../../src/cli/matrix-cmd.js';
import type { Report } from '../../src/report/types.js';

const fixture = (n: string) => JSON.parse(readFileSync(new URL(`../fixtures/reports/${n}.json`, import.meta.url), 'utf8')) as Report;

describe('matrix cells', () => {
  const cells = matrixCells(['debian:bookworm', 'debian:bookworm@6.12'], ['', 'iomem=relaxed'], ['lifecycle', 'revoke']);

  it('has every combination once, kernels outermost, with stable ids', () => {
    expect(cells.length).toBe(8);
    expect(cells[0]).toMatchObject({ kernel: 'debian:bookworm', cmdline: '', scenario: 'lifecycle', index: 0 });
    expect(cells[3]).toMatchObject({ cmdline: 'iomem=relaxed', scenario: 'revoke' });
    expect(cellId('debian:bookworm@6.12', 'iomem=relaxed lockdown=integrity', 'revoke')).toBe('debian_bookworm@6.12__iomem_relaxed_lockdown_integrity__revoke');
    expect(new Set(cells.map((c) => c.id)).size).toBe(8);
  });

  it('shards partition the matrix: disjoint, and together every cell', () => {
    const shards = [1, 2, 3].map((i) => shardCells(cells, parseShard(`${i}/3`)));
    const ids = shards.flat().map((c) => c.id).sort();
    expect(ids).toEqual(cells.map((c) => c.id).sort());
    expect(shards.map((s) => s.length)).toEqual([3, 3, 2]);
  });

  it.each(['0/2', '3/2', '1', 'a/b', '1/0'])('rejects --shard %s', (s) => {
    expect(() => parseShard(s)).toThrow(expect.objectContaining({ code: 'E_SHARD', kind: 'input' }));
  });

  it('rejects duplicate cells', () => {
    expect(() => matrixCells(['a', 'a'], [''], ['lifecycle'])).toThrow(expect.objectContaining({ code: 'E_MATRIX' }));
  });

  it("takes --cmdlines' words up to the next option", () => {
    expect(takeListOption(['--kernels', 'a', '--cmdlines', '', 'iomem=relaxed', '--out', 'x'], '--cmdlines')).toEqual({
      values: ['', 'iomem=relaxed'],
      rest: ['--kernels', 'a', '--out', 'x'],
    });
  });
});

describe('matrix summaries from recorded cell reports', () => {
  // Real reports recorded from runs stand in for the cells' reports.
  const reports = [fixture('6.1-lifecycle'), fixture('6.12-lifecycle'), fixture('6.1-iomem-relaxed'), fixture('6.1-touch-unplugged')];
  const cells = matrixCells(['debian:bookworm', 'debian:bookworm@6.12'], ['', 'iomem=relaxed'], ['lifecycle']);
  const results = cells.map((c, i) => cellResult(c, reports[i], `cells/${c.id}/report.json`));

  it('sharded then merged equals the unsharded summary', () => {
    const whole = summarizeMatrix(results);
    const parts = [1, 2].map((i) => {
      const mine = new Set(shardCells(cells, parseShard(`${i}/2`)).map((c) => c.id));
      return summarizeMatrix(results.filter((r) => mine.has(r.id)));
    });
    expect(mergeSummaries(parts)).toEqual(whole);
    expect(mergeSummaries([parts[1], parts[0]])).toEqual(whole);
  });

  it('totals come from the cells, and a safety violation is a finding (exit 1)', () => {
    const whole = summarizeMatrix(results);
    expect(whole.totals.probes).toBe(reports.reduce((a, r) => a + r.summary.probes, 0));
    expect(whole.totals.violations).toBeGreaterThan(0); // touch-unplugged: S4 violated
    expect(matrixExitCode(whole)).toBe(1);
    expect(matrixExitCode(summarizeMatrix(results.slice(0, 3)))).toBe(0);
  });

  it('a cell that did not run makes the matrix incomplete (exit 3); a re-run that completed wins the merge', () => {
    const missing = cellResult(cells[0], undefined, 'x');
    expect(matrixExitCode(summarizeMatrix([missing, ...results.slice(1, 3)]))).toBe(3);
    const merged = mergeSummaries([summarizeMatrix([results[0]]), summarizeMatrix([missing])]);
    expect(merged.cells[0].status).toBe('completed');
  });
});
