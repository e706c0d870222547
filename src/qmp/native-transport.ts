// LineTransport over the addon's QmpTransport: socket I/O and line splitting
// happen in C++ on Node's own event loop (native/qmp_transport.cc).
import { loadAddon } from '../native/binding.js';
import type { LineSink, LineTransport } from './transport.js';

export async function openNativeTransport(socketPath: string, sink: LineSink): Promise<LineTransport> {
  const { QmpTransport } = loadAddon();
  const native = new QmpTransport(
    socketPath,
    (line) => sink.line(line),
    (error) => sink.closed(error),
  );
  return {
    send: (text) => native.write(text),
    close: () => native.close(),
  };
}
