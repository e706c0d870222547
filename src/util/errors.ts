// The lab's own errors: a stable `code` (one of error-codes.ts), a `reason`
// discriminant (what it means for a run: classifyFault() switches on it), a
// `hint` that says what to do, and the context to act on. The CLI maps
// `kind` to the exit code (bad input → 2, the run itself failed → 3) and
// prints the code.
import { reasonOf, type ErrorCode, type ErrorReason } from './error-codes.js';

export type { ErrorCode, ErrorReason } from './error-codes.js';
export type ErrorKind = 'input' | 'environment' | 'run';

export class LabError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly reason: ErrorReason;
  readonly hint?: string;
  readonly context: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    kind: ErrorKind,
    message: string,
    opts: { hint?: string; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LabError';
    this.code = code;
    this.kind = kind;
    this.reason = reasonOf(code, kind);
    this.hint = opts.hint;
    this.context = opts.context ?? {};
  }
}

/** Bad input from the user: exit code 2. */
export const inputError = (code: ErrorCode, message: string, hint: string, context?: Record<string, unknown>) =>
  new LabError(code, 'input', message, { hint, context });

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
