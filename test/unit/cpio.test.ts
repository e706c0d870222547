import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCpio, writeCpio, type CpioEntry } from '../../src/image/cpio.js';

const entries: CpioEntry[] = [
  { type: 'dir', path: 'bin' },
  { type: 'file', path: 'bin/hello', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  { type: 'file', path: 'odd', data: Buffer.from('abc') },
];

describe('writeCpio', () => {
  it('writes newc records that the system cpio unpacks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpio-test-'));
    try {
      writeFileSync(join(dir, 'a.cpio'), writeCpio(entries));
      const out = join(dir, 'out');
      execFileSync('sh', ['-c', `mkdir ${out} && cd ${out} && cpio -id --quiet < ../a.cpio`]);
      expect(readFileSync(join(out, 'bin/hello'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
      expect(statSync(join(out, 'bin/hello')).mode & 0o777).toBe(0o755);
      expect(readlinkSync(join(out, 'bin/sh'))).toBe('busybox');
      expect(readFileSync(join(out, 'odd'), 'utf8')).toBe('abc');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pads every record to 4 bytes and ends with the trailer', () => {
    const buf = writeCpio(entries);
    expect(buf.length % 4).toBe(0);
    expect(buf.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
    expect(readCpio(buf).map((e) => e.path)).toEqual(['bin', 'bin/hello', 'bin/sh', 'odd']);
  });

  it('is deterministic: same entries, same bytes (the image cache key)', () => {
    expect(writeCpio(entries).equals(writeCpio(entries))).toBe(true);
  });

  it('refuses paths that climb out of the archive', () => {
    expect(() => writeCpio([{ type: 'file', path: '../etc/passwd', data: Buffer.alloc(0) }])).toThrow(/bad cpio path/);
  });
});
