// The error every failed syscall in the addon becomes. The class is handed to
// the addon at load time (see binding.ts), so C++ constructs it directly and
// `instanceof NativeError` holds for everything the addon throws or reports.

export interface NativeErrorFields {
  message: string;
  /** Symbolic errno name, as in Node's own errors: 'ENOENT', 'ECONNREFUSED'. */
  code: string;
  /** Negative errno value, the convention of Node's fs and net errors. */
  errno: number;
  /** The failing system call: 'open', 'connect', 'pread', 'lseek', ... */
  syscall: string;
  /** The file or socket involved, when there is one. */
  path?: string;
}

export class NativeError extends Error implements NativeErrorFields {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;

  constructor(fields: NativeErrorFields) {
    super(fields.message);
    this.name = 'NativeError';
    this.code = fields.code;
    this.errno = fields.errno;
    this.syscall = fields.syscall;
    if (fields.path !== undefined) this.path = fields.path;
  }
}

/** True for errors from the addon and for Node's own system errors alike. */
export function isSystemError(e: unknown): e is Error & { code: string; errno: number; syscall: string } {
  return (
    e instanceof Error &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { errno?: unknown }).errno === 'number' &&
    typeof (e as { syscall?: unknown }).syscall === 'string'
  );
}
