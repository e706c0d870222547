// The output directory: nothing of another run is replaced without --force,
// a planted symlink never redirects the run's files, and the lab's own
// kernel parameters cannot be overridden by a user's words.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimRunDir, ensureOutDir } from '../../src/cli/common.js';
import { EventLog } from '../../src/format/events.js';
import { cmdlineConflicts } from '../../src/vm/args.js';

const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--out', () => {
  it('creates missing parents one level at a time', async () => {
    await ensureOutDir(join(dir, 'a', 'b', 'c'));
    expect(existsSync(join(dir, 'a', 'b', 'c'))).toBe(true);
  });
  it('refuses an empty path and a file', async () => {
    await expect(ensureOutDir('')).rejects.toMatchObject({ code: 'E_USAGE' });
    writeFileSync(join(dir, 'f'), '');
    await expect(ensureOutDir(join(dir, 'f'))).rejects.toMatchObject({ code: 'E_OUT_UNWRITABLE' });
    await expect(ensureOutDir(join(dir, 'f', 'x'))).rejects.toMatchObject({ code: 'E_OUT_UNWRITABLE' });
  });
  it('keeps a finished run unless forced, and with force removes only the run\'s own files', async () => {
    const out = join(dir, 'run');
    await ensureOutDir(out);
    for (const f of ['report.json', 'events.jsonl', 'notes.txt']) writeFileSync(join(out, f), f);
    await expect(claimRunDir(out, false)).rejects.toMatchObject({ code: 'E_OUT_EXISTS' });
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('report.json');
    await claimRunDir(out, true);
    expect([existsSync(join(out, 'report.json')), existsSync(join(out, 'events.jsonl')), existsSync(join(out, 'notes.txt'))]).toEqual([false, false, true]);
  });
  it('does not follow a symlink planted as events.jsonl', () => {
    const out = join(dir, 'shared');
    mkdirSync(out);
    writeFileSync(join(dir, 'victim'), 'untouched');
    symlinkSync(join(dir, 'victim'), join(out, 'events.jsonl'));
    expect(() => new EventLog(join(out, 'events.jsonl'))).toThrow(/ELOOP/);
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('untouched');
  });
});

describe('the lab\'s own kernel parameters', () => {
  const profile = ['console=ttyS0', 'panic=-1', 'memhp_default_state=online_movable', 'rdinit=/init', 'nokaslr'];
  it('a word that changes one is a conflict; one that adds a parameter, or repeats the lab\'s word, is not', () => {
    expect(cmdlineConflicts(profile, ['panic=0', 'iomem=relaxed', 'init=/bin/sh', 'console=tty0', 'nokaslr', 'panic=-1', 'lockdown=integrity'])).toEqual(['panic=0', 'init=/bin/sh', 'console=tty0']);
    expect(cmdlineConflicts(profile, [])).toEqual([]);
  });
});
