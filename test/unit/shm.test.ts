// ShmBackend against real sparse files on /dev/shm (tmpfs, the filesystem
// QEMU's memory-backend-file lives on in the lab).
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeError } from '../../src/native/native-error.js';
import { ShmBackend } from '../../src/shm/backend.js';

const PAGE = 4096;
const MiB = 1 << 20;
const SIZE = 16 * MiB;

let dir: string;
let sparse: string;

function writeAt(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

function makeFile(name: string, size: number): string {
  const path = join(dir, name);
  closeSync(openSync(path, 'w', 0o600));
  truncateSync(path, size);
  return path;
}

function expectCode(fn: () => unknown, code: string): unknown {
  try {
    fn();
  } catch (e) {
    expect((e as { code?: string }).code).toBe(code);
    return e;
  }
  throw new Error(`expected an error with code ${code}`);
}

beforeAll(() => {
  dir = mkdtempSync('/dev/shm/devmem-lab-shm-test-');
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  sparse = makeFile('backend', SIZE);
  writeAt(sparse, 3 * PAGE + 100, Buffer.from('A'));
  writeAt(sparse, 8 * MiB, Buffer.alloc(PAGE)); // populated, but all zeros
  writeAt(sparse, 12 * MiB + 5, Buffer.from('Zé'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ShmBackend', () => {
  it('reports the file size', () => {
    using b = ShmBackend.open(sparse);
    expect(b.size()).toBe(SIZE);
  });

  it('lists exactly the pages that were written as extents', () => {
    using b = ShmBackend.open(sparse);
    expect(b.extents()).toEqual([
      { offset: 3 * PAGE, length: PAGE },
      { offset: 8 * MiB, length: PAGE },
      { offset: 12 * MiB, length: PAGE },
    ]);
    expect(b.populatedBytes()).toBe(3 * PAGE);
  });

  it('clips extents to the requested range', () => {
    using b = ShmBackend.open(sparse);
    expect(b.extents(3 * PAGE + 100, 8 * MiB)).toEqual([
      { offset: 3 * PAGE + 100, length: PAGE - 100 },
      { offset: 8 * MiB, length: PAGE },
    ]);
    expect(b.extents(PAGE, PAGE)).toEqual([]);
    expect(b.extents(13 * MiB)).toEqual([]);
  });

  it('finds the first non-zero byte and skips zero-filled and hole pages', () => {
    using b = ShmBackend.open(sparse);
    expect(b.firstNonZero()).toBe(3 * PAGE + 100);
    expect(b.firstNonZero(3 * PAGE + 101)).toBe(12 * MiB + 5);
    expect(b.firstNonZero(4 * PAGE, 8 * MiB)).toBe(-1);
    expect(b.isZero(8 * MiB, PAGE)).toBe(true);
    expect(b.isZero(0, 3 * PAGE + 101)).toBe(false);
    expect(b.firstNonZero(12 * MiB + 8)).toBe(-1); // 'Zé' is 3 bytes
  });

  it('finds a lone non-zero byte wherever it sits in a populated zero run, chunk edges included', () => {
    // 4 MiB of written zeros: one extent, read in several chunks.
    const path = makeFile('lone.bin', 4 * MiB);
    writeAt(path, 0, new Uint8Array(4 * MiB));
    const KiB = 1024;
    for (const at of [0, 1, 63, 64, 4095, 256 * KiB - 1, 256 * KiB, 256 * KiB + 1, MiB - 1, MiB, 2 * MiB - 1, 2 * MiB, 3 * MiB + 7, 4 * MiB - 1]) {
      writeAt(path, at, new Uint8Array([0x80]));
      using b = ShmBackend.open(path);
      expect(b.firstNonZero()).toBe(at);
      expect(b.firstNonZero(at + 1)).toBe(-1);
      writeAt(path, at, new Uint8Array([0]));
    }
    using b = ShmBackend.open(path);
    expect(b.firstNonZero()).toBe(-1);
  });

  it('does not populate pages while scanning (no mapping is touched)', () => {
    using b = ShmBackend.open(sparse);
    const before = b.extents();
    b.firstNonZero();
    b.digest();
    b.read(0, 2 * MiB);
    expect(b.extents()).toEqual(before);
  });

  it('reads bytes, with holes reading as zeros', () => {
    using b = ShmBackend.open(sparse);
    const buf = b.read(12 * MiB, 8);
    expect([...buf]).toEqual([0, 0, 0, 0, 0, ...Buffer.from('Zé')]);
    expect(b.read(PAGE, 16).equals(Buffer.alloc(16))).toBe(true);
    expect(b.read(SIZE, 0).length).toBe(0);
  });

  it('digests with XXH64 (standard test vectors) and hashes holes as zeros', () => {
    const abc = makeFile('abc', 0);
    writeAt(abc, 0, Buffer.from('abc'));
    const phrase = makeFile('phrase', 0);
    writeAt(phrase, 0, Buffer.from('Nobody inspects the spammish repetition'));
    using a = ShmBackend.open(abc);
    using p = ShmBackend.open(phrase);
    expect(a.digest()).toBe('44bc2cf5ad770999');
    expect(a.digest(0, 0)).toBe('ef46db3751d8e999');
    expect(p.digest()).toBe('fbcea83c8a378bf1');

    // A written page of zeros and a hole hash the same; 3 MiB spans chunks.
    const holes = makeFile('holes', 4 * MiB);
    const zeros = makeFile('zeros', 4 * MiB);
    writeAt(zeros, MiB - 7, Buffer.alloc(2 * MiB));
    using h = ShmBackend.open(holes);
    using z = ShmBackend.open(zeros);
    expect(z.populatedBytes()).toBeGreaterThan(0);
    expect(z.digest(1, 3 * MiB)).toBe(h.digest(1, 3 * MiB));
    using s = ShmBackend.open(sparse);
    expect(s.digest(0, 3 * MiB)).not.toBe(h.digest(0, 3 * MiB));
  });

  it('writes through a writable handle only', () => {
    const path = makeFile('rw', 2 * PAGE);
    using ro = ShmBackend.open(path);
    expectCode(() => ro.write(0, Buffer.from('x')), 'E_SHM_READONLY');
    using rw = ShmBackend.open(path, { writable: true });
    expect(rw.write(PAGE + 1, Buffer.from('hello'))).toBe(5);
    expect(ro.read(PAGE + 1, 5).toString()).toBe('hello');
    expect(ro.firstNonZero()).toBe(PAGE + 1);
    expect(ro.extents()).toEqual([{ offset: PAGE, length: PAGE }]);
  });

  it('turns a failed open into a NativeError with code, errno and syscall', () => {
    const missing = join(dir, 'missing');
    const e = expectCode(() => ShmBackend.open(missing), 'ENOENT') as NativeError;
    expect(e).toBeInstanceOf(NativeError);
    expect(e.errno).toBe(-2);
    expect(e.syscall).toBe('open');
    expect(e.path).toBe(missing);

    const sub = join(dir, 'subdir');
    mkdirSync(sub);
    const d = expectCode(() => ShmBackend.open(sub, { writable: true }), 'EISDIR') as NativeError;
    expect(d.syscall).toBe('open');
  });

  it('reports a syscall failing after open the same way', () => {
    // A directory opens read-only (tmpfs gives it a non-zero size) but
    // pread on it fails: the error names the syscall that failed.
    using b = ShmBackend.open(dir);
    expect(b.size()).toBeGreaterThan(0);
    const e = expectCode(() => b.digest(0, 1), 'EISDIR') as NativeError;
    expect(e).toBeInstanceOf(NativeError);
    expect(e.syscall).toBe('pread');
    expect(e.errno).toBe(-21);
  });

  it('rejects ranges outside the file and use after close', () => {
    const b = ShmBackend.open(sparse);
    expectCode(() => b.read(SIZE - 1, 2), 'ERR_OUT_OF_RANGE');
    expectCode(() => b.firstNonZero(-1, 1), 'ERR_OUT_OF_RANGE');
    expectCode(() => b.digest(0.5, 1), 'ERR_OUT_OF_RANGE');
    b.close();
    b.close();
    expect(b.closed).toBe(true);
    expectCode(() => b.size(), 'E_SHM_CLOSED');
  });
});
