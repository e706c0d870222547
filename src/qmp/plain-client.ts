// PlainQmpClient: the same protocol and surface as QmpClient over a plain
// node:net socket. Used as the benchmark baseline and where no addon exists.
import { type ConnectOptions, QmpSession } from './session.js';
import { openSocketTransport } from './socket-transport.js';

export class PlainQmpClient extends QmpSession {
  /** As QmpClient.connect, over node:net. */
  static connect(socketPath: string, options: ConnectOptions = {}): Promise<PlainQmpClient> {
    return QmpSession.establish(new PlainQmpClient(socketPath), openSocketTransport, options);
  }
}
