// The action registry (src/lab/actions/): what each action says in a report,
// and what a scenario may ask of the device, checked before anything boots.
import { describe, expect, it } from 'vitest';
import { actionOpaque, actionSchema, checkActionsFit, describeAction, type StepAction } from '../../src/lab/actions/index.js';
import { LabError } from '../../src/util/errors.js';

const dev = { sizeMiB: 1024, blockSizeMiB: 2 };
const code = (f: () => void): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof LabError ? e.code : 'not a LabError';
  }
  return undefined;
};

describe('actions', () => {
  // A driver probe can claim its BAR and release it again within the step
  // (virtio-pci's ioremap() refused over a /dev/mem hold's reservation on 7.x):
  // the lab's own virtio_mem, resize and probe actions make only claims it sees.
  it('a guest command and another driver\'s modprobe or rmmod may hide claims; virtio_mem and the lab\'s own actions do not', () => {
    expect(actionOpaque({ kind: 'guest-command', command: 'echo 0000:00:03.0 > /sys/bus/pci/drivers/virtio-pci/bind' })).toBe(true);
    expect(actionOpaque({ kind: 'modprobe', module: 'virtio_rng' })).toBe(true);
    expect(actionOpaque({ kind: 'rmmod', module: 'virtio_net' })).toBe(true);
    expect(actionOpaque({ kind: 'modprobe', module: 'virtio_mem' })).toBe(false);
    expect(actionOpaque({ kind: 'rmmod', module: 'virtio_mem' })).toBe(false);
    expect(actionOpaque({ kind: 'resize', sizeMiB: 512 })).toBe(false);
    expect(actionOpaque({ kind: 'hold', mappings: [{ name: 'a', target: { mmioHole: true } }] })).toBe(false);
  });

  it('each kind reads as a step in a report', () => {
    const cases: [StepAction, string][] = [
      [{ kind: 'boot' }, 'boot'],
      [{ kind: 'modprobe', module: 'virtio_mem' }, 'modprobe virtio_mem'],
      [{ kind: 'rmmod', module: 'virtio_mem' }, 'rmmod virtio_mem'],
      [{ kind: 'resize', sizeMiB: 512 }, 'resize to 512 MiB'],
      [{ kind: 'access', op: 'read', addr: '0x1000' }, 'read at 0x1000'],
      [{ kind: 'access', op: 'mmap-shared', mmioHole: true }, 'mmap-shared of an unclaimed MMIO page'],
      [{ kind: 'access', op: 'touch-private', deviceOffsetMiB: 4 }, 'touch-private of the device region at +4 MiB'],
      [{ kind: 'guest-command', command: 'echo 1' }, 'guest: echo 1'],
      [{ kind: 'host-pattern', deviceOffsetMiB: 8 }, 'host writes a pattern at +8 MiB, guest reads it through /proc/kcore'],
      [{ kind: 'hold', mappings: [{ name: 'a', target: { deviceOffsetMiB: 0 } }, { name: 'b', target: { mmioHole: true } }] }, 'hold a, b'],
      [{ kind: 'release', mappings: ['a'], split: true }, 'release a (split first)'],
      [{ kind: 'release', mappings: ['a'], how: 'move-tail' }, 'release a (move-tail)'],
      [{ kind: 'release', mappings: ['a', 'b'], how: 'munmap' }, 'release a, b'],
    ];
    for (const [a, words] of cases) expect(describeAction(a)).toBe(words);
  });

  it('the schema takes every kind and refuses an unknown one or a stray field', () => {
    expect(actionSchema.safeParse({ kind: 'resize', sizeMiB: 2 }).success).toBe(true);
    expect(actionSchema.safeParse({ kind: 'reboot' }).success).toBe(false);
    expect(actionSchema.safeParse({ kind: 'boot', now: true }).success).toBe(false);
    // release: one path, named by "how" (or the older "split").
    expect(actionSchema.safeParse({ kind: 'release', mappings: ['a'], how: 'fork' }).success).toBe(true);
    expect(actionSchema.safeParse({ kind: 'release', mappings: ['a'], how: 'mremap' }).success).toBe(false);
    expect(actionSchema.safeParse({ kind: 'release', mappings: ['a'], how: 'move', split: true }).success).toBe(false);
    expect(actionSchema.safeParse({ kind: 'release', mappings: ['a'], how: 'split', split: true }).success).toBe(true);
    // access: exactly one place; held ops need a hold.
    expect(actionSchema.safeParse({ kind: 'access', op: 'read', addr: '0x0', deviceOffsetMiB: 0 }).success).toBe(false);
    expect(actionSchema.safeParse({ kind: 'access', op: 'held-touch-shared', addr: '0x0' }).success).toBe(false);
  });

  it('sizes must be whole device blocks inside the device, offsets inside it', () => {
    const steps = (action: StepAction) => [{ name: 's', action }];
    expect(code(() => checkActionsFit(steps({ kind: 'resize', sizeMiB: 1024 }), dev))).toBeUndefined();
    expect(code(() => checkActionsFit(steps({ kind: 'resize', sizeMiB: 3 }), dev))).toBe('E_SCENARIO_SIZE');
    expect(code(() => checkActionsFit(steps({ kind: 'resize', sizeMiB: 1026 }), dev))).toBe('E_SCENARIO_SIZE');
    expect(code(() => checkActionsFit(steps({ kind: 'access', op: 'read', deviceOffsetMiB: 1023 }), dev))).toBeUndefined();
    expect(code(() => checkActionsFit(steps({ kind: 'access', op: 'read', deviceOffsetMiB: 1024 }), dev))).toBe('E_SCENARIO_SIZE');
    expect(code(() => checkActionsFit(steps({ kind: 'host-pattern', deviceOffsetMiB: 1024 }), dev))).toBe('E_SCENARIO_SIZE');
    expect(code(() => checkActionsFit(steps({ kind: 'hold', mappings: [{ name: 'x', target: { deviceOffsetMiB: 2048 } }] }), dev))).toBe('E_SCENARIO_SIZE');
    // An address outside the device is not the device's business.
    expect(code(() => checkActionsFit(steps({ kind: 'hold', mappings: [{ name: 'x', target: { addr: '0x200000000' } }] }), dev))).toBeUndefined();
  });
});
