// The live views (src/cli/live.ts for matrix, src/cli/run-view.ts for run)
// fed events on a stand-in terminal: what the screen shows after log-update's
// redraws (a small emulator of the escape codes it writes), cut to the
// width with wide characters, and no escape code at all off a terminal.
import { describe, expect, it } from 'vitest';
import { LiveView } from '../../src/cli/live.js';
import { RunView } from '../../src/cli/run-view.js';
import { fitLine, fitMiddle } from '../../src/cli/terminal.js';
import type { RunEvent } from '../../src/format/events.js';
import type { Cell } from '../../src/matrix/cells.js';
import type { CellResult } from '../../src/matrix/summary.js';
import type { ProbeRecord } from '../../src/probe/types.js';

/** A terminal of `columns` that keeps what is written, and the screen it shows. */
function fakeTerminal(columns: number, isTTY = true) {
  const written: string[] = [];
  return {
    isTTY,
    columns,
    rows: 15,
    written,
    write(s: string) {
      written.push(s);
      return true;
    },
    /** The screen's lines: the escape codes log-update writes, applied (one code point a cell). */
    screen(): string[] {
      const rows: string[][] = [[]];
      let row = 0;
      let col = 0;
      const text = written.join('');
      for (let i = 0; i < text.length; ) {
        const csi = /^\x1b\[([?0-9;]*)([A-Za-z])/.exec(text.slice(i));
        if (csi) {
          const n = Number(csi[1] || 1);
          if (csi[2] === 'A') row = Math.max(0, row - n);
          else if (csi[2] === 'B') row += n;
          else if (csi[2] === 'G') col = 0;
          else if (csi[2] === 'K') rows[row] = csi[1] === '2' ? [] : (rows[row] ?? []).slice(0, col);
          else if (!(csi[1].startsWith('?') && 'hl'.includes(csi[2]))) throw new Error(`unexpected escape ${JSON.stringify(csi[0])}`);
          rows[row] ??= [];
          i += csi[0].length;
          continue;
        }
        const ch = String.fromCodePoint(text.codePointAt(i)!);
        i += ch.length;
        if (ch === '\n') {
          row++;
          col = 0;
          rows[row] ??= [];
        } else {
          (rows[row] ??= [])[col++] = ch;
        }
      }
      const lines = rows.map((r) => Array.from(r, (c) => c ?? ' ').join(''));
      while (lines.length && lines.at(-1) === '') lines.pop();
      return lines;
    },
  };
}

const cell = (id: string, index = 0): Cell => ({ id, kernel: 'debian:bookworm', cmdline: '', scenario: 'lifecycle', index });
const ev = (e: RunEvent, t = 0): RunEvent & { t: number } => ({ t, ...e });
const probe = (id: number, step = 'plug-512M', verdict: ProbeRecord['verdict'] = 'match'): RunEvent => ({
  type: 'probe',
  step,
  probe: { id, op: 'read', addr: '0x0', len: 4096, why: 'x', observed: { result: 'ok' }, verdict } as ProbeRecord,
});

const LIFECYCLE = cell('debian_bookworm__default__lifecycle');
const WIDE = cell('debian_bookworm__default__スキャン', 1);

/** Cell LIFECYCLE at step 3/7, 120 of 388 probes answered in the 2 s since the plan; WIDE booting. */
function matrixAt3s(term: ReturnType<typeof fakeTerminal>) {
  let clock = 0;
  const view = new LiveView([LIFECYCLE, WIDE], { stream: term, now: () => clock, intervalMs: 0 });
  view.event(LIFECYCLE, ev({ type: 'run-start', runId: 'r1', kernel: 'debian:bookworm', scenario: 'lifecycle', out: '/o' }));
  view.event(WIDE, ev({ type: 'run-start', runId: 'r2', kernel: 'debian:bookworm', scenario: 'スキャン', out: '/o' }));
  view.event(LIFECYCLE, ev({ type: 'guest-ready', ms: 900 }));
  view.event(LIFECYCLE, ev({ type: 'step-start', step: 'plug-512M', index: 2, total: 7 }));
  clock = 1000;
  view.event(LIFECYCLE, ev({ type: 'probes-planned', step: 'plug-512M', total: 388 }));
  clock = 3000;
  for (let i = 1; i <= 120; i++) view.event(LIFECYCLE, ev(probe(i)));
  return view;
}

describe('matrix live view on a terminal', () => {
  it('shows done/planned and the rate of the running step; ids cut in the middle to keep them in 39 columns', () => {
    const term = fakeTerminal(40);
    const view = matrixAt3s(term);
    view.draw();
    expect(term.screen()).toEqual([
      'step 3/7 3s  debian…cycle  120/388 60/s',
      // The id cut to 12 columns: 'debian', '…' and of 'キャン' the last 5 columns, less the half of 'キ'.
      'booting  3s  debian…ャン',
    ]);
  });

  it('redraws in place: the second frame replaces the first, line for line', () => {
    const term = fakeTerminal(80);
    let clock = 0;
    const view = new LiveView([LIFECYCLE], { stream: term, now: () => clock, intervalMs: 0 });
    view.event(LIFECYCLE, ev({ type: 'run-start', runId: 'r1', kernel: 'debian:bookworm', scenario: 'lifecycle', out: '/o' }));
    view.event(LIFECYCLE, ev({ type: 'step-start', step: 'boot', index: 0, total: 7 }));
    view.event(LIFECYCLE, ev({ type: 'probes-planned', step: 'boot', total: 374 }));
    view.draw();
    expect(term.screen()).toEqual(['step 1/7 0s  debian_bookworm__default__lifecycle  0/374  boot']);
    clock = 500;
    for (let i = 1; i <= 374; i++) view.event(LIFECYCLE, ev(probe(i, 'boot', i === 7 ? 'mismatch' : 'match')));
    view.event(LIFECYCLE, ev({ type: 'step-end', step: 'boot', probes: 374, ms: 500 }));
    clock = 9000;
    view.draw();
    // The step ended at 500 ms: its rate stays 374 / 0.5 s.
    expect(term.screen()).toEqual(['step 1/7 9s  debian_bookworm__default__lifecycle  374/374 748/s  boot']);
    const res: CellResult = { ...LIFECYCLE, status: 'completed', probes: 2686, matches: 2685, mismatches: 1, violations: 0, checkMismatches: 0, safety: {}, durationMs: 9400, report: 'r' };
    view.done(res, false);
    view.close();
    // 89 columns in 79: the rest is cut.
    expect(term.screen()).toEqual(['completed 9.4s  debian_bookworm__default__lifecycle  2686 probes  1 mismatch, …']);
  });

  it('cuts a finished cell\'s id in the middle, a wide character across the cut left out', () => {
    const term = fakeTerminal(41);
    const view = new LiveView([WIDE], { stream: term, intervalMs: 0 });
    const res: CellResult = { ...WIDE, status: 'failed', probes: 12, matches: 12, mismatches: 0, violations: 0, checkMismatches: 0, safety: {}, fault: 'guest-hang', durationMs: 61000, report: 'r' };
    view.done(res, false);
    view.close();
    // 40 columns: 'failed 61.0s  ' (14), the id in 40 - 14 - 2 - 9 = 15 ('debian_', '…', and of
    // 'スキャン' the 7 last columns, less the half of 'ス'), '  12 probes'; no room for the rest.
    expect(term.screen()).toEqual(['failed 61.0s  debian_…キャン   12 probes']);
  });
});

describe('matrix view off a terminal', () => {
  it('writes plain lines, no escape codes, as the cells start, step and finish', () => {
    const term = fakeTerminal(40, false);
    const view = matrixAt3s(term);
    view.done({ ...LIFECYCLE, status: 'completed', probes: 2686, matches: 2686, mismatches: 0, violations: 0, checkMismatches: 0, safety: {}, durationMs: 9400, report: 'r' }, false);
    view.close();
    expect(term.written.join('')).toBe(
      'debian_bookworm__default__lifecycle: started\n' +
        'debian_bookworm__default__スキャン: started\n' +
        'debian_bookworm__default__lifecycle: step 3/7 plug-512M\n' +
        'debian_bookworm__default__lifecycle: completed: 2686 probes, 0 mismatch, 0 violation, 9.4 s\n',
    );
  });
});

describe('run live line', () => {
  const start = ev({ type: 'run-start', runId: 'r1', kernel: 'debian:bookworm', scenario: 'lifecycle', out: '/o' }, 3);

  it('shows the milestones and, under them, the running step with done/planned and rate, cut to 39 columns', () => {
    const term = fakeTerminal(40);
    let clock = 0;
    const view = new RunView(false, { stream: term, now: () => clock, intervalMs: 0 });
    view.event(start);
    view.event(ev({ type: 'step-start', step: 'plug-512M', index: 2, total: 7 }, 3602));
    clock = 400;
    view.event(ev({ type: 'probes-planned', step: 'plug-512M', total: 388 }, 4002));
    clock = 600;
    for (let i = 1; i <= 100; i++) view.event(ev(probe(i), 4100));
    view.draw();
    expect(term.screen()).toEqual([
      '   0.0s run r1: kernel debian:bookworm, ',
      'scenario lifecycle, out /o',
      '   3.6s [3/7] plug-512M',
      '        [3/7] plug-512M  100/388 probe…',
    ]);
    view.event(ev({ type: 'step-end', step: 'plug-512M', probes: 388, ms: 667 }, 4269));
    view.close();
    expect(term.screen()).toEqual([
      '   0.0s run r1: kernel debian:bookworm, ',
      'scenario lifecycle, out /o',
      '   3.6s [3/7] plug-512M',
      '   4.3s       388 probes in 667 ms',
    ]);
  });

  it('fits a wide terminal whole', () => {
    const term = fakeTerminal(100);
    let clock = 0;
    const view = new RunView(false, { stream: term, now: () => clock, intervalMs: 0 });
    view.event(ev({ type: 'step-start', step: 'boot', index: 0, total: 7 }, 2261));
    expect(view.line()).toBe('        [1/7] boot  0.0s');
    view.event(ev({ type: 'probes-planned', step: 'boot', total: 374 }, 2600));
    clock = 2000;
    for (let i = 1; i <= 5; i++) view.event(ev(probe(i, 'boot'), 2700));
    // A probe of another step is not one of this step's.
    view.event(ev(probe(6, 'plug-512M'), 2700));
    expect(view.line()).toBe('        [1/7] boot  5/374 probes  2.5/s  2.0s');
  });

  it('off a terminal writes the milestone lines of today, and no escape code', () => {
    const term = fakeTerminal(40, false);
    const view = new RunView(false, { stream: term, intervalMs: 0 });
    view.event(start);
    view.event(ev({ type: 'step-start', step: 'plug-512M', index: 2, total: 7 }, 3602));
    view.event(ev({ type: 'probes-planned', step: 'plug-512M', total: 388 }, 4002));
    for (let i = 1; i <= 100; i++) view.event(ev(probe(i), 4100));
    view.event(ev({ type: 'step-end', step: 'plug-512M', probes: 388, ms: 667 }, 4269));
    view.close();
    const out = term.written.join('');
    expect(out).not.toMatch(/\x1b/);
    expect(out).toBe('   0.0s run r1: kernel debian:bookworm, scenario lifecycle, out /o\n   3.6s [3/7] plug-512M\n   4.3s       388 probes in 667 ms\n');
  });
});

describe('cutting to a width in columns', () => {
  it('cuts at the end with an ellipsis; a wide character across the cut is left out', () => {
    expect(fitLine('abcdef', 6)).toBe('abcdef');
    expect(fitLine('abcdefg', 6)).toBe('abcde…');
    expect(fitLine('abc漢字', 6)).toBe('abc漢…');
    expect(fitLine('abcd漢字', 6)).toBe('abcd…');
  });

  it('cuts in the middle, keeping both ends; a wide character across either cut is left out', () => {
    expect(fitMiddle('debian_bookworm__default__lifecycle', 13)).toBe('debian…ecycle');
    expect(fitMiddle('漢字漢字abcdef', 8)).toBe('漢字…def');
    expect(fitMiddle('漢字漢字abcdef', 7)).toBe('漢…def');
    expect(fitMiddle('abcdef漢字漢字', 8)).toBe('abcd…字');
  });
});
