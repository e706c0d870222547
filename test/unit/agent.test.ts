// Builds the guest probe agent from the image recipe's sources and flags
// (src/image/agent.ts; -Wextra -Werror on top) and runs it against regular
// files standing in for /dev/mem (file offset = physical address). The
// host's /dev/mem is never opened.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FNV1A64_EMPTY,
  fnv1a64,
  formatHighmemLine,
  formatProbeLine,
  writePattern,
  type AgentAnswer,
} from '../../src/probe/agent-protocol.js';
import { parseAgentLine } from '../../src/probe/agent-answers.js';
import { formatLseekLine, parseLseekAnswer } from '../../src/probe/lseek.js';
import { AGENT_CFLAGS, agentFiles, agentSources } from '../../src/image/agent.js';
import { opDef } from '../../src/probe/ops/index.js';
import { PROBE_OPS } from '../../src/probe/types.js';
import { pkgPath } from '../../src/util/paths.js';

const SOURCES = agentSources();
const CFLAGS = [...AGENT_CFLAGS, '-Wextra', '-Werror'];

// Fault injection for highmem: a regular file cannot make pread fail with
// EFAULT, so this build wraps pread64 to behave like read_mem(): EFAULT when
// the last byte (off + n - 1, wrapping for n = 0 at 0) is at or above
// INJECT_EFAULT_FROM (valid_phys_addr_range), and EPERM below
// INJECT_EPERM_BELOW only when bytes are to be copied; logging each call.
const INJECT_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
ssize_t __real_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off);
static long long env(const char *name) {
  const char *s = getenv(name);
  return s ? strtoll(s, NULL, 0) : -1;
}
ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off) {
  long long efault = env("INJECT_EFAULT_FROM"), eperm = env("INJECT_EPERM_BELOW");
  fprintf(stderr, "inject: pread 0x%llx n=%zu\\n", (unsigned long long)off, n);
  unsigned long long last = (unsigned long long)off + n - 1;
  if (efault >= 0 && (last >= (unsigned long long)efault || (n == 0 && off == 0))) { errno = EFAULT; return -1; }
  if (n == 0) return 0;
  if (eperm >= 0 && off < eperm) { errno = EPERM; return -1; }
  return __real_pread64(fd, buf, n, off);
}
`;

let dir: string;
let agent: string;
let injected: string;
let device: string; // 3 pages: random, zeros, random
let contents: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'devmem-agent-'));
  agent = join(dir, 'agent');
  injected = join(dir, 'agent-inject');
  execFileSync('cc', [...CFLAGS, ...SOURCES, '-o', agent], { stdio: 'pipe' });
  writeFileSync(join(dir, 'inject.c'), INJECT_C);
  execFileSync(
    'cc',
    [...CFLAGS, ...SOURCES, join(dir, 'inject.c'), '-Wl,--wrap=pread64', '-o', injected],
    { stdio: 'pipe' },
  );
  contents = Buffer.alloc(3 * 4096);
  for (let i = 0; i < contents.length; i++) {
    contents[i] = i >= 4096 && i < 8192 ? 0 : (i * 2654435761) >>> 24;
  }
  device = join(dir, 'mem');
  writeFileSync(device, contents);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  answers: AgentAnswer[];
  stderr: string;
}

function run(
  args: string[],
  input: string[] | Buffer,
  opts: { bin?: string; env?: Record<string, string> } = {},
): Run {
  const r = spawnSync(opts.bin ?? agent, args, {
    input: Buffer.isBuffer(input) ? input : input.join('\n') + '\n',
    env: { ...process.env, ...opts.env },
    timeout: 20_000,
  });
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(0);
  const stdout = r.stdout.toString('utf8');
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe(''); // every answer ends with a newline
  return { answers: lines.map(parseAgentLine), stderr: r.stderr.toString('utf8') };
}

const one = (args: string[], line: string, opts?: Parameters<typeof run>[2]): AgentAnswer => {
  const { answers } = run(args, [line], opts);
  expect(answers).toHaveLength(1);
  return answers[0];
};

describe('agent read', () => {
  it('reports bytes, zero and the FNV-1a of what pread returned', () => {
    const { answers } = run(
      ['-d', device],
      ['1 read 0x0 4096', '2 read 0x1000 4096', '3 read 0x123 100', '4 read 0x0 12288'],
    );
    expect(answers).toEqual([
      {
        kind: 'probe',
        id: 1,
        op: 'read',
        addr: 0,
        len: 4096,
        observed: { result: 'ok', bytes: 4096, zero: false, fnv: fnv1a64(contents.subarray(0, 4096)) },
      },
      {
        kind: 'probe',
        id: 2,
        op: 'read',
        addr: 0x1000,
        len: 4096,
        observed: { result: 'ok', bytes: 4096, zero: true, fnv: fnv1a64(Buffer.alloc(4096)) },
      },
      expect.objectContaining({
        observed: { result: 'ok', bytes: 100, zero: false, fnv: fnv1a64(contents.subarray(0x123, 0x187)) },
      }),
      expect.objectContaining({
        observed: { result: 'ok', bytes: 12288, zero: false, fnv: fnv1a64(contents) },
      }),
    ]);
  });

  it('reports 0 bytes past EOF and the bytes got on a short read', () => {
    const { answers } = run(['-d', device], ['1 read 0x3000 4096', '2 read 0x2f00 4096']);
    expect(answers[0]).toMatchObject({
      observed: { result: 'ok', bytes: 0, zero: true, fnv: FNV1A64_EMPTY },
    });
    expect(answers[1]).toMatchObject({
      observed: { result: 'ok', bytes: 0x100, fnv: fnv1a64(contents.subarray(0x2f00)) },
    });
  });

  it('accepts the requests formatProbeLine writes, up to 1 MiB', () => {
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(1 << 20, 0xab));
    const specs = [
      { id: 40, op: 'read', addr: 0, len: 1 << 20, why: 't' },
      { id: 41, op: 'touch-shared', addr: 0x1000, len: 4096, why: 't' },
      { id: 42, op: 'mmap-private', addr: 0, len: 8192, why: 't' },
    ] as const;
    const { answers } = run(['-d', big], specs.map((s) => formatProbeLine({ ...s })));
    expect(answers.map((a) => a.kind === 'probe' && [a.id, a.op, a.addr, a.len])).toEqual(
      specs.map((s) => [s.id, s.op, s.addr, s.len]),
    );
    expect(answers[0]).toMatchObject({ observed: { bytes: 1 << 20, zero: false } });
  });
});

describe('agent write', () => {
  it('refuses writes without -w and leaves the device alone', () => {
    const file = join(dir, 'w-refused');
    writeFileSync(file, Buffer.alloc(8192));
    expect(one(['-d', file], '5 write 0x1000 64')).toEqual({
      kind: 'refused',
      id: 5,
      op: 'write',
      addr: 0x1000,
      len: 64,
      reason: expect.any(String),
    });
    expect(readFileSync(file).equals(Buffer.alloc(8192))).toBe(true);
  });

  it('with -w stores exactly writePattern(addr, len)', () => {
    const file = join(dir, 'w');
    const before = Buffer.alloc(8192, 0xee);
    writeFileSync(file, before);
    expect(one(['-w', '-d', file], '6 write 0x1008 64')).toMatchObject({
      kind: 'probe',
      observed: { result: 'ok', bytes: 64 },
    });
    const expected = Buffer.from(before);
    writePattern(0x1008, 64).copy(expected, 0x1008);
    expect(readFileSync(file).equals(expected)).toBe(true);
  });

  it('treats a write of partial words as malformed', () => {
    expect(one(['-w', '-d', device], '7 write 0x1004 8')).toMatchObject({ kind: 'error', id: 7 });
    expect(one(['-w', '-d', device], '8 write 0x1000 12')).toMatchObject({ kind: 'error', id: 8 });
  });
});

describe('agent O_SYNC mappings and /proc/self/mem writes of held mappings', () => {
  it('maps on an O_SYNC fd like mmap-*', () => {
    const { answers } = run(['-d', device], ['1 mmap-sync-shared 0x0 4096', '2 mmap-sync-private 0x1000 8192']);
    for (const a of answers) expect(a).toMatchObject({ kind: 'probe', observed: { result: 'ok' } });
  });

  it('refuses a /proc/self/mem write of a held mapping without -w', () => {
    const file = join(dir, 'pw-refused');
    writeFileSync(file, Buffer.alloc(4096, 0x11));
    const { answers } = run(['-d', file], ['1 hold-shared 0x0 4096', '2 held-procmem-write-shared 0x0 4096']);
    expect(answers[1]).toMatchObject({ kind: 'refused', id: 2, op: 'held-procmem-write-shared' });
    expect(readFileSync(file).equals(Buffer.alloc(4096, 0x11))).toBe(true);
  });

  it('with -w writes through /proc/self/mem and reports what the kernel said, never the file', () => {
    // A regular file's read-only mappings: GUP refuses a forced write to a
    // shared one (EIO) and copies a private one on write (the file keeps its bytes).
    const file = join(dir, 'pw');
    writeFileSync(file, Buffer.alloc(4096, 0x22));
    const { answers } = run(['-w', '-d', file], [
      '1 hold-shared 0x0 4096',
      '2 hold-private 0x0 4096',
      '3 held-procmem-write-shared 0x0 4096',
      '4 held-procmem-write-private 0x0 4096',
      '5 held-procmem-write-shared 0x1000 4096',
    ]);
    expect(answers[2]).toMatchObject({ observed: { result: 'errno', errno: 'EIO', syscall: 'pwrite' } });
    expect(answers[3]).toMatchObject({ observed: { result: 'ok', bytes: 4096 } });
    expect(answers[4]).toMatchObject({ observed: { result: 'errno', errno: 'ENOENT', syscall: 'hold' } });
    expect(readFileSync(file).equals(Buffer.alloc(4096, 0x22))).toBe(true);
  });
});

describe('agent mmap and touch', () => {
  it('maps and unmaps shared and private', () => {
    const { answers } = run(['-d', device], ['1 mmap-shared 0x0 4096', '2 mmap-private 0x1000 8192']);
    for (const a of answers) expect(a).toMatchObject({ kind: 'probe', observed: { result: 'ok' } });
  });

  it('treats a non-aligned mmap or touch as malformed', () => {
    const { answers } = run(['-d', device], ['9 mmap-shared 0x1001 4096', '10 touch-private 0x800 4096']);
    expect(answers).toEqual([
      { kind: 'error', id: 9, error: expect.any(String) },
      { kind: 'error', id: 10, error: expect.any(String) },
    ]);
  });

  it('reads the mapping like pread on a successful touch', () => {
    const { answers } = run(['-d', device], ['1 touch-shared 0x0 12288', '2 touch-private 0x1000 4096']);
    expect(answers[0]).toMatchObject({
      observed: { result: 'ok', bytes: 12288, zero: false, fnv: fnv1a64(contents) },
    });
    expect(answers[1]).toMatchObject({ observed: { result: 'ok', bytes: 4096, zero: true } });
  });

  it('catches SIGBUS BUS_ADRERR touching a mapping past the end of the file', () => {
    const file = join(dir, 'one-page');
    writeFileSync(file, Buffer.alloc(4096, 1));
    const { answers } = run(
      ['-d', file],
      ['11 touch-shared 0x0 8192', '12 touch-private 0x0 8192', '13 read 0x0 8'],
    );
    for (const [i, op] of (['touch-shared', 'touch-private'] as const).entries()) {
      expect(answers[i]).toEqual({
        kind: 'probe',
        id: 11 + i,
        op,
        addr: 0,
        len: 8192,
        observed: { result: 'signal', signal: 'SIGBUS', sigCode: 'BUS_ADRERR', bytes: 4096 },
      });
    }
    // The agent is still healthy after the faults.
    expect(answers[2]).toMatchObject({ id: 13, observed: { result: 'ok', bytes: 8 } });
  });
});

describe('agent ops and the host registry', () => {
  // kcore would read the host's own /proc/kcore: its answers are covered by the model tests.
  const ops = PROBE_OPS.filter((op) => op !== 'kcore');

  it('serves every op of PROBE_OPS, answering as its ProbeOpDef says', () => {
    // parseAgentLine checks each answer against the op's definition (fields, syscalls, refusal).
    const { answers } = run(['-d', join(dir, 'no-such-device')], ops.map((op, i) => `${i} ${op} 0x1000 4096`));
    expect(answers.map((a) => [a.kind, a.id, 'op' in a && a.op])).toEqual(
      ops.map((op, i) => [opDef(op)!.needsWrite ? 'refused' : 'probe', i, op]),
    );
  });

  it('calls a request malformed exactly when its ProbeOpDef says it is unaligned', () => {
    const { answers } = run(['-d', join(dir, 'no-such-device')], ops.map((op, i) => `${i} ${op} 0x1004 8`));
    expect(answers.map((a) => a.kind === 'error')).toEqual(ops.map((op) => opDef(op)!.align !== 'byte'));
    const words = run(['-d', join(dir, 'no-such-device')], ops.map((op, i) => `${i} ${op} 0x1000 12`));
    expect(words.answers.map((a) => a.kind === 'error')).toEqual(ops.map((op) => opDef(op)!.align === 'word'));
  });

  it('lists every op family file of guest-image/ops/ in ops/list.h', () => {
    const list = readFileSync(pkgPath('guest-image/ops/list.h'), 'utf8');
    const families = agentFiles().filter((f) => f.startsWith('guest-image/ops/') && f.endsWith('.c'));
    expect(families.length).toBeGreaterThan(0);
    for (const f of families) expect(list).toContain(`FAMILY(${f.slice('guest-image/ops/'.length, -2)})`);
  });
});

describe('agent open failures', () => {
  it('reports ENOENT from open for every probe needing the device', () => {
    const missing = join(dir, 'no-such-device');
    const { answers } = run(
      ['-w', '-d', missing],
      ['1 read 0x0 4096', '2 write 0x0 8', '3 mmap-shared 0x0 4096', '4 touch-private 0x0 4096'],
    );
    expect(answers).toHaveLength(4);
    for (const a of answers) {
      expect(a).toMatchObject({
        kind: 'probe',
        observed: { result: 'errno', errno: 'ENOENT', syscall: 'open' },
      });
    }
    expect(one(['-d', missing], formatHighmemLine(5, 0, 0x1000))).toMatchObject({
      kind: 'error',
      id: 5,
    });
  });
});

describe('agent highmem', () => {
  it('answers hi + 1 when no pread fails with EFAULT (EISDIR counts as below)', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    expect(one(['-d', sub], formatHighmemLine(1, 0x1000, 0x4000_0000))).toEqual({
      kind: 'highmem',
      id: 1,
      highmemEnd: 0x4000_0001,
    });
    // A regular file reads 0 bytes past EOF: also "below".
    expect(one(['-d', device], formatHighmemLine(2, 0, 0xfff))).toMatchObject({
      highmemEnd: 0x1000,
    });
  });

  it('finds the lowest EFAULT address in O(log n) one-byte preads (fault injection)', () => {
    const search = (lo: number, hi: number, env: Record<string, string>) => {
      const { answers, stderr } = run(['-d', device], [formatHighmemLine(1, lo, hi)], {
        bin: injected,
        env,
      });
      const calls = stderr.split('\n').filter((l) => l.startsWith('inject: pread'));
      // The search must never copy bytes: every test is a 0-byte pread.
      expect(calls.every((l) => l.endsWith(' n=0'))).toBe(true);
      return { answer: answers[0], preads: calls.length };
    };
    const big = search(0, 0x10_0000_0000, { INJECT_EFAULT_FROM: '0x3ff00000' });
    expect(big.answer).toEqual({ kind: 'highmem', id: 1, highmemEnd: 0x3ff0_0000 });
    expect(big.preads).toBeLessThanOrEqual(37); // ceil(log2(2^36 + 1))
    expect(search(0, 0x10000, { INJECT_EFAULT_FROM: '0x5000', INJECT_EPERM_BELOW: '0x1000' }).answer)
      .toMatchObject({ highmemEnd: 0x5000 });
    expect(search(0x2000, 0x8000, { INJECT_EFAULT_FROM: '0x0' }).answer).toMatchObject({
      highmemEnd: 0x2000,
    });
    expect(search(0x2000, 0x2000, { INJECT_EFAULT_FROM: '0x9000' }).answer).toMatchObject({
      highmemEnd: 0x2001,
    });
  });

  it('reports EFAULT from pread for a read past the injected end', () => {
    expect(
      one(['-d', device], '3 read 0x2000 16', { bin: injected, env: { INJECT_EFAULT_FROM: '0x2000' } }),
    ).toMatchObject({ observed: { result: 'errno', errno: 'EFAULT', syscall: 'pread' } });
  });
});

describe('agent input handling', () => {
  it('skips blanks and comments, answers malformed lines and carries on', () => {
    const { answers } = run(
      ['-d', device],
      [
        '',
        '   ',
        '# a comment',
        'x read 0x0 8',
        '99999999999999999999 read 0x0 8',
        '1 poke 0x0 8',
        '2 read 4096 8',
        '3 read 0x0',
        '4 read 0x0 8 extra',
        '5 read 0x10000000000001 8',
        '6 read 0x0 0',
        '7 read 0x0 1048577',
        '8 highmem 0x2000 0x1000',
        '9 read 0x-1 8',
        '10 read 0x0 8',
      ],
    );
    expect(answers.slice(0, 2)).toEqual([
      { kind: 'error', id: null, error: expect.any(String) },
      { kind: 'error', id: null, error: expect.any(String) },
    ]);
    expect(answers.slice(2, -1).map((a) => [a.kind, a.id])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => ['error', id]),
    );
    expect(answers.at(-1)).toMatchObject({ kind: 'probe', id: 10, observed: { result: 'ok' } });
  });

  it('survives binary garbage, printing only JSON lines', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16;
    const garbage = Buffer.from(Array.from({ length: 64 * 1024 }, () => rand() & 0xff));
    const input = Buffer.concat([garbage, Buffer.from('\n77 read 0x0 8\n')]);
    const { answers } = run(['-d', device], input);
    expect(answers.length).toBeGreaterThan(100);
    for (const a of answers.slice(0, -1)) expect(a.kind).toBe('error');
    expect(answers.at(-1)).toMatchObject({ id: 77, observed: { result: 'ok', bytes: 8 } });
  });

  it('exits 2 on a bad command line', () => {
    const r = spawnSync(agent, ['-x'], { input: '' });
    expect(r.status).toBe(2);
    expect(r.stdout.length).toBe(0);
  });
});

describe('agent lseek', () => {
  // On a regular file the VFS's generic_file_llseek() answers, not memory_lseek():
  // this checks the agent's protocol and its SEEK_SET to 0x1000 before each request.
  const lseek = (args: string[], lines: string[]) => {
    const r = spawnSync(agent, args, { input: lines.join('\n') + '\n', timeout: 20_000 });
    expect(r.status).toBe(0);
    return r.stdout.toString('utf8').trim().split('\n').map(parseLseekAnswer);
  };
  it('seeks from 0x1000 on a fresh fd and reports the position or the errno', () => {
    const [set, cur, bad] = lseek(['-d', device], [
      formatLseekLine({ id: 1, whence: 0, offset: 0x100000n }),
      formatLseekLine({ id: 2, whence: 1, offset: 0x10n }),
      formatLseekLine({ id: 3, whence: 7, offset: 0n }),
    ]);
    expect(set).toEqual({ id: 1, whence: 0, offset: 0x100000n, observed: { result: 'ok', pos: 0x100000n } });
    expect(cur.observed).toEqual({ result: 'ok', pos: 0x1010n });
    expect(bad.observed).toEqual({ result: 'errno', errno: 'EINVAL', syscall: 'lseek' });
  });
  it('names open when the device cannot be opened', () => {
    const [a] = lseek(['-d', join(dir, 'no-such-device')], [formatLseekLine({ id: 1, whence: 0, offset: 0n })]);
    expect(a.observed).toEqual({ result: 'errno', errno: 'ENOENT', syscall: 'open' });
  });
});
