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

export const BUILTIN_SCENARIOS: Record<string, Scenario> = { lifecycle: LIFECYCLE };

export function builtinScenario(name: string): Scenario {
  const s = BUILTIN_SCENARIOS[name];
  if (!s) {
    throw inputError('E_SCENARIO', `unknown scenario ${JSON.stringify(name)}`, `use one of: ${Object.keys(BUILTIN_SCENARIOS).join(', ')}`);
  }
  return s;
}
