// The named timeouts of a run (ms); a run may override any of them (the
// fault tests shorten them). Every wait names which one it is.
import type { Accel } from '../vm/args.js';

export const TIMEOUTS = {
  firstConsoleKvm: 15_000,
  guestReady: 120_000,
  /** From init's "ready" to an SSH session (longer under load: two TCG guests on two cores). */
  ssh: 120_000,
  qmpConnect: 10_000,
  /** /proc/iomem reading the same twice after an action. */
  settle: 30_000,
  /** modprobe / rmmod / a scenario's guest command. */
  module: 60_000,
  resize: 180_000,
  /** One guest observation (iomem, dmesg, modules) or the high_memory search. */
  observe: 60_000,
  /** The agent's whole probe batch of one step. */
  probes: 300_000,
};
export type Timeouts = typeof TIMEOUTS;

/**
 * The values above are sized for TCG on a 2-core machine running two guests.
 * KVM runs the guest near native speed, so its waits are half as long;
 * either way each wait is then stretched by how slowly this guest came up
 * against the reference, never shrunk below the base value.
 */
export const ACCEL_SCALE: Record<Accel, number> = { tcg: 1, kvm: 0.5 };

/** Launch → init "ready" (boot) and restoreMs (restore) of a guest on an idle machine of the CI kind, per accelerator. */
export const REFERENCE_MS: Record<Accel, { boot: number; restore: number }> = {
  tcg: { boot: 6_000, restore: 1_500 },
  kvm: { boot: 2_000, restore: 500 },
};
export const MAX_SPEED_FACTOR = 8;

/** What the report records: the measurement behind the factor and the waits it gave. */
export interface SpeedFactor {
  accel: Accel;
  basis: 'boot' | 'restore';
  measuredMs: number;
  referenceMs: number;
  /** measured / reference, within [1, MAX_SPEED_FACTOR]. */
  factor: number;
}

export function speedFactor(accel: Accel, basis: 'boot' | 'restore', measuredMs: number): SpeedFactor {
  const referenceMs = REFERENCE_MS[accel][basis];
  const factor = Math.min(MAX_SPEED_FACTOR, Math.max(1, Math.round((measuredMs / referenceMs) * 100) / 100));
  return { accel, basis, measuredMs, referenceMs, factor };
}

/** Every named wait scaled for `accel` and `factor`; a value the run set itself (overrides) is kept as given. */
export function scaledTimeouts(accel: Accel, factor: number, overrides: Partial<Timeouts> = {}): Timeouts {
  const out = { ...TIMEOUTS };
  for (const k of Object.keys(out) as (keyof Timeouts)[]) {
    out[k] = overrides[k] ?? Math.round(TIMEOUTS[k] * ACCEL_SCALE[accel] * factor);
  }
  return out;
}
