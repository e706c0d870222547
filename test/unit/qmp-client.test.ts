// Both QMP clients (native addon transport and plain node:net) against a
// fake QEMU: a unix-socket server speaking just enough QMP, driven by tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient } from '../../src/qmp/client.js';
import { QmpError } from '../../src/qmp/errors.js';
import { PlainQmpClient } from '../../src/qmp/plain-client.js';
import type { QmpSession } from '../../src/qmp/session.js';

const GREETING = { QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7' }, capabilities: ['oob'] } };

interface Command {
  execute: string;
  arguments?: Record<string, unknown>;
  id: unknown;
}

/** One accepted connection, seen from the fake QEMU's side. */
class FakeConn {
  readonly received: Command[] = [];
  #waiting: ((c: Command) => void)[] = [];
  #queued: Command[] = [];
  #buf = '';

  constructor(readonly socket: Socket, autoCapabilities: boolean) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buf += chunk;
      for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
        const cmd = JSON.parse(this.#buf.slice(0, nl)) as Command;
        this.#buf = this.#buf.slice(nl + 1);
        this.received.push(cmd);
        if (autoCapabilities && cmd.execute === 'qmp_capabilities') this.reply(cmd, {});
        else if (this.#waiting.length) this.#waiting.shift()!(cmd);
        else this.#queued.push(cmd);
      }
    });
    socket.on('error', () => {});
  }

  /** The next command the client sent (other than qmp_capabilities). */
  next(): Promise<Command> {
    const c = this.#queued.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  raw(text: string): void {
    this.socket.write(text);
  }

  reply(cmd: Command, ret: unknown): void {
    this.raw(JSON.stringify({ return: ret, id: cmd.id }) + '\r\n');
  }

  fail(cmd: Command, cls: string, desc: string): void {
    this.raw(JSON.stringify({ error: { class: cls, desc }, id: cmd.id }) + '\r\n');
  }

  event(name: string, data?: unknown): void {
    this.raw(eventLine(name, data));
  }
}

function eventLine(name: string, data?: unknown): string {
  const ev: Record<string, unknown> = { timestamp: { seconds: 1700000000, microseconds: 5 }, event: name };
  if (data !== undefined) ev.data = data;
  return JSON.stringify(ev) + '\r\n';
}

class FakeQemu {
  readonly server: Server;
  readonly #conns: FakeConn[] = [];
  readonly #sockets = new Set<Socket>();
  #waiting: ((c: FakeConn) => void)[] = [];

  constructor(readonly path: string, opts: { greeting?: boolean } = {}) {
    this.server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      const conn = new FakeConn(socket, true);
      if (opts.greeting !== false) socket.write(JSON.stringify(GREETING) + '\r\n');
      const w = this.#waiting.shift();
      if (w) w(conn);
      else this.#conns.push(conn);
    });
  }

  listen(): Promise<this> {
    return new Promise((resolve) => this.server.listen(this.path, () => resolve(this)));
  }

  connection(): Promise<FakeConn> {
    const c = this.#conns.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }
}

async function rejection(p: Promise<unknown>): Promise<QmpError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(QmpError);
    expect((e as QmpError).code).toBe('E_QMP');
    return e as QmpError;
  }
  throw new Error('expected a rejection');
}

let dir: string;
let seq = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'devmem-lab-qmp-test-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const kinds: [string, (path: string, o?: { timeoutMs?: number; signal?: AbortSignal }) => Promise<QmpSession>][] = [
  ['QmpClient (native)', (p, o) => QmpClient.connect(p, o)],
  ['PlainQmpClient (node:net)', (p, o) => PlainQmpClient.connect(p, o)],
];

describe.each(kinds)('%s', (name, connect) => {
  let fake: FakeQemu;
  let client: QmpSession | undefined;
  let conn: FakeConn;

  const open = async (): Promise<QmpSession> => {
    client = await connect(fake.path, { timeoutMs: 2000 });
    conn = await fake.connection();
    return client;
  };

  beforeEach(async () => {
    fake = await new FakeQemu(join(dir, `qmp-${++seq}.sock`)).listen();
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await fake.close();
  });

  it('reads the greeting and negotiates capabilities', async () => {
    const c = await open();
    expect(c.version.qemu).toEqual({ major: 7, minor: 2, micro: 0 });
    expect(c.greeting.QMP.capabilities).toEqual(['oob']);
    expect(conn.received[0]).toMatchObject({ execute: 'qmp_capabilities' });
    expect(conn.received[0]).not.toHaveProperty('arguments');
  });

  it('handles several messages in one chunk', async () => {
    const c = await open();
    const events: string[] = [];
    c.on('event', (e) => events.push(e.event));
    const a = c.execute('query-status');
    const b = c.execute<number>('qom-get', { path: '/machine/peripheral/vm0', property: 'size' });
    const [ca, cb] = [await conn.next(), await conn.next()];
    expect(cb.arguments).toEqual({ path: '/machine/peripheral/vm0', property: 'size' });
    conn.raw(
      JSON.stringify({ return: { running: false, status: 'prelaunch' }, id: ca.id }) + '\r\n' +
        eventLine('STOP') +
        JSON.stringify({ return: 4096, id: cb.id }) + '\r\n',
    );
    expect(await a).toEqual({ running: false, status: 'prelaunch' });
    expect(await b).toBe(4096);
    expect(events).toEqual(['STOP']);
  });

  it('reassembles a message split across chunks, even inside a UTF-8 character', async () => {
    const c = await open();
    const p = c.execute<string>('qom-get', { path: '/machine', property: 'type' });
    const cmd = await conn.next();
    const bytes = Buffer.from(JSON.stringify({ return: 'machine-é-q35', id: cmd.id }) + '\r\n');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of 'é'
    for (const piece of [bytes.subarray(0, 5), bytes.subarray(5, cut), bytes.subarray(cut)]) {
      conn.socket.write(piece);
      await sleep(15);
    }
    expect(await p).toBe('machine-é-q35');
  });

  it('matches replies to commands by id, in any order', async () => {
    const c = await open();
    const ps = ['a', 'b', 'c'].map((v) => c.execute<string>('echo', { v }));
    const cmds = [await conn.next(), await conn.next(), await conn.next()];
    expect(new Set(cmds.map((x) => x.id)).size).toBe(3);
    for (const i of [2, 0, 1]) conn.reply(cmds[i], `r-${cmds[i].arguments!.v}`);
    expect(await Promise.all(ps)).toEqual(['r-a', 'r-b', 'r-c']);
  });

  it('sends a command larger than the socket buffer', async () => {
    const c = await open();
    const big = 'x'.repeat(4 * 1024 * 1024); // far beyond a unix socket's buffer
    const p = c.execute<number>('echo-length', { big });
    const cmd = await conn.next();
    conn.reply(cmd, (cmd.arguments!.big as string).length);
    expect(await p).toBe(big.length);
  });

  it('turns an error reply into a QmpError with the QMP class', async () => {
    const c = await open();
    const p = c.execute('no-such-command');
    conn.fail(await conn.next(), 'CommandNotFound', "The command no-such-command has not been found");
    const e = await rejection(p);
    expect(e.reason).toBe('command-failed');
    expect(e.qmpClass).toBe('CommandNotFound');
    expect(e.command).toBe('no-such-command');
    expect(e.desc).toContain('no-such-command');
    // The connection is still usable.
    const q = c.execute('query-status');
    conn.reply(await conn.next(), { running: true, status: 'running' });
    expect((await q).status).toBe('running');
  });

  it('delivers events to listeners, waiters and iterators', async () => {
    const c = await open();
    const it = c.events();
    const seen: unknown[] = [];
    c.on('event', (e) => seen.push(e.data));
    const wait = c.waitForEvent('MEMORY_DEVICE_SIZE_CHANGE', (d) => d.size === 2 * 1024 * 1024, { timeoutMs: 2000 });
    conn.event('MEMORY_DEVICE_SIZE_CHANGE', { id: 'vm0', size: 1024 * 1024, 'qom-path': '/machine/peripheral/vm0' });
    conn.event('RESUME');
    conn.event('MEMORY_DEVICE_SIZE_CHANGE', { id: 'vm0', size: 2 * 1024 * 1024, 'qom-path': '/machine/peripheral/vm0' });
    const ev = await wait;
    expect(ev.data).toEqual({ id: 'vm0', size: 2 * 1024 * 1024, 'qom-path': '/machine/peripheral/vm0' });
    expect(ev.timestamp).toEqual({ seconds: 1700000000, microseconds: 5 });
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await it.next()).value.event);
    expect(names).toEqual(['MEMORY_DEVICE_SIZE_CHANGE', 'RESUME', 'MEMORY_DEVICE_SIZE_CHANGE']);
    expect(seen[1]).toEqual({}); // RESUME carries no data on the wire
    c.close();
    expect((await it.next()).done).toBe(true);
  });

  it('rejects everything pending when QEMU disconnects', async () => {
    const c = await open();
    const closed = new Promise<QmpError | null>((resolve) => c.on('close', resolve));
    const it = c.events();
    const p = c.execute('query-status');
    const w = c.waitForEvent('SHUTDOWN', undefined, { timeoutMs: 5000 });
    await conn.next();
    conn.socket.destroy();
    for (const e of [await rejection(p), await rejection(w), await rejection(it.next())]) {
      expect(e.reason).toBe('disconnected');
    }
    expect((await closed)?.reason).toBe('disconnected');
    expect(c.isOpen).toBe(false);
    expect((await rejection(c.execute('query-status'))).reason).toBe('disconnected');
  });

  it('delivers the last reply even when the close comes as a reset', async () => {
    // QEMU exiting with commands of ours unread resets the connection
    // (ECONNRESET); the replies it sent just before must still arrive.
    const c = await open();
    const closed = new Promise<QmpError | null>((resolve) => c.on('close', resolve));
    const a = c.execute('quit');
    const cmd = await conn.next();
    // Stop reading at the libuv level (socket.pause() would keep buffering).
    (conn.socket as unknown as { _handle: { readStop(): void } })._handle.readStop();
    const b = c.execute('query-status');
    await sleep(20); // let b reach the fake's (now unread) receive queue
    conn.reply(cmd, {});
    conn.socket.destroy();
    expect(await a).toEqual({});
    const e = await rejection(b);
    expect(e.reason).toBe('disconnected');
    // The addon reports the reset; libuv (under node:net) reports a reset
    // unix socket as a plain end of stream.
    expect((e.cause as { code?: string } | undefined)?.code).toBe(name.startsWith('QmpClient') ? 'ECONNRESET' : undefined);
    expect((await closed)?.reason).toBe('disconnected');
  });

  it('rejects pending commands on close()', async () => {
    const c = await open();
    const p = c.execute('query-status');
    await conn.next();
    c.close();
    const e = await rejection(p);
    expect(e.reason).toBe('disconnected');
    expect(e.command).toBe('query-status');
  });

  it('times out a command with a named wait and survives its late reply', async () => {
    const c = await open();
    const e = await rejection(c.execute('query-status', undefined, { timeoutMs: 50 }));
    expect(e.reason).toBe('timeout');
    expect(e.wait).toBe('execute query-status');
    expect(e.timeoutMs).toBe(50);
    conn.reply(await conn.next(), { running: true, status: 'running' }); // late: ignored
    const q = c.execute('query-version');
    conn.reply(await conn.next(), GREETING.QMP.version);
    expect((await q).qemu.major).toBe(7);
    const w = await rejection(c.waitForEvent('RESET', undefined, { timeoutMs: 30 }));
    expect([w.reason, w.wait]).toEqual(['timeout', 'event RESET']);
  });

  it('times each command out by its own deadline while others are in flight', async () => {
    const c = await open();
    const long = c.execute('query-version', undefined, { timeoutMs: 5000 });
    const longReq = await conn.next();
    const short = c.execute('query-status', undefined, { timeoutMs: 40 });
    await conn.next();
    const t0 = Date.now();
    expect((await rejection(short)).reason).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(2000);
    conn.reply(longReq, GREETING.QMP.version); // the long one is still waiting
    expect((await long).qemu.major).toBe(7);
    // Answered commands leave the shared timer armed for a later deadline; a
    // new shorter one must still be timed from its own start.
    const t1 = Date.now();
    const again = c.execute('query-status', undefined, { timeoutMs: 30 });
    await conn.next();
    expect((await rejection(again)).timeoutMs).toBe(30);
    expect(Date.now() - t1).toBeLessThan(2000);
  });

  it('stops waiting when the signal aborts', async () => {
    const c = await open();
    const ac = new AbortController();
    const p = c.execute('query-status', undefined, { signal: ac.signal });
    await conn.next();
    ac.abort(new Error('user pressed ^C'));
    const e = await rejection(p);
    expect(e.reason).toBe('aborted');
    expect((e.cause as Error).message).toBe('user pressed ^C');
    expect((await rejection(c.waitForEvent('STOP', undefined, { signal: ac.signal }))).reason).toBe('aborted');
  });

  it('closes the connection on a line that is not JSON', async () => {
    const c = await open();
    const p = c.execute('query-status');
    await conn.next();
    conn.raw('this is not json\r\n');
    expect((await rejection(p)).reason).toBe('protocol');
  });

  it('retries until QEMU listens, and times out naming the last errno', async () => {
    const late = new FakeQemu(join(dir, `late-${++seq}.sock`));
    const pending = connect(late.path, { timeoutMs: 3000 });
    await sleep(150);
    await late.listen();
    const c = await pending;
    expect(c.version.qemu.major).toBe(7);
    c.close();
    await late.close();

    const e = await rejection(connect(join(dir, 'never.sock'), { timeoutMs: 100 }));
    expect([e.reason, e.wait]).toEqual(['timeout', 'connect']);
    expect((e.cause as { code: string }).code).toBe('ENOENT');
  });

  it('fails at once on errors retrying cannot fix', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const e = await rejection(connect(join(file, 'qmp.sock'), { timeoutMs: 5000 }));
    expect(e.reason).toBe('connect-failed');
    expect((e.cause as { code: string; syscall: string }).code).toBe('ENOTDIR');
    expect((e.cause as { code: string; syscall: string }).syscall).toBe('connect');
  });

  it('times out waiting for a greeting that never comes', async () => {
    const mute = await new FakeQemu(join(dir, `mute-${++seq}.sock`), { greeting: false }).listen();
    const e = await rejection(connect(mute.path, { timeoutMs: 100 }));
    expect([e.reason, e.wait]).toEqual(['timeout', 'greeting']);
    await mute.close();
  });
});
