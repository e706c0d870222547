// QmpClient: QMP over the native addon's socket transport. The protocol
// itself (ids, errors, events, timeouts) lives in session.ts and is shared
// with PlainQmpClient.
import { openNativeTransport } from './native-transport.js';
import { type ConnectOptions, QmpSession } from './session.js';

export { QMP_TIMEOUTS } from './session.js';
export type { ConnectOptions, ExecuteOptions, WaitOptions } from './session.js';
export { QmpError, type QmpErrorReason } from './errors.js';

export class QmpClient extends QmpSession {
  /**
   * Connects to QEMU's `-qmp unix:<path>,server=on,wait=off` socket, retrying
   * while it does not exist yet or refuses (QEMU still starting), reads the
   * greeting and sends qmp_capabilities. All of it within options.timeoutMs.
   */
  static connect(socketPath: string, options: ConnectOptions = {}): Promise<QmpClient> {
    return QmpSession.establish(new QmpClient(socketPath), openNativeTransport, options);
  }
}
