// The named timeouts of a run (ms); a run may override any of them (the
// fault tests shorten them). Every wait names which one it is.
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
