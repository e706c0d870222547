// QmpError: the one error class the QMP clients throw or reject with. One
// stable code, and a `reason` saying which of the ways a QMP call can end
// badly happened, with the context needed to act on it.

export type QmpErrorReason =
  /** QEMU answered with {"error": …}; see qmpClass and desc. */
  | 'command-failed'
  /** The connection ended (QEMU exited, the socket failed, or close() was called). */
  | 'disconnected'
  /** A named wait ran out; see wait and timeoutMs. */
  | 'timeout'
  /** The caller's AbortSignal fired; cause is signal.reason. */
  | 'aborted'
  /** The socket could not be connected and retrying would not help; cause has the errno. */
  | 'connect-failed'
  /** QEMU sent something that is not QMP (bad JSON, no greeting). */
  | 'protocol';

export interface QmpErrorDetails {
  /** The command this error answers, when it answers one. */
  command?: string;
  /** QMP error class: 'GenericError', 'CommandNotFound', 'DeviceNotFound', … */
  qmpClass?: string;
  /** QEMU's human-readable description of a failed command. */
  desc?: string;
  /** Name of the wait that timed out or was aborted: 'connect', 'greeting', 'execute query-status', 'event SHUTDOWN'. */
  wait?: string;
  timeoutMs?: number;
  socketPath?: string;
  cause?: unknown;
}

export class QmpError extends Error implements QmpErrorDetails {
  readonly code = 'E_QMP';
  readonly reason: QmpErrorReason;
  readonly command?: string;
  readonly qmpClass?: string;
  readonly desc?: string;
  readonly wait?: string;
  readonly timeoutMs?: number;
  readonly socketPath?: string;

  constructor(reason: QmpErrorReason, message: string, details: QmpErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'QmpError';
    this.reason = reason;
    const { cause: _cause, ...rest } = details;
    Object.assign(this, rest);
  }
}
