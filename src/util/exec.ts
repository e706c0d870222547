// Runs host tools (apt, dpkg-deb, cc, …) with an argument vector, never a
// shell, and turns a failure into an error that carries the command and its
// output.
import { execa } from 'execa';
import { LabError } from './errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export async function run(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer; signal?: AbortSignal; what?: string } = {},
): Promise<RunResult> {
  try {
    const r = await execa(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      input: opts.input,
      cancelSignal: opts.signal,
      stripFinalNewline: false,
    });
    return { stdout: String(r.stdout), stderr: String(r.stderr) };
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; stderr?: string; shortMessage?: string };
    if (err.code === 'ENOENT') {
      throw new LabError('E_TOOL_MISSING', 'environment', `${file} is not installed`, {
        hint: 'run the set-up: bin/setup (as root it installs the Debian packages)',
        cause: e,
        context: { file },
      });
    }
    throw new LabError('E_TOOL_FAILED', 'run', `${opts.what ?? file} failed: ${err.shortMessage ?? String(e)}`, {
      cause: e,
      context: { file, args, exitCode: err.exitCode, stderr: String(err.stderr ?? '').slice(-2000) },
    });
  }
}
