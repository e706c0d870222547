// LineTransport over a plain node:net socket, no addon: the baseline the
// native transport is benchmarked against, and a fallback where the addon
// cannot be built.
import { createConnection } from 'node:net';
import type { LineSink, LineTransport } from './transport.js';

export function openSocketTransport(socketPath: string, sink: LineSink): Promise<LineTransport> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    let connected = false;
    let closedLocally = false;
    let lastError: Error | null = null;
    let buffered = '';

    socket.setEncoding('utf8'); // a StringDecoder keeps split UTF-8 sequences whole
    socket.once('connect', () => {
      connected = true;
      resolve({
        send: (text) => {
          socket.write(text);
        },
        close: () => {
          closedLocally = true;
          socket.destroy();
        },
      });
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let start = 0;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n', start)) {
        const end = nl > start && buffered.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // QEMU ends lines "\r\n"
        const line = buffered.slice(start, end);
        start = nl + 1;
        if (line.length > 0) sink.line(line);
        if (closedLocally) return;
      }
      buffered = buffered.slice(start);
    });
    socket.on('error', (e) => {
      lastError = e;
      if (!connected) reject(e); // carries code/errno/syscall like the addon's errors
    });
    socket.on('close', () => {
      if (connected && !closedLocally) sink.closed(lastError);
    });
  });
}
