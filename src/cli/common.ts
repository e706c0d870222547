// Pieces every command shares: the output directory and Ctrl-C.
import { RUN_FILES } from '../report/renderers.js';
import { access, constants, lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LabError, inputError } from '../util/errors.js';
import type { AccelMode } from '../lab/boot.js';
import { parseArch, type Arch } from '../util/arch.js';

export { EXIT } from '../format/findings.js';

/** --accel as run, matrix and explore take it. */
export function parseAccel(value: string, usage: string): AccelMode {
  if (!['auto', 'tcg', 'kvm'].includes(value)) throw inputError('E_USAGE', `--accel ${value} is not one of auto, tcg, kvm`, usage);
  return value as AccelMode;
}

/** --arch as run, matrix and explore take it (absent: the profile's own, x86_64 by default). */
export function parseArchOption(value: string | undefined): Arch | undefined {
  return value === undefined ? undefined : parseArch(value);
}

/** --repeat N as run and matrix take it: a whole number from 1 to 100. */
export function parseRepeat(value: string, usage: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100) throw inputError('E_USAGE', `--repeat ${value} is not a whole number from 1 to 100`, usage);
  return n;
}

export { checkKernelInput } from '../kernel/resolve.js';

/**
 * Creates --out and the parents it lacks, one level at a time (Node's
 * recursive mkdir never returns inside filesystems such as /proc that answer
 * ENOENT to mkdir), and checks that it is a directory of this user that this
 * user can write to.
 */
export async function ensureOutDir(out: string): Promise<void> {
  if (!out) throw inputError('E_USAGE', '--out is empty', 'give a directory, e.g. --out lab-out');
  const unwritable = (why: string) => inputError('E_OUT_UNWRITABLE', `cannot write to --out ${out}: ${why}`, 'choose a directory you can write to');
  const missing: string[] = [];
  for (let p = out; ; p = dirname(p)) {
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw unwritable(e.code === 'ENOTDIR' ? `a part of it is a file` : (e.code ?? String(e)));
    });
    if (st) {
      if (!st.isDirectory()) throw unwritable(`${p} is not a directory`);
      break;
    }
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const d of missing) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw unwritable(`mkdir ${d}: ${e.code}`);
    });
  }
  const st = await stat(out);
  if (!st.isDirectory()) throw unwritable('it is not a directory');
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw inputError('E_OUT_UNWRITABLE', `--out ${out} belongs to another user (uid ${st.uid})`, 'write to a directory of your own: the run\'s files must not land where someone else controls them');
  }
  await access(out, constants.W_OK).catch(() => {
    throw unwritable('no write permission');
  });
}

/**
 * A run never replaces another run's files: with a report.json already in
 * --out it stops, unless `force`, which removes the old run's files first.
 */
export async function claimRunDir(out: string, force: boolean): Promise<void> {
  // A run's file that is a symlink (or anything but a file) was planted: the
  // run's events or console must not land where it points. Opening events.jsonl
  // with O_NOFOLLOW would fail too, but with a stack and after --out was used.
  for (const f of RUN_FILES) {
    const st = await lstat(join(out, f)).catch(() => undefined);
    if (st && !st.isFile()) {
      throw inputError('E_OUT_UNWRITABLE', `--out ${out} holds ${f}, which is ${st.isSymbolicLink() ? 'a symlink' : 'not a file'}`,
        'remove it or choose another --out: the run\'s files are never written through a link');
    }
  }
  const old = await stat(join(out, 'report.json')).then(() => true, () => false);
  if (!old) return;
  if (!force) {
    throw new LabError('E_OUT_EXISTS', 'input', `--out ${out} already holds a run (report.json)`, {
      hint: 'choose a new --out, or pass --force to replace that run\'s files',
    });
  }
  for (const f of RUN_FILES) await rm(join(out, f), { force: true });
  // The repeats of a repeated run (lab/repeat.ts).
  for (const d of await readdir(out)) if (/^repeat-\d+$/.test(d)) await rm(join(out, d), { recursive: true, force: true });
}

/**
 * Runs `fn` with an AbortSignal that the first SIGINT or SIGTERM aborts (the
 * run then stops QEMU and writes its partial report); a second signal gets
 * the default action and ends the process, and QEMU with it.
 */
export async function withSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => controller.abort(new LabError('E_INTERRUPTED', 'run', `interrupted by ${sig}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
