import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cellId, matrixCells, parseShard, shardCells } from '../../src/matrix/cells.js';
import { cellResult, matrixExitCode, mergeSummaries, summarizeMatrix } from '../../src/matrix/summary.js';
import { takeListOption } from '../../src/cli/matrix-cmd.js';
import type { Report } from '../../src/format/types.js';

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
  // Real reports recorded from runs stand in for the cells' reports, each
  // cell paired with a run of its own kernel, command line and scenario. No
  // 6.12 touch-unplugged run was recorded: that cell has not run.
  const cells = matrixCells(['debian:bookworm', 'debian:bookworm@6.12'], [''], ['lifecycle', 'touch-unplugged']);
  const RECORDED: Record<string, string | undefined> = {
    debian_bookworm__default__lifecycle: '6.1-lifecycle',
    'debian_bookworm__default__touch-unplugged': '6.1-touch-unplugged',
    'debian_bookworm@6.12__default__lifecycle': '6.12-lifecycle',
    'debian_bookworm@6.12__default__touch-unplugged': undefined,
  };
  const reports = cells.map((c) => (RECORDED[c.id] ? fixture(RECORDED[c.id]!) : undefined));
  const results = cells.map((c, i) => cellResult(c, reports[i], `cells/${c.id}/report.json`));
  const BASE_CMDLINE = 'console=ttyS0 panic=-1 memhp_default_state=online_movable rdinit=/init loglevel=6';

  it('pairs every cell with a run of its own kernel, command line and scenario', () => {
    expect(cells.map((c) => c.id)).toEqual(Object.keys(RECORDED));
    const envs = reports.map((r) => r && [r.environment.kernel?.spec, r.environment.guest?.cmdline, r.environment.scenario]);
    expect(envs).toEqual([
      ['debian:bookworm', BASE_CMDLINE, 'lifecycle'],
      ['debian:bookworm', BASE_CMDLINE, 'touch-unplugged'],
      ['debian:bookworm@6.12', BASE_CMDLINE, 'lifecycle'],
      undefined,
    ]);
  });

  it('one row per cell, from its own report', () => {
    expect(results[0]).toMatchObject({ kernel: 'debian:bookworm', scenario: 'lifecycle', status: 'completed', probes: 2574, matches: 2574, mismatches: 0, violations: 0, checkMismatches: 0 });
    // touch-unplugged: every probe matched, but S4 and S5 were violated.
    expect(results[1]).toMatchObject({ scenario: 'touch-unplugged', status: 'completed', probes: 716, mismatches: 0, violations: 2, safety: { S4: 'violated', S5: 'violated' } });
    expect(results[2]).toMatchObject({ kernel: 'debian:bookworm@6.12', status: 'completed', probes: 2434, violations: 0 });
    expect(results[3]).toMatchObject({ status: 'not-run', probes: 0, report: 'cells/debian_bookworm@6.12__default__touch-unplugged/report.json' });
  });

  it('sharded then merged equals the unsharded summary', () => {
    const whole = summarizeMatrix(results);
    const parts = [1, 2].map((i) => {
      const mine = new Set(shardCells(cells, parseShard(`${i}/2`)).map((c) => c.id));
      return summarizeMatrix(results.filter((r) => mine.has(r.id)));
    });
    expect(parts.map((p) => p.cells.map((c) => c.index))).toEqual([[0, 2], [1, 3]]);
    expect(mergeSummaries(parts)).toEqual(whole);
    expect(mergeSummaries([parts[1], parts[0]])).toEqual(whole);
  });

  it('totals come from the cells, and a safety violation is a finding (exit 1, before incomplete)', () => {
    const whole = summarizeMatrix(results);
    expect(whole.totals).toEqual({ cells: 4, completed: 3, failed: 0, probes: 2574 + 716 + 2434, mismatches: 0, violations: 2, checkMismatches: 0, findings: 1 });
    expect(matrixExitCode(whole)).toBe(1);
    expect(matrixExitCode(summarizeMatrix([results[0], results[2]]))).toBe(0);
  });

  it('a cell that did not run makes the matrix incomplete (exit 3); a re-run that completed wins the merge', () => {
    expect(matrixExitCode(summarizeMatrix([results[0], results[2], results[3]]))).toBe(3);
    // 6.1-guest-hang is a bookworm / default / lifecycle run that failed: the same cell as results[0].
    const hung = cellResult(cells[0], fixture('6.1-guest-hang'), 'x');
    expect(hung).toMatchObject({ id: 'debian_bookworm__default__lifecycle', status: 'failed', fault: 'guest-hang' });
    expect(matrixExitCode(summarizeMatrix([hung, results[2]]))).toBe(3);
    for (const order of [[hung, results[0]], [results[0], hung]]) {
      const merged = mergeSummaries(order.map((r) => summarizeMatrix([r])));
      expect(merged.cells).toHaveLength(1);
      expect(merged.cells[0]).toMatchObject({ status: 'completed', probes: 2574 });
    }
  });
});

describe('the matrix index page', () => {
  it('links the matrix-wide JUnit, KTAP and KCIDB files and every cell\'s own files', async () => {
    const { matrixIndexHtml } = await import('../../src/matrix/artifacts.js');
    const [cell] = matrixCells(['debian:bookworm'], [''], ['lifecycle']);
    const html = matrixIndexHtml(summarizeMatrix([cellResult(cell, fixture('6.1-lifecycle'), `cells/${cell.id}/report.json`)]));
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    for (const f of ['junit.xml', 'ktap.txt', 'kcidb.json', 'matrix.json']) expect(hrefs).toContain(f);
    for (const f of ['report.html', 'junit.xml', 'ktap.txt', 'kcidb.json']) expect(hrefs).toContain(`cells/${cell.id}/${f}`);
  });
});
