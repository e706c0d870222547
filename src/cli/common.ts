// Pieces every command shares: the output directory and Ctrl-C.
import { access, constants, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LabError, inputError } from '../util/errors.js';

export { EXIT } from '../format/findings.js';

/**
 * Creates --out (and its parents) and checks it is writable. The directory
 * itself is made without `recursive`: Node's recursive mkdir never returns
 * inside filesystems such as /proc that answer ENOENT to mkdir.
 */
export async function ensureOutDir(out: string): Promise<void> {
  const unwritable = () => inputError('E_OUT_UNWRITABLE', `cannot write to --out ${out}`, 'choose a directory you can write to');
  try {
    await mkdir(out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await access(dirname(out)).then(() => undefined, () => mkdir(dirname(out), { recursive: true }).catch(() => undefined));
      await mkdir(out).catch((e2: NodeJS.ErrnoException) => {
        if (e2.code !== 'EEXIST') throw unwritable();
      });
    } else if (code !== 'EEXIST') throw unwritable();
  }
  await access(out, constants.W_OK).catch(() => {
    throw unwritable();
  });
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
