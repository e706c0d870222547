// GuestChannel.connect's failure report: every distinct failure of the
// retried attempts, counted, is in the error message and context (against a
// loopback server that accepts and hangs up, as a forward with no sshd
// behind it does).
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestChannel, generateRunKey } from '../../src/guest/ssh.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('GuestChannel.connect', () => {
  it('names what every attempt met when it gives up', async () => {
    const key = generateRunKey();
    const e = (await GuestChannel.connect({ port, key, hostKey: key.publicKey, timeoutMs: 1500 }).catch((x) => x)) as Error & { code: string; context: { attempts: Record<string, number> } };
    expect(e.code).toBe('E_SSH_CONNECT');
    const attempts = Object.entries(e.context.attempts);
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(1);
    for (const [what, n] of attempts) expect(e.message).toContain(`${what} (×${n})`);
  });
});
