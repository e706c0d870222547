// A failed `modprobe virtio_mem` ends the run when a later step needs the driver.
import { describe, expect, it } from 'vitest';
import { driverPrecondition } from '../../src/lab/precondition.js';
import type { StepReport } from '../../src/format/types.js';
import type { ScenarioStep } from '../../src/lab/scenario.js';

const modprobe: ScenarioStep = { name: 'driver-loaded', action: { kind: 'modprobe', module: 'virtio_mem' } };
const plug: ScenarioStep = { name: 'plug-512M', action: { kind: 'resize', sizeMiB: 512 } };
const rmmod: ScenarioStep = { name: 'rmmod', action: { kind: 'rmmod', module: 'virtio_mem' } };
const reload: ScenarioStep = { name: 'modprobe', action: { kind: 'modprobe', module: 'virtio_mem' } };

const done = (bound: boolean, checks: StepReport['checks'] = []): StepReport => ({
  name: 'driver-loaded',
  action: 'modprobe virtio_mem',
  startedAt: '',
  durationMs: 0,
  observations: {
    iomem: '', dmesg: ['Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7'], memoryDevices: [], virtioMemBound: bound, virtioMemLoaded: bound, highMemoryEnd: '',
    action: { command: 'modprobe virtio_mem', exitCode: 1, stderr: "modprobe: can't load module virtio_mem (kernel/drivers/virtio/virtio_mem.ko): Operation not permitted" },
  },
  probes: [],
  checks,
});

describe('driverPrecondition', () => {
  it('a failed load before a resize ends the run, naming the command, its stderr and the blocked steps', () => {
    const e = driverPrecondition(modprobe, done(false), [plug, rmmod]);
    expect(e?.code).toBe('E_DRIVER_NOT_LOADED');
    expect(e?.message).toMatch(/exit 1: modprobe: can't load module virtio_mem .*Operation not permitted\); .*plug-512M cannot run/);
    expect(e?.context).toMatchObject({ stderr: expect.stringContaining('Operation not permitted'), dmesg: [expect.stringContaining('unsigned module loading')] });
  });
  it('names lockdown in the hint when the model predicted the refusal', () => {
    const e = driverPrecondition(modprobe, done(false, [{ rule: 'R-MODULE-LOCKDOWN', verdict: 'match', message: 'lockdown=integrity and virtio_mem.ko carries no signature' }]), [plug]);
    expect(e?.hint).toBe('R-MODULE-LOCKDOWN: lockdown=integrity and virtio_mem.ko carries no signature; sign the modules, or run without lockdown=');
  });
  it('goes on when the driver bound, when nothing later needs it, or when a later modprobe comes first', () => {
    expect(driverPrecondition(modprobe, done(true), [plug])).toBeUndefined();
    expect(driverPrecondition(modprobe, done(false), [rmmod])).toBeUndefined();
    expect(driverPrecondition(modprobe, done(false), [reload, plug])).toBeUndefined();
    expect(driverPrecondition(rmmod, done(false), [plug])).toBeUndefined();
  });
});
