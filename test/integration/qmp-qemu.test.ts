// The native QMP client and the shared backend view against a real QEMU:
// q35 under TCG, stopped before the first instruction (-S), with a small
// virtio-mem device backed by a file in a private /dev/shm directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient } from '../../src/qmp/client.js';
import { QmpError } from '../../src/qmp/errors.js';
import { ShmBackend } from '../../src/shm/backend.js';

const MiB = 1024 * 1024;
const BACKEND_SIZE = 256 * MiB;
const BLOCK_SIZE = 2 * MiB;
const DEVICE = '/machine/peripheral/vm0';

let dir: string;
let qemu: ChildProcess;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let stderr = '';
let client: QmpClient;

function qemuArgs(d: string): string[] {
  return [
    '-machine', 'q35', '-accel', 'tcg', // the host's /dev/kvm does not boot guests
    '-nodefaults', '-display', 'none',
    '-S', // stay in prelaunch: nothing here needs a guest to run
    '-m', '128M,maxmem=1G', // virtio-mem needs maxmem for its device region
    '-object', `memory-backend-file,id=vmem0,mem-path=${join(d, 'vmem0')},size=${BACKEND_SIZE},share=on`,
    '-device', `virtio-mem-pci,id=vm0,memdev=vmem0,block-size=${BLOCK_SIZE},requested-size=0`,
    '-qmp', `unix:${join(d, 'qmp.sock')},server=on,wait=off`,
  ];
}

async function stopQemu(): Promise<void> {
  if (!qemu || qemu.exitCode !== null || qemu.signalCode !== null) return;
  qemu.kill('SIGTERM');
  const killer = setTimeout(() => qemu.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(killer);
}

async function expectQmpError(p: Promise<unknown>): Promise<QmpError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(QmpError);
  return e as QmpError;
}

beforeAll(async () => {
  dir = mkdtempSync('/dev/shm/devmem-lab-qmp-it-');
  qemu = spawn('qemu-system-x86_64', qemuArgs(dir), { stdio: ['ignore', 'ignore', 'pipe'] });
  qemu.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  exited = new Promise((resolve) => qemu.on('exit', (code, signal) => resolve({ code, signal })));
  // If QEMU dies while we connect, stop waiting at once and say why.
  const died = new AbortController();
  void exited.then(({ code, signal }) => died.abort(new Error(`QEMU exited (${code ?? signal}): ${stderr.trim()}`)));
  qemu.on('error', (e) => died.abort(e));
  client = await QmpClient.connect(join(dir, 'qmp.sock'), { timeoutMs: 15_000, signal: died.signal });
});

afterAll(async () => {
  try {
    client?.close();
    await stopQemu();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

describe('QmpClient against QEMU', () => {
  it('exposes the version from the greeting', () => {
    expect(client.version.qemu.major).toBeGreaterThanOrEqual(7);
    expect(typeof client.version.package).toBe('string');
  });

  it('runs query-status', async () => {
    expect(await client.execute('query-status')).toMatchObject({ running: false, status: 'prelaunch' });
  });

  it('describes the virtio-mem device with query-memory-devices', async () => {
    const devices = await client.execute('query-memory-devices');
    expect(devices).toHaveLength(1);
    const [dev] = devices;
    if (dev.type !== 'virtio-mem') throw new Error(`unexpected device type ${dev.type}`);
    expect(dev.data).toMatchObject({
      id: 'vm0',
      memdev: '/objects/vmem0',
      'max-size': BACKEND_SIZE,
      'block-size': BLOCK_SIZE,
      size: 0,
      'requested-size': 0,
      node: 0,
    });
    // The device region lies above boot RAM and is block aligned.
    expect(dev.data.memaddr).toBeGreaterThanOrEqual(128 * MiB);
    expect(dev.data.memaddr % BLOCK_SIZE).toBe(0);
  });

  it('reads and sets requested-size with qom-get / qom-set', async () => {
    expect(await client.execute<number>('qom-get', { path: DEVICE, property: 'requested-size' })).toBe(0);
    await client.execute('qom-set', { path: DEVICE, property: 'requested-size', value: 64 * MiB });
    expect(await client.execute<number>('qom-get', { path: DEVICE, property: 'requested-size' })).toBe(64 * MiB);
    // No guest driver is running, so nothing is plugged.
    expect(await client.execute<number>('qom-get', { path: DEVICE, property: 'size' })).toBe(0);
    await client.execute('qom-set', { path: DEVICE, property: 'requested-size', value: 0 });
  });

  it('reports QMP errors with their class', async () => {
    const e = await expectQmpError(client.execute('no-such-command'));
    expect([e.code, e.reason, e.qmpClass, e.command]).toEqual(['E_QMP', 'command-failed', 'CommandNotFound', 'no-such-command']);
    // Not a multiple of the block size: the device refuses it.
    const g = await expectQmpError(client.execute('qom-set', { path: DEVICE, property: 'requested-size', value: MiB }));
    expect(g.qmpClass).toBe('GenericError');
  });

  it('delivers events (RESUME on cont, STOP on stop)', async () => {
    const resumed = client.waitForEvent('RESUME', undefined, { timeoutMs: 10_000 });
    await client.execute('cont');
    expect((await resumed).event).toBe('RESUME');
    const stopped = client.waitForEvent('STOP', undefined, { timeoutMs: 10_000 });
    await client.execute('stop');
    await stopped;
    expect(await client.execute('query-status')).toMatchObject({ running: false, status: 'paused' });
  });

  it('sees the unplugged backend from the host as all holes', () => {
    using backend = ShmBackend.open(join(dir, 'vmem0'));
    expect(backend.size()).toBe(BACKEND_SIZE);
    expect(backend.extents()).toEqual([]);
    expect(backend.isZero()).toBe(true);
  });

  it('quits QEMU', async () => {
    const closed = new Promise<QmpError | null>((resolve) => client.on('close', resolve));
    await client.execute('quit');
    expect((await closed)?.reason).toBe('disconnected');
    expect(await exited).toEqual({ code: 0, signal: null });
  });
});
