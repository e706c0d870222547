// Scenarios that ship with the lab.
import { inputError } from '../util/errors.js';
import type { Scenario } from './types.js';

export const LIFECYCLE: Scenario = {
  name: 'lifecycle',
  description:
    'boot, load virtio_mem, plug 512 MiB, partial unplug to 256 MiB, unplug to 0, rmmod virtio_mem, modprobe virtio_mem',
  steps: [
    { name: 'boot', action: { kind: 'boot' } },
    { name: 'driver-loaded', action: { kind: 'modprobe', module: 'virtio_mem' } },
    { name: 'plug-512M', action: { kind: 'resize', sizeMiB: 512 } },
    { name: 'unplug-to-256M', action: { kind: 'resize', sizeMiB: 256 } },
    { name: 'unplug-to-0', action: { kind: 'resize', sizeMiB: 0 } },
    { name: 'rmmod', action: { kind: 'rmmod', module: 'virtio_mem' } },
    { name: 'modprobe', action: { kind: 'modprobe', module: 'virtio_mem' } },
  ],
};

/**
 * The guest touches an unplugged device block by a route the kernel allows
 * (the region is unclaimed before virtio_mem loads, and mmap has no
 * high_memory check): S4 must flag exactly that block.
 */
export const TOUCH_UNPLUGGED: Scenario = {
  name: 'touch-unplugged',
  description: 'boot, then mmap and read an unplugged device block (offset 10 MiB = block 5) through /dev/mem before the driver loads',
  steps: [
    { name: 'boot', action: { kind: 'boot' } },
    { name: 'touch-block-5', action: { kind: 'access', op: 'touch-shared', deviceOffsetMiB: 10 } },
  ],
};

export const BUILTIN_SCENARIOS: Record<string, Scenario> = { lifecycle: LIFECYCLE, 'touch-unplugged': TOUCH_UNPLUGGED };

export function builtinScenario(name: string): Scenario {
  const s = BUILTIN_SCENARIOS[name];
  if (!s) {
    throw inputError('E_SCENARIO', `unknown scenario ${JSON.stringify(name)}`, `use one of: ${Object.keys(BUILTIN_SCENARIOS).join(', ')}`);
  }
  return s;
}
