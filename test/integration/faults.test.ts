// Fault injection with real QEMU guests: each fault must be classified with
// its evidence, keep the results of the steps before it, and leave no QEMU
// process and no /dev/shm file behind.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunOptions } from '../../src/lab/run.js';
import type { RunEvent } from '../../src/format/events.js';
import type { Report } from '../../src/format/types.js';
import { reportExitCode } from '../../src/format/findings.js';
import { resolveScenario } from '../../src/scenario/file.js';
import type { Scenario } from '../../src/lab/scenario.js';
import { pkgPath } from '../../src/util/paths.js';
import { labRun, removeScratch, scratch } from './helpers.js';

const LIFECYCLE = await resolveScenario('lifecycle');

afterAll(removeScratch);
const tmp = () => scratch('devmem-lab-fault-');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function gone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/** Runs a lab in-process; `inject` sees every event and may break things. */
const runWith = (scenario: Scenario, inject: (e: RunEvent, qemuPid: number) => void, extra: { timeouts?: RunOptions['timeouts']; freshBoot?: boolean } = {}) =>
  labRun(scenario, { onEvent: inject, ...extra });

/** The QEMU process is gone and so is its private /dev/shm directory. */
function expectNothingLeft(pid: number, dir: string) {
  expect(alive(pid)).toBe(false);
  expect(dir).toMatch(/^\/dev\/shm\/devmem-lab-/);
  expect(existsSync(dir)).toBe(false);
}

describe('faults on real guests', () => {
  it('QEMU killed mid-step: qemu-exited, the step named, earlier steps kept', async () => {
    const { report, pid, dir, out } = await runWith(LIFECYCLE, (e, qemu) => {
      if (e.type === 'step-start' && e.step === 'plug-512M') process.kill(qemu, 'SIGKILL');
    });
    expect(report.status).toBe('failed');
    expect(report.fault).toMatchObject({ kind: 'qemu-exited', step: 'plug-512M', qemuExit: { signal: 'SIGKILL' } });
    expect(report.steps.slice(0, 2).map((s) => [s.name, s.error])).toEqual([['boot', undefined], ['driver-loaded', undefined]]);
    expect(report.steps[0].probes.length).toBeGreaterThan(100);
    const onDisk = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(onDisk.fault?.kind).toBe('qemu-exited');
    expectNothingLeft(pid, dir);
  }, 300_000);

  it('guest panic (sysrq c): guest-panic, with the panic line as a finding', async () => {
    const panic: Scenario = {
      name: 'panic',
      description: 'crash the guest kernel',
      steps: [
        { name: 'boot', action: { kind: 'boot' } },
        { name: 'crash', action: { kind: 'guest-command', command: 'echo c > /proc/sysrq-trigger' } },
      ],
    };
    const { report, pid, dir } = await runWith(panic, () => {});
    expect(report.fault).toMatchObject({ kind: 'guest-panic', step: 'crash' });
    expect(report.findings.some((f) => f.kind === 'panic' && f.step === 'crash')).toBe(true);
    // Every probe of the boot step matched, yet the panic decides: exit 1, S7 violated.
    expect(report.summary.mismatches + report.summary.violations).toBe(0);
    expect(report.safety.find((s) => s.id === 'S7')?.status).toBe('violated');
    expect(reportExitCode(report)).toBe(1);
    expect(report.steps[0].error).toBeUndefined();
    expectNothingLeft(pid, dir);
  }, 300_000);

  it('the long-lived probe agent killed in the guest: agent-crash', async () => {
    const s: Scenario = {
      name: 'agent-crash',
      description: 'kill the agent that holds the mappings',
      steps: [
        { name: 'boot', action: { kind: 'boot' } },
        { name: 'hold', action: { kind: 'hold', mappings: [{ name: 'low', target: { addr: '0x1000' } }] } },
        { name: 'kill-agent', action: { kind: 'guest-command', command: 'killall -9 devmem-agent' } },
      ],
    };
    const { report, pid, dir } = await runWith(s, () => {});
    expect(report.fault).toMatchObject({ kind: 'agent-crash', step: 'kill-agent' });
    expect(report.steps[1].error).toBeUndefined();
    expectNothingLeft(pid, dir);
  }, 300_000);

  it("the guest's SSH server killed: ssh-drop", async () => {
    const s: Scenario = {
      name: 'ssh-drop',
      description: 'kill dropbear under the lab',
      steps: [
        { name: 'boot', action: { kind: 'boot' } },
        { name: 'kill-sshd', action: { kind: 'guest-command', command: 'killall -9 dropbear' } },
      ],
    };
    const { report, pid, dir } = await runWith(s, () => {});
    expect(report.fault).toMatchObject({ kind: 'ssh-drop', step: 'kill-sshd' });
    expectNothingLeft(pid, dir);
  }, 300_000);

  it('a guest that never serves SSH after "ready": relaunched once, recorded, the run completes', async () => {
    const starts: { pid: number; dir: string }[] = [];
    const { report, pid, dir } = await runWith(
      { ...LIFECYCLE, steps: LIFECYCLE.steps.slice(0, 2) },
      (e, qemu) => {
        if (e.type === 'vm-start') starts.push({ pid: e.pid, dir: e.dir });
        // Freeze the first guest the moment init says it is ready.
        if (e.type === 'console' && /devmem-lab-init: ready/.test(e.line) && starts.length === 1) process.kill(qemu, 'SIGSTOP');
      },
      // The boot path's retry: a restored guest has no boot to relaunch.
      { timeouts: { ssh: 10_000 }, freshBoot: true },
    );
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('completed');
    expect(report.environment.bootRetries).toEqual([
      expect.objectContaining({ code: 'E_SSH_CONNECT', message: expect.stringContaining('no SSH connection'), consoleTail: expect.arrayContaining([expect.stringMatching(/devmem-lab-init: ready/)]) }),
    ]);
    expect(report.steps.map((s) => s.name)).toEqual(['boot', 'driver-loaded']);
    expect(starts).toHaveLength(2);
    expect(await gone(starts[0].pid)).toBe(true);
    expect(existsSync(starts[0].dir)).toBe(false);
    expectNothingLeft(pid, dir);
  }, 300_000);

  it('a guest that stops answering: guest-hang after the named timeout', async () => {
    const { report, pid, dir } = await runWith(
      LIFECYCLE,
      (e, qemu) => {
        if (e.type === 'step-action' && e.step === 'driver-loaded') process.kill(qemu, 'SIGSTOP');
      },
      { timeouts: { settle: 4000, observe: 4000, probes: 4000 } },
    );
    expect(report.fault).toMatchObject({ kind: 'guest-hang', step: 'driver-loaded', code: 'E_TIMEOUT' });
    expect(report.steps[0].error).toBeUndefined();
    expectNothingLeft(pid, dir);
  }, 300_000);
});

describe('signals to the lab process (bin/devmem-lab)', () => {
  const start = (out: string) => spawn(pkgPath('bin/devmem-lab'), ['run', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  const eventsOf = (out: string): RunEvent[] =>
    existsSync(join(out, 'events.jsonl'))
      ? readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
      : [];
  async function waitFor(out: string, pred: (e: RunEvent) => boolean, ms = 120_000): Promise<RunEvent[]> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const ev = eventsOf(out);
      if (ev.some(pred)) return ev;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('event never came');
  }

  it('SIGINT: exit 3, an interrupted report with the finished steps, nothing left', async () => {
    const out = tmp();
    const child = start(out);
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const ev = await waitFor(out, (e) => e.type === 'step-end' && e.step === 'boot');
    const { pid, dir } = ev.find((e) => e.type === 'vm-start') as { pid: number; dir: string };
    child.kill('SIGINT');
    expect(await exited).toBe(3);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.status).toBe('interrupted');
    expect(report.fault?.kind).toBe('interrupted');
    expect(report.steps[0].name).toBe('boot');
    expect(await gone(pid)).toBe(true);
    expectNothingLeft(pid, dir);
  }, 300_000);

  it('SIGKILL: QEMU dies with the lab (parent-death signal), the partial report stays valid', async () => {
    const out = tmp();
    const child = start(out);
    const ev = await waitFor(out, (e) => e.type === 'guest-ready');
    const { pid, dir } = ev.find((e) => e.type === 'vm-start') as { pid: number; dir: string };
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    expect(await gone(pid)).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.schema).toBe('devmem-lab/report@1');
    expect(report.status).toBe('running');
    expectNothingLeft(pid, dir);
  }, 300_000);
});
