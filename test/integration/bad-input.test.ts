// Bad and hostile input through the real CLI (bin/devmem-lab, the compiled
// dist/). Every case exits 2 (255 under `run --bisect`) with its error code
// and a hint; no QEMU starts; nothing it was given changes; nothing is
// created; and nothing is resolved, built or restored from the cache.
//
// How "nothing" is checked, for every case:
// - Each case runs in its own sandbox directory (also its working directory,
//   so a default ./lab-out would land there), which holds every file and
//   directory the case gives the CLI. The sandbox is snapshotted (type, mode,
//   owner, size, mtime and content hash of every entry, recursively) before
//   and after: the two must be equal. A created --out, a replaced report or a
//   file written through a planted symlink all change it.
// - DEVMEM_LAB_QEMU and DEVMEM_LAB_QEMU_ARM64 name a stand-in QEMU that
//   records its argv in a per-case log and exits 1 without booting anything,
//   so no case can boot a guest even if its refusal regresses; and while the
//   CLI runs, its descendants are sampled for any qemu-system process (in case
//   QEMU were started by another path). Another engineer's QEMU on this
//   machine is not the CLI's descendant and is not counted.
// - DEVMEM_LAB_CACHE is an empty directory of the case: it must still be
//   empty afterwards (no kernel resolved, no image built, no guest saved).
// Assertions are on exit codes and error codes, and on the bad value being
// named in the message, never on the message's wording.
//
// A few inputs can only be found bad by resolving them (a package that the
// archive lacks, a missing file, a missing tool): those record a failed run
// in a new --out, with the error code as its fault, and never touch an
// existing run (the last describe block).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_FILES } from '../../src/report/renderers.js';
import { pkgPath } from '../../src/util/paths.js';

const root = mkdtempSync(join(tmpdir(), 'devmem-lab-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FIXTURE_REPORT = readFileSync(new URL('../fixtures/reports/6.1-lifecycle.json', import.meta.url), 'utf8');
const NOBODY = 65534;

// The stand-in QEMU: records that it was started, boots nothing.
const fakeQemuDir = join(root, 'fake-qemu');
mkdirSync(fakeQemuDir);
for (const name of ['qemu-system-x86_64', 'qemu-system-aarch64']) {
  writeFileSync(join(fakeQemuDir, name), '#!/bin/sh\nprintf \'%s\\n\' "$0 $*" >> "$DEVMEM_LAB_TEST_QEMU_LOG"\nexit 1\n', { mode: 0o755 });
}

/** The qemu-system processes among `pid`'s descendants now (their command lines). */
function qemuDescendants(pid: number): string[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone already
    }
  }
  const found: string[] = [];
  const todo = [...(children.get(pid) ?? [])];
  while (todo.length) {
    const p = todo.pop()!;
    todo.push(...(children.get(p) ?? []));
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes('qemu-system')) found.push(cmd);
    } catch {
      // gone already
    }
  }
  return found;
}

interface CliResult {
  code: number | null;
  stderr: string;
  /** Every QEMU the CLI started: the stand-in's log and the qemu-system descendants seen. */
  qemu: string[];
  ms: number;
}

let runs = 0;
function cli(args: string[], opts: { cwd: string; env?: Record<string, string>; cache?: string }): Promise<CliResult> {
  const log = join(root, `qemu-log-${++runs}`);
  const env = {
    ...process.env,
    DEVMEM_LAB_QEMU: join(fakeQemuDir, 'qemu-system-x86_64'),
    DEVMEM_LAB_QEMU_ARM64: join(fakeQemuDir, 'qemu-system-aarch64'),
    DEVMEM_LAB_TEST_QEMU_LOG: log,
    ...(opts.cache ? { DEVMEM_LAB_CACHE: opts.cache } : {}),
    ...opts.env,
  };
  const t0 = Date.now();
  return new Promise((resolve) => {
    const seen = new Set<string>();
    const child = execFile(pkgPath('bin/devmem-lab'), args, { cwd: opts.cwd, env, timeout: 90_000 }, (err, _stdout, stderr) => {
      clearInterval(watch);
      const logged = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr, qemu: [...logged, ...seen], ms: Date.now() - t0 });
    });
    const watch = setInterval(() => {
      if (child.pid) for (const q of qemuDescendants(child.pid)) seen.add(q);
    }, 20);
  });
}

/** Every entry under `dir` (itself included): type, mode, owner, size, mtime, and content or link target. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    const meta = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs}`;
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(p)} ${meta}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${meta}`;
      for (const e of readdirSync(p).sort()) walk(join(rel, e));
    } else out[rel] = `file ${meta} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
  };
  walk('.');
  return out;
}

// Inputs a case puts in its sandbox.
const write = (p: string, body: unknown) => {
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
};
const boot = { name: 'boot', action: { kind: 'boot' } };
const scenarioWith = (d: string, name: string, steps: unknown[], extra: Record<string, unknown> = {}) =>
  write(join(d, `${name}.json`), { name, description: '', ...extra, steps: [boot, ...steps] });
/** A completed run's directory: every file a run writes. */
function finishedRun(d: string, name = 'finished'): string {
  const out = join(d, name);
  mkdirSync(out);
  write(join(out, 'report.json'), FIXTURE_REPORT);
  for (const f of RUN_FILES.filter((f) => f !== 'report.json')) write(join(out, f), `the finished run's ${f}\n`);
  return out;
}
const emptyReport = { schema: 'devmem-lab/report@1', status: 'failed', steps: [] };
const cutReport = '{"schema":"devmem-lab/report@1","status":"comp';
const profileWith = (d: string, change: (p: Record<string, unknown>) => void) => {
  const p = JSON.parse(readFileSync(pkgPath('qemu-config', 'default.json'), 'utf8'));
  change(p);
  return write(join(d, 'profile.json'), p);
};
/** A directory of another user, which a run must not write into. */
function othersDir(d: string): string {
  const o = join(d, 'others');
  mkdirSync(o);
  chmodSync(o, 0o777);
  chownSync(o, NOBODY, NOBODY);
  return o;
}
/** A planted symlink named `name` in an otherwise empty --out, pointing at a file of the sandbox. */
function planted(d: string, name: string): string {
  const out = join(d, 'shared');
  mkdirSync(out);
  write(join(d, 'victim'), 'must stay as it is\n');
  symlinkSync(join(d, 'victim'), join(out, name));
  return out;
}

interface Case {
  what: string;
  /** The arguments, given the case's sandbox directory `d` (set up by `setup`). */
  args: (d: string) => string[];
  setup?: (d: string) => void;
  env?: Record<string, string>;
  code: string;
  /** Words of the input the message must name (the bad value itself, not prose). */
  names?: string[];
}

// The "Seen" list of issue 15, and what went before it.
const SEEN: Case[] = [
  { what: 'a typo in --kernel (debain:) with --out a finished run', setup: (d) => finishedRun(d), args: (d) => ['run', '--kernel', 'debain:bookworm', '--out', join(d, 'finished')], code: 'E_KERNEL_SPEC', names: ['debain:bookworm'] },
  { what: 'a valid run into a directory that holds a run, without --force', setup: (d) => finishedRun(d), args: (d) => ['run', '--out', join(d, 'finished')], code: 'E_OUT_EXISTS' },
  { what: 'run --out two levels into /proc (used to hang)', args: () => ['run', '--out', '/proc/devmem-lab-x/y'], code: 'E_OUT_UNWRITABLE', names: ['/proc/devmem-lab-x/y'] },
  { what: 'matrix --out two levels into /proc (used to hang)', args: () => ['matrix', '--kernels', 'debian:bookworm', '--out', '/proc/devmem-lab-x/y'], code: 'E_OUT_UNWRITABLE', names: ['/proc/devmem-lab-x/y'] },
  { what: 'run --out one level into /proc', args: () => ['run', '--out', '/proc/devmem-lab-out'], code: 'E_OUT_UNWRITABLE' },
  { what: "run --out ''", args: () => ['run', '--out', ''], code: 'E_USAGE', names: ['--out'] },
  { what: 'matrix --scenarios lifecycle,nosuch --jobs 1 (used to boot lifecycle first)', args: (d) => ['matrix', '--kernels', 'debian:bookworm', '--scenarios', 'lifecycle,nosuch', '--jobs', '1', '--out', join(d, 'm')], code: 'E_SCENARIO', names: ['nosuch'] },
  { what: 'matrix --scenarios nosuch (used to resolve kernels and build images first)', args: (d) => ['matrix', '--scenarios', 'nosuch', '--out', join(d, 'm')], code: 'E_SCENARIO', names: ['nosuch'] },
  { what: 'an unknown --accel (exited 2 under --bisect)', args: (d) => ['run', '--accel', 'bogus', '--out', join(d, 'o')], code: 'E_USAGE', names: ['bogus'] },
  { what: 'an unknown scenario (exited 2 under --bisect)', args: (d) => ['run', '--scenario', 'nosuch', '--out', join(d, 'o')], code: 'E_SCENARIO', names: ['nosuch'] },
  { what: 'an unknown option (exited 2 under --bisect)', args: (d) => ['run', '--frobnicate', '--out', join(d, 'o')], code: 'E_USAGE', names: ['--frobnicate'] },
  { what: 'compare of a real report and a report with no steps (said "no differences")', setup: (d) => { write(join(d, 'real.json'), FIXTURE_REPORT); write(join(d, 'empty.json'), emptyReport); }, args: (d) => ['compare', join(d, 'real.json'), join(d, 'empty.json')], code: 'E_NO_REPORT', names: ['empty.json'] },
  { what: 'compare of two reports with no steps', setup: (d) => { write(join(d, 'a.json'), emptyReport); write(join(d, 'b.json'), emptyReport); }, args: (d) => ['compare', join(d, 'a.json'), join(d, 'b.json')], code: 'E_NO_REPORT' },
  { what: 'compare of a truncated report.json (a stack)', setup: (d) => { write(join(d, 'cut.json'), cutReport); write(join(d, 'real.json'), FIXTURE_REPORT); }, args: (d) => ['compare', join(d, 'cut.json'), join(d, 'real.json')], code: 'E_NO_REPORT', names: ['cut.json'] },
  { what: 'compare of /dev/null', args: () => ['compare', '/dev/null', '/dev/null'], code: 'E_NO_REPORT', names: ['/dev/null'] },
  { what: 'report of a truncated report.json with no events.jsonl to rebuild from (kept as it is)', setup: (d) => { mkdirSync(join(d, 'cut')); write(join(d, 'cut', 'report.json'), cutReport); }, args: (d) => ['report', join(d, 'cut')], code: 'E_NO_REPORT' },
  { what: 'run --out a file (an ENOTDIR stack)', setup: (d) => write(join(d, 'a-file'), 'not a directory'), args: (d) => ['run', '--out', join(d, 'a-file')], code: 'E_OUT_UNWRITABLE', names: ['a-file'] },
  { what: 'run --out under a file', setup: (d) => write(join(d, 'a-file'), 'not a directory'), args: (d) => ['run', '--out', join(d, 'a-file', 'o')], code: 'E_OUT_UNWRITABLE' },
  { what: 'report --junit into a missing directory (a stack)', setup: (d) => finishedRun(d), args: (d) => ['report', join(d, 'finished'), '--junit', join(d, 'no-such-dir', 'j.xml')], code: 'E_OUT_UNWRITABLE', names: ['j.xml'] },
  { what: 'a symlink named events.jsonl planted in an existing --out (a stack, exit 3)', setup: (d) => planted(d, 'events.jsonl'), args: (d) => ['run', '--out', join(d, 'shared')], code: 'E_OUT_UNWRITABLE', names: ['events.jsonl'] },
  { what: 'a symlink named console.log planted in an existing --out', setup: (d) => planted(d, 'console.log'), args: (d) => ['run', '--out', join(d, 'shared')], code: 'E_OUT_UNWRITABLE', names: ['console.log'] },
  { what: 'a symlink named console.log planted in an existing --out, with --force', setup: (d) => planted(d, 'console.log'), args: (d) => ['run', '--force', '--out', join(d, 'shared')], code: 'E_OUT_UNWRITABLE', names: ['console.log'] },
  { what: 'run --out a directory of another user', setup: othersDir, args: (d) => ['run', '--out', join(d, 'others')], code: 'E_OUT_UNWRITABLE', names: [String(NOBODY)] },
  { what: 'matrix --out a directory of another user', setup: othersDir, args: (d) => ['matrix', '--kernels', 'debian:bookworm', '--out', join(d, 'others')], code: 'E_OUT_UNWRITABLE', names: [String(NOBODY)] },
  { what: 'explore --out a directory of another user', setup: othersDir, args: (d) => ['explore', '--out', join(d, 'others')], code: 'E_OUT_UNWRITABLE', names: [String(NOBODY)] },
  { what: "--cmdline panic=0 (overrode the lab's panic=-1)", args: (d) => ['run', '--cmdline', 'panic=0', '--out', join(d, 'o')], code: 'E_CMDLINE_OWNED', names: ['panic=0'] },
  { what: "--cmdline rdinit=/bin/sh (bypassed the lab's init)", args: (d) => ['run', '--cmdline', 'rdinit=/bin/sh', '--out', join(d, 'o')], code: 'E_CMDLINE_OWNED', names: ['rdinit=/bin/sh'] },
  { what: '--cmdline init=/bin/sh', args: (d) => ['run', '--cmdline', 'init=/bin/sh', '--out', join(d, 'o')], code: 'E_CMDLINE_OWNED', names: ['init=/bin/sh'] },
  { what: "a scenario file whose cmdline has panic=0", setup: (d) => scenarioWith(d, 'sc-panic', [], { cmdline: ['panic=0'] }), args: (d) => ['run', '--scenario', join(d, 'sc-panic.json'), '--out', join(d, 'o')], code: 'E_CMDLINE_OWNED', names: ['panic=0'] },
  { what: 'a profile whose machine string injects a QEMU property (x-foo=1)', setup: (d) => profileWith(d, (p) => (p.machine = 'q35,x-foo=1')), args: (d) => ['run', '--profile', join(d, 'profile.json'), '--out', join(d, 'o')], code: 'E_PROFILE', names: ['machine'] },
  { what: "a profile whose virtio-mem id injects a QEMU property", setup: (d) => profileWith(d, (p) => ((p.virtioMem as Record<string, unknown>).id = 'vm0,x-foo=1')), args: (d) => ['run', '--profile', join(d, 'profile.json'), '--out', join(d, 'o')], code: 'E_PROFILE', names: ['virtioMem.id'] },
  { what: 'an unaligned hold address (reached QEMU)', setup: (d) => scenarioWith(d, 'unaligned', [{ name: 'h', action: { kind: 'hold', mappings: [{ name: 'm', target: { addr: '0x100001' } }] } }]), args: (d) => ['run', '--scenario', join(d, 'unaligned.json'), '--out', join(d, 'o')], code: 'E_SCENARIO', names: ['mappings.0.target'] },
];

// What went before the issue, kept.
const EARLIER: Case[] = [
  { what: 'an unknown command', args: () => ['frobnicate'], code: 'E_USAGE', names: ['frobnicate'] },
  { what: 'a non-kernel --kernel', args: (d) => ['run', '--kernel', 'bzImage-from-somewhere', '--out', join(d, 'o')], code: 'E_KERNEL_SPEC', names: ['bzImage-from-somewhere'] },
  { what: 'a malformed scenario file', setup: (d) => write(join(d, 'bad-json.json'), '{"name":'), args: (d) => ['run', '--scenario', join(d, 'bad-json.json'), '--out', join(d, 'o')], code: 'E_SCENARIO', names: ['bad-json.json'] },
  { what: 'a scenario file with an unknown action kind', setup: (d) => scenarioWith(d, 'bad-kind', [{ name: 'y', action: { kind: 'reboot' } }]), args: (d) => ['run', '--scenario', join(d, 'bad-kind.json'), '--out', join(d, 'o')], code: 'E_SCENARIO', names: ['steps.1.action'] },
  { what: 'a resize that is not a multiple of the block size', setup: (d) => scenarioWith(d, 'odd', [{ name: 'y', action: { kind: 'resize', sizeMiB: 3 } }]), args: (d) => ['run', '--scenario', join(d, 'odd.json'), '--out', join(d, 'o')], code: 'E_SCENARIO_SIZE' },
  { what: 'a resize beyond the device', setup: (d) => scenarioWith(d, 'big', [{ name: 'y', action: { kind: 'resize', sizeMiB: 4096 } }]), args: (d) => ['run', '--scenario', join(d, 'big.json'), '--out', join(d, 'o')], code: 'E_SCENARIO_SIZE', names: ['4096'] },
  { what: 'run --repeat 0', args: (d) => ['run', '--repeat', '0', '--out', join(d, 'o')], code: 'E_USAGE', names: ['--repeat 0'] },
  { what: 'run --repeat-boots without --repeat', args: (d) => ['run', '--repeat-boots', '--out', join(d, 'o')], code: 'E_USAGE', names: ['--repeat-boots'] },
  { what: 'matrix --repeat three', args: (d) => ['matrix', '--kernels', 'debian:bookworm', '--repeat', 'three', '--out', join(d, 'm')], code: 'E_USAGE', names: ['three'] },
  { what: 'a lab file with a misspelt field and jobs 0 (both named)', setup: (d) => write(join(d, 'lab.json'), { kernels: ['debian:bookworm'], out: 'm', jobs: 0, scenario: ['lifecycle'] }), args: (d) => ['matrix', '--lab', join(d, 'lab.json')], code: 'E_LAB_FILE', names: ['jobs', '"scenario"'] },
  { what: 'a lab file that is not there', args: (d) => ['matrix', '--lab', join(d, 'no-such-lab.json')], code: 'E_LAB_FILE', names: ['no-such-lab.json'] },
];

// Beyond the list: every command and option.
const MORE: Case[] = [
  { what: 'run --repeat 101', args: (d) => ['run', '--repeat', '101', '--out', join(d, 'o')], code: 'E_USAGE', names: ['101'] },
  { what: 'run with a positional argument', args: () => ['run', 'lifecycle'], code: 'E_USAGE', names: ['lifecycle'] },
  { what: 'run --arch riscv', args: (d) => ['run', '--arch', 'riscv', '--out', join(d, 'o')], code: 'E_USAGE', names: ['riscv'] },
  { what: 'run --arch arm64 --scenario pat-rebind (an x86_64-only profile)', args: (d) => ['run', '--arch', 'arm64', '--scenario', 'pat-rebind', '--out', join(d, 'o')], code: 'E_PROFILE', names: ['pat-rebind', 'arm64'] },
  { what: 'run --arch arm64 --kernel build:linux-source-6.1 (build: is x86_64 only; wrote a failed run into --out)', args: (d) => ['run', '--arch', 'arm64', '--kernel', 'build:linux-source-6.1', '--out', join(d, 'o')], code: 'E_USAGE', names: ['build:', 'arm64'] },
  { what: 'run --profile arm64 --kernel build:linux-source-6.1', args: (d) => ['run', '--profile', 'arm64', '--kernel', 'build:linux-source-6.1', '--out', join(d, 'o')], code: 'E_USAGE', names: ['build:', 'arm64'] },
  { what: 'run --kernel debian:bookworm --modules DIR (path: only; wrote a failed run into --out)', args: (d) => ['run', '--kernel', 'debian:bookworm', '--modules', d, '--out', join(d, 'o')], code: 'E_USAGE', names: ['--modules', 'debian:'] },
  { what: 'run --kernel debian:bookworm --config-fragment FILE (build: only)', setup: (d) => write(join(d, 'frag'), 'CONFIG_X=y\n'), args: (d) => ['run', '--kernel', 'debian:bookworm', '--config-fragment', join(d, 'frag'), '--out', join(d, 'o')], code: 'E_USAGE', names: ['--config-fragment', 'debian:'] },
  { what: "run --kernel 'debian:' (nothing after the colon)", args: (d) => ['run', '--kernel', 'debian:', '--out', join(d, 'o')], code: 'E_KERNEL_SPEC', names: ['debian:'] },
  { what: 'run --kernel build:linux-source-6.1+FOO (an option with no value)', args: (d) => ['run', '--kernel', 'build:linux-source-6.1+FOO', '--out', join(d, 'o')], code: 'E_KERNEL_SPEC', names: ['FOO'] },
  { what: 'run --profile nosuch', args: (d) => ['run', '--profile', 'nosuch', '--out', join(d, 'o')], code: 'E_PROFILE', names: ['nosuch'] },
  { what: 'run --cmdline console=tty0', args: (d) => ['run', '--cmdline', 'console=tty0', '--out', join(d, 'o')], code: 'E_CMDLINE_OWNED', names: ['console=tty0'] },
  { what: 'run --cmdline memhp_default_state=offline', args: (d) => ['run', '--cmdline', 'memhp_default_state=offline', '--out', join(d, 'o')], code: 'E_CMDLINE_OWNED', names: ['memhp_default_state=offline'] },
  { what: 'matrix --jobs 0', args: (d) => ['matrix', '--jobs', '0', '--out', join(d, 'm')], code: 'E_USAGE', names: ['--jobs 0'] },
  { what: 'matrix --shard 3/2', args: (d) => ['matrix', '--shard', '3/2', '--out', join(d, 'm')], code: 'E_SHARD', names: ['3/2'] },
  { what: 'matrix --accel warp', args: (d) => ['matrix', '--accel', 'warp', '--out', join(d, 'm')], code: 'E_USAGE', names: ['warp'] },
  { what: 'matrix --arches riscv', args: (d) => ['matrix', '--arches', 'riscv', '--out', join(d, 'm')], code: 'E_USAGE', names: ['riscv'] },
  { what: "matrix --kernels ''", args: (d) => ['matrix', '--kernels', '', '--out', join(d, 'm')], code: 'E_MATRIX' },
  { what: 'matrix --kernels debain:bookworm', args: (d) => ['matrix', '--kernels', 'debain:bookworm', '--out', join(d, 'm')], code: 'E_KERNEL_SPEC', names: ['debain:bookworm'] },
  { what: 'matrix --cmdlines panic=0', args: (d) => ['matrix', '--cmdlines', 'panic=0', '--out', join(d, 'm')], code: 'E_CMDLINE_OWNED', names: ['panic=0'] },
  { what: 'matrix --arches x86_64,arm64 with a build: kernel (created --out first)', args: (d) => ['matrix', '--arches', 'x86_64,arm64', '--kernels', 'debian:bookworm,build:linux-source-6.1', '--out', join(d, 'm')], code: 'E_USAGE', names: ['build:', 'arm64'] },
  { what: 'matrix --repeat-boots without --repeat (ran the matrix)', args: (d) => ['matrix', '--repeat-boots', '--out', join(d, 'm')], code: 'E_USAGE', names: ['--repeat-boots'] },
  { what: 'matrix with no --out', args: () => ['matrix', '--kernels', 'debian:bookworm'], code: 'E_USAGE', names: ['--out'] },
  { what: "matrix --out ''", args: () => ['matrix', '--out', ''], code: 'E_USAGE', names: ['--out'] },
  { what: 'matrix --out a file', setup: (d) => write(join(d, 'a-file'), 'x'), args: (d) => ['matrix', '--kernels', 'debian:bookworm', '--out', join(d, 'a-file')], code: 'E_OUT_UNWRITABLE', names: ['a-file'] },
  { what: 'matrix --lab FILE with another option', setup: (d) => write(join(d, 'lab.json'), { kernels: ['debian:bookworm'], out: 'm' }), args: (d) => ['matrix', '--lab', join(d, 'lab.json'), '--jobs', '2'], code: 'E_USAGE', names: ['--lab'] },
  { what: 'a lab file with arches ["riscv64"]', setup: (d) => write(join(d, 'lab.json'), { kernels: ['debian:bookworm'], out: 'm', arches: ['riscv64'] }), args: (d) => ['matrix', '--lab', join(d, 'lab.json')], code: 'E_LAB_FILE', names: ['arches'] },
  { what: 'a lab file with repeatBoots and no repeats (ran the matrix)', setup: (d) => write(join(d, 'lab.json'), { kernels: ['debian:bookworm'], out: 'm', repeatBoots: true }), args: (d) => ['matrix', '--lab', join(d, 'lab.json')], code: 'E_USAGE', names: ['--repeat-boots'] },
  { what: 'a lab file that is not JSON', setup: (d) => write(join(d, 'lab.json'), '{kernels:'), args: (d) => ['matrix', '--lab', join(d, 'lab.json')], code: 'E_LAB_FILE', names: ['lab.json'] },
  { what: 'merge with nothing', args: () => ['merge'], code: 'E_USAGE' },
  { what: 'merge --out DIR with no shard directory', args: (d) => ['merge', '--out', join(d, 'merged')], code: 'E_USAGE' },
  { what: 'merge of a directory with no matrix.json', setup: (d) => finishedRun(d), args: (d) => ['merge', '--out', join(d, 'merged'), join(d, 'finished')], code: 'E_MERGE', names: ['finished'] },
  { what: 'merge --frobnicate', args: (d) => ['merge', '--frobnicate', '--out', join(d, 'merged'), d], code: 'E_USAGE', names: ['--frobnicate'] },
  { what: 'explore --budget 0s', args: (d) => ['explore', '--budget', '0s', '--out', join(d, 'e')], code: 'E_USAGE', names: ['0s'] },
  { what: 'explore --budget 10 (no unit)', args: (d) => ['explore', '--budget', '10', '--out', join(d, 'e')], code: 'E_USAGE', names: ['10'] },
  { what: 'explore --shrink-budget 1d', args: (d) => ['explore', '--shrink-budget', '1d', '--out', join(d, 'e')], code: 'E_USAGE', names: ['1d'] },
  { what: 'explore --max-steps abc', args: (d) => ['explore', '--max-steps', 'abc', '--out', join(d, 'e')], code: 'E_USAGE', names: ['abc'] },
  { what: 'explore --max-steps 0', args: (d) => ['explore', '--max-steps', '0', '--out', join(d, 'e')], code: 'E_USAGE', names: ['--max-steps'] },
  { what: 'explore --runs 5 --budget 1m', args: (d) => ['explore', '--runs', '5', '--budget', '1m', '--out', join(d, 'e')], code: 'E_USAGE', names: ['--runs', '--budget'] },
  { what: 'explore --runs 0', args: (d) => ['explore', '--runs', '0', '--out', join(d, 'e')], code: 'E_USAGE', names: ['--runs'] },
  { what: 'explore --seed=-1', args: (d) => ['explore', '--seed=-1', '--out', join(d, 'e')], code: 'E_USAGE', names: ['-1'] },
  { what: 'explore --accel warp', args: (d) => ['explore', '--accel', 'warp', '--out', join(d, 'e')], code: 'E_USAGE', names: ['warp'] },
  { what: 'explore --kernel debain:bookworm', args: (d) => ['explore', '--kernel', 'debain:bookworm', '--out', join(d, 'e')], code: 'E_KERNEL_SPEC', names: ['debain:bookworm'] },
  { what: 'explore --profile nosuch', args: (d) => ['explore', '--profile', 'nosuch', '--out', join(d, 'e')], code: 'E_PROFILE', names: ['nosuch'] },
  { what: 'explore --cmdline panic=0', args: (d) => ['explore', '--cmdline', 'panic=0', '--out', join(d, 'e')], code: 'E_CMDLINE_OWNED', names: ['panic=0'] },
  { what: 'explore --arch arm64 --kernel build:linux-source-6.1 (ran 20 failing sequences, exit 3)', args: (d) => ['explore', '--arch', 'arm64', '--kernel', 'build:linux-source-6.1', '--out', join(d, 'e')], code: 'E_USAGE', names: ['build:', 'arm64'] },
  // A regression here would explore into the working directory: its explore.json stops that at once.
  { what: "explore --out '' (explored into the working directory)", setup: (d) => write(join(d, 'explore.json'), '{}'), args: () => ['explore', '--out', ''], code: 'E_USAGE', names: ['--out'] },
  { what: 'explore --out a file', setup: (d) => write(join(d, 'a-file'), 'x'), args: (d) => ['explore', '--out', join(d, 'a-file')], code: 'E_OUT_UNWRITABLE', names: ['a-file'] },
  { what: 'explore --out an exploration, without --force', setup: (d) => { mkdirSync(join(d, 'e')); write(join(d, 'e', 'explore.json'), '{"sequences":[]}'); }, args: (d) => ['explore', '--out', join(d, 'e')], code: 'E_OUT_EXISTS' },
  { what: 'report with no directory', args: () => ['report'], code: 'E_USAGE' },
  { what: 'report of two directories', setup: (d) => finishedRun(d), args: (d) => ['report', join(d, 'finished'), join(d, 'finished')], code: 'E_USAGE' },
  { what: 'report of a directory with no report', setup: (d) => mkdirSync(join(d, 'empty')), args: (d) => ['report', join(d, 'empty')], code: 'E_NO_REPORT', names: ['empty'] },
  { what: 'report --html onto a directory (left a temporary file beside it)', setup: (d) => finishedRun(d), args: (d) => ['report', join(d, 'finished'), '--html', join(d, 'finished')], code: 'E_OUT_UNWRITABLE', names: ['--html'] },
  { what: 'report --ktap under /proc', setup: (d) => finishedRun(d), args: (d) => ['report', join(d, 'finished'), '--ktap', '/proc/devmem-lab-x/k.txt'], code: 'E_OUT_UNWRITABLE', names: ['--ktap'] },
  { what: 'report --junit into a writable place and --html into a missing directory (wrote the JUnit first)', setup: (d) => finishedRun(d), args: (d) => ['report', join(d, 'finished'), '--junit', join(d, 'j.xml'), '--html', join(d, 'no-such-dir', 'r.html')], code: 'E_OUT_UNWRITABLE', names: ['r.html'] },
  { what: "report --junit ''", setup: (d) => finishedRun(d), args: (d) => ['report', join(d, 'finished'), '--junit', ''], code: 'E_OUT_UNWRITABLE', names: ['--junit'] },
  { what: 'report --pdf (no such renderer)', setup: (d) => finishedRun(d), args: (d) => ['report', join(d, 'finished'), '--pdf', join(d, 'r.pdf')], code: 'E_USAGE', names: ['--pdf'] },
  { what: 'compare of one report', setup: (d) => write(join(d, 'real.json'), FIXTURE_REPORT), args: (d) => ['compare', join(d, 'real.json')], code: 'E_USAGE' },
  { what: 'compare of three reports', setup: (d) => write(join(d, 'real.json'), FIXTURE_REPORT), args: (d) => ['compare', join(d, 'real.json'), join(d, 'real.json'), join(d, 'real.json')], code: 'E_USAGE' },
  { what: 'compare --frob', setup: (d) => write(join(d, 'real.json'), FIXTURE_REPORT), args: (d) => ['compare', '--frob', join(d, 'real.json'), join(d, 'real.json')], code: 'E_USAGE', names: ['--frob'] },
  { what: 'compare of a missing file', setup: (d) => write(join(d, 'real.json'), FIXTURE_REPORT), args: (d) => ['compare', join(d, 'real.json'), join(d, 'nope.json')], code: 'E_NO_REPORT', names: ['nope.json'] },
  { what: 'compare of a JSON file that is not a report', setup: (d) => { write(join(d, 'real.json'), FIXTURE_REPORT); write(join(d, 'other.json'), { schema: 'something-else', steps: [] }); }, args: (d) => ['compare', join(d, 'real.json'), join(d, 'other.json')], code: 'E_NO_REPORT', names: ['other.json'] },
  { what: 'compare of a run directory whose report is cut short and has no events', setup: (d) => { write(join(d, 'real.json'), FIXTURE_REPORT); mkdirSync(join(d, 'cut')); write(join(d, 'cut', 'report.json'), cutReport); }, args: (d) => ['compare', join(d, 'real.json'), join(d, 'cut')], code: 'E_NO_REPORT' },
  { what: 'bundle of a missing directory', args: (d) => ['bundle', join(d, 'nope')], code: 'E_USAGE' },
  { what: 'bundle of a file', setup: (d) => write(join(d, 'a-file'), 'x'), args: (d) => ['bundle', join(d, 'a-file')], code: 'E_USAGE' },
  { what: 'bundle --out into a missing directory (a stack, exit 3)', setup: (d) => finishedRun(d), args: (d) => ['bundle', join(d, 'finished'), '--out', join(d, 'no-such-dir', 'b.tar.gz')], code: 'E_OUT_UNWRITABLE', names: ['b.tar.gz'] },
  { what: 'bundle --out under /proc (a stack, exit 3)', setup: (d) => finishedRun(d), args: (d) => ['bundle', join(d, 'finished'), '--out', '/proc/devmem-lab-x/b.tar.gz'], code: 'E_OUT_UNWRITABLE' },
  { what: 'bundle --out onto a directory', setup: (d) => finishedRun(d), args: (d) => ['bundle', join(d, 'finished'), '--out', join(d, 'finished')], code: 'E_OUT_UNWRITABLE' },
  { what: "bundle --out '' (wrote DIR.tar.gz)", setup: (d) => finishedRun(d), args: (d) => ['bundle', join(d, 'finished'), '--out', ''], code: 'E_USAGE', names: ['--out'] },
];

const CASES = [...SEEN, ...EARLIER, ...MORE];

/** Runs a case in a fresh sandbox; asserts everything but the exit code, which it returns. */
async function refused(c: Case, args: (d: string) => string[] = c.args): Promise<number | null> {
  const d = mkdtempSync(join(root, 'case-'));
  const cache = mkdtempSync(join(root, 'cache-'));
  c.setup?.(d);
  const before = snapshot(d);
  const r = await cli(args(d), { cwd: d, env: c.env, cache });
  // Its error code, with a message and a hint, and no stack.
  expect(r.stderr, r.stderr).toMatch(new RegExp(`^devmem-lab \\[${c.code}\\]: [^]+?\\nhint: .+`, 'm'));
  expect(r.stderr).not.toMatch(/unexpected error|^\s+at /m);
  const line = r.stderr.split('\n').find((l) => l.startsWith(`devmem-lab [${c.code}]`))!;
  for (const n of c.names ?? []) expect(r.stderr, `the message names ${n}: ${line}`).toContain(n);
  // No QEMU, nothing changed or created, nothing resolved or built.
  expect(r.qemu, 'QEMU processes the command started').toEqual([]);
  expect(snapshot(d), 'the files it was given, and nothing created').toEqual(before);
  expect(readdirSync(cache), 'the cache (kernels, images, saved guests)').toEqual([]);
  expect(r.ms, 'answered at once').toBeLessThan(60_000);
  return r.code;
}

describe('bad input exits 2 with its error code, starts no QEMU, and changes and creates nothing', () => {
  it.each(CASES.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
    expect(await refused(c)).toBe(2);
  }, 120_000);
});

describe('under run --bisect, bad input stops the bisection (255): it is not "bad" (1) nor "skip" (125)', () => {
  const runCases = CASES.filter((c) => c.args('/d')[0] === 'run');
  it('covers every run case', () => expect(runCases.length).toBeGreaterThan(30));
  it.each(runCases.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
    expect(await refused(c, (d) => ['run', '--bisect', ...c.args(d).slice(1)])).toBe(255);
  }, 120_000);
});

// Found bad only by resolving them (the archive, the file system, the tools):
// a new --out records the failed run, its fault the error code; an existing
// run is never touched, and nothing boots.
const RESOLVED: Case[] = [
  { what: 'a kernel package that does not exist', args: (d) => ['run', '--kernel', 'debian:linux-image-0.0.0-0-amd64-unsigned', '--out', join(d, 'o')], code: 'E_KERNEL_NOT_FOUND', names: ['linux-image-0.0.0-0-amd64-unsigned'] },
  { what: '--kernel debian:nosuchsuite', args: (d) => ['run', '--kernel', 'debian:nosuchsuite', '--out', join(d, 'o')], code: 'E_KERNEL_SUITE', names: ['nosuchsuite'] },
  { what: '--kernel path: of a missing bzImage', args: (d) => ['run', '--kernel', `path:${join(d, 'no-bzImage')}`, '--out', join(d, 'o')], code: 'E_KERNEL_FILE', names: ['no-bzImage'] },
  { what: '--kernel tree: of a missing tree', args: (d) => ['run', '--kernel', `tree:${join(d, 'no-tree')}`, '--out', join(d, 'o')], code: 'E_KERNEL_FILE', names: ['no-tree'] },
  { what: 'QEMU missing', args: (d) => ['run', '--out', join(d, 'o')], env: { DEVMEM_LAB_QEMU: '/nonexistent/qemu-system-x86_64' }, code: 'E_TOOL_MISSING', names: ['/nonexistent/qemu-system-x86_64'] },
  { what: 'busybox missing', args: (d) => ['run', '--out', join(d, 'o')], env: { DEVMEM_LAB_BUSYBOX: '/nonexistent/busybox' }, code: 'E_TOOL_MISSING', names: ['/nonexistent/busybox'] },
];

describe('input found bad only once resolved: a failed run in a new --out, an existing run untouched', () => {
  it.each(RESOLVED.map((c) => [c.what, c] as const))('%s', async (_what, c) => {
    for (const bisect of [false, true]) {
      const d = mkdtempSync(join(root, 'case-'));
      const before = snapshot(d);
      const args = c.args(d);
      const r = await cli(bisect ? ['run', '--bisect', ...args.slice(1)] : args, { cwd: d, env: c.env });
      expect(r.code, r.stderr).toBe(bisect ? 255 : 2);
      expect(r.stderr).toMatch(new RegExp(`\\[${c.code}\\]: [^]+?\\nhint: .+`, 'm'));
      for (const n of c.names ?? []) expect(r.stderr).toContain(n);
      expect(r.stderr).not.toMatch(/unexpected error|^\s+at /m);
      expect(r.qemu).toEqual([]);
      // Only --out is new, with the run's own files; its report says what failed.
      const after = snapshot(d);
      expect(Object.fromEntries(Object.entries(after).filter(([k]) => k !== '.' && k !== 'o' && !k.startsWith('o/')))).toEqual(
        Object.fromEntries(Object.entries(before).filter(([k]) => k !== '.')),
      );
      expect(readdirSync(join(d, 'o')).filter((f) => !RUN_FILES.includes(f))).toEqual([]);
      const report = JSON.parse(readFileSync(join(d, 'o', 'report.json'), 'utf8'));
      expect(report).toMatchObject({ status: 'failed', fault: { code: c.code } });
      expect(report.steps).toEqual([]);
    }
    // With --out a finished run, it is refused before it resolves anything, and the run is kept.
    const d = mkdtempSync(join(root, 'case-'));
    finishedRun(d);
    const before = snapshot(d);
    const r = await cli([...c.args(d).slice(0, -1), join(d, 'finished')], { cwd: d, env: c.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[E_OUT_EXISTS]');
    expect(r.qemu).toEqual([]);
    expect(snapshot(d)).toEqual(before);
  }, 300_000);
});

describe('report reads a damaged run directory', () => {
  it('a report.json cut short is rebuilt from events.jsonl, not a stack trace', async () => {
    const run = mkdtempSync(join(root, 'cut-'));
    writeFileSync(join(run, 'report.json'), cutReport);
    const t = Date.now();
    const ev = [
      { t, type: 'run-start', runId: 'r1', kernel: 'debian:bookworm', scenario: 'lifecycle', out: run },
      { t: t + 1, type: 'step-start', step: 'boot', index: 0, total: 2 },
      { t: t + 2, type: 'probe', step: 'boot', probe: { id: 1, op: 'read', addr: '0x0', len: 4096, why: 'x', observed: { result: 'ok', bytes: 4096, zero: true }, verdict: 'match' } },
      { t: t + 3, type: 'step-end', step: 'boot', probes: 1, ms: 2 },
      { t: t + 4, type: 'step-start', step: 'driver-loaded', index: 1, total: 2 },
    ];
    writeFileSync(join(run, 'events.jsonl'), ev.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await cli(['report', run], { cwd: run });
    expect(r.stderr).not.toMatch(/SyntaxError|TypeError/);
    expect(r.qemu).toEqual([]);
    const rebuilt = JSON.parse(readFileSync(join(run, 'report.json'), 'utf8'));
    expect(rebuilt).toMatchObject({ status: 'interrupted', environment: { runId: 'r1', scenario: 'lifecycle' } });
    expect(rebuilt.steps.map((s: { name: string; error?: unknown }) => [s.name, s.error === undefined])).toEqual([['boot', true], ['driver-loaded', false]]);
    expect(rebuilt.steps[0].probes).toHaveLength(1);
  }, 60_000);
});
