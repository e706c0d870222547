// What a QMP session needs from a connection: whole lines in, text out.
// Two implementations: the native addon (client.ts) and a plain net.Socket
// (plain-client.ts), so both clients share one protocol implementation.

export interface LineSink {
  /** One complete line, without its '\n' or "\r\n". Must not throw. */
  line(text: string): void;
  /** The connection ended: null at end of stream, else the error. Called once. */
  closed(error: Error | null): void;
}

export interface LineTransport {
  /** Sends text as is (the caller includes the '\n'). */
  send(text: string): void;
  /** Closes without calling sink.closed. Idempotent. */
  close(): void;
}

/**
 * Opens a connection to a unix socket. Rejects with the system error
 * (code 'ENOENT', 'ECONNREFUSED', …) so the caller can decide to retry.
 */
export type OpenTransport = (socketPath: string, sink: LineSink) => Promise<LineTransport>;
