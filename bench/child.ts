// One competitor run in a fresh process. Protocol: parameters as one JSON
// document on the child's stdin (Node competitors) or argv (C floors); the
// child prints `{"leftover":{"dir":…}}` as soon as it owns something that
// must not outlive it (a QEMU's private /dev/shm directory), and
// `{"result":…}` as its last line. The driver reclaims every announced
// directory after the child ends, however it ended.
import { spawn } from 'node:child_process';
import { pkgPath } from '../src/util/paths.js';
import { reclaim, type Cleanup } from './cleanup.js';

export class ChildError extends Error {
  readonly code = 'E_BENCH_CHILD';
  constructor(
    message: string,
    readonly context: { command: string[]; exit: number | null; signal: string | null; stderr: string },
  ) {
    super(message);
    this.name = 'ChildError';
  }
}

export interface ChildSpec {
  /** Competitor name, for messages. */
  name: string;
  command: string;
  args: string[];
  /** JSON sent on stdin; undefined closes stdin at once. */
  input?: unknown;
  timeoutMs: number;
}

/** A compiled Node competitor: dist/bench/<file>.js run by this same node. */
export function nodeChild(name: string, file: string, input: unknown, timeoutMs: number): ChildSpec {
  return { name, command: process.execPath, args: [pkgPath('dist', 'bench', file)], input, timeoutMs };
}

/** Children currently running, so a signal to the driver can stop them. */
const running = new Set<number>();

export function stopRunningChildren(): void {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

export async function runChild<T>(spec: ChildSpec, cleanup: Cleanup): Promise<T> {
  const proc = spawn(spec.command, spec.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  if (proc.pid !== undefined) running.add(proc.pid);
  const dirs: string[] = [];
  const unregister: (() => void)[] = [];
  let stdout = '';
  let stderr = '';
  let result: T | undefined;
  let partial = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{"leftover"')) continue;
      const dir = (JSON.parse(line) as { leftover: { dir: string } }).leftover.dir;
      dirs.push(dir);
      unregister.push(cleanup.add(`leftovers of ${spec.name}`, () => reclaim(dir).then(() => undefined)));
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8000)));
  proc.stdin.on('error', () => undefined); // a child that exits early must not crash the driver
  proc.stdin.end(spec.input === undefined ? '' : JSON.stringify(spec.input));

  const timer = setTimeout(() => proc.kill('SIGTERM'), spec.timeoutMs);
  const [exit, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    proc.on('error', (e) => {
      stderr += String(e);
      resolve([null, null]);
    });
    proc.on('close', (code, sig) => resolve([code, sig]));
  });
  clearTimeout(timer);
  if (proc.pid !== undefined) running.delete(proc.pid);
  for (const dir of dirs) {
    const r = await reclaim(dir);
    if (r.killed.length > 0 || r.removed) stderr += `\n[driver] ${spec.name} left ${dir} behind (QEMU pids ${r.killed.join(',') || 'none'}); removed`;
  }
  unregister.forEach((u) => u());

  const last = (stdout + partial).trim().split('\n').filter((l) => l.startsWith('{"result"')).pop();
  if (last) result = (JSON.parse(last) as { result: T }).result;
  const command = [spec.command, ...spec.args];
  if (exit !== 0 || result === undefined) {
    throw new ChildError(`${spec.name} (${command.join(' ')}) ended with ${exit ?? signal}${result === undefined ? ' and no result' : ''}\n${stderr.trim().slice(-3000)}`, {
      command, exit, signal, stderr,
    });
  }
  return result;
}
