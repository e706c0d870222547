import type { ProbeOp } from '../probe/types.js';

// A scenario: a named list of steps. After every step the lab observes the
// guest and the device and runs the probe plan.

export type StepAction =
  | { kind: 'boot' }
  | { kind: 'modprobe'; module: string }
  | { kind: 'rmmod'; module: string }
  | { kind: 'resize'; sizeMiB: number }
  /** One /dev/mem access at an offset into the virtio-mem device's region (whatever the kernel allows). */
  | { kind: 'access'; op: ProbeOp; deviceOffsetMiB?: number; addr?: string; mmioHole?: true; withoutRawio?: boolean }
  /** A command for the guest's /bin/sh (as root); its exit code is recorded. */
  | { kind: 'guest-command'; command: string }
  /**
   * The host writes a data pattern into a plugged device block through the
   * shared backend; the guest reads the page back through /proc/kcore and
   * the two must agree.
   */
  | { kind: 'host-pattern'; deviceOffsetMiB: number }
  /** Map pages of /dev/mem and keep them for the rest of the run; every later step touches and ptrace-reads them. */
  | { kind: 'hold'; mappings: HeldSpec[] }
  /** munmap held mappings by name (`split`: mprotect the last page PROT_NONE first): their PAT reservations must go with them (S6). */
  | { kind: 'release'; mappings: string[]; split?: boolean };

export interface HeldSpec {
  name: string;
  /**
   * A device-region offset, an absolute physical address, the first unclaimed
   * page of a PCI window, or an edge of the device region: `last` starts at
   * its last page (more pages run past its end), `first` ends at its first
   * page (more pages start below it).
   */
  target: { deviceOffsetMiB: number } | { addr: string } | { mmioHole: true } | { deviceEdge: 'first' | 'last' };
  /** Pages mapped (default 1); an mmio hole is then the first run of that many unclaimed pages. */
  pages?: number;
  private?: boolean;
  /**
   * Also write the held (read-only) mapping through /proc/self/mem at every
   * later step (R-PTRACE-RO; the kernel must refuse). The long-lived agent
   * then runs with -w.
   */
  ptraceWrite?: boolean;
}

export interface ScenarioStep {
  name: string;
  action: StepAction;
}

export interface Scenario {
  name: string;
  description: string;
  /** Extra kernel command line the scenario needs. */
  cmdline?: string[];
  /** Probe /proc/kcore at every step. */
  kcore?: boolean;
  steps: ScenarioStep[];
}

export const describeAction = (a: StepAction): string => {
  switch (a.kind) {
    case 'boot':
      return 'boot';
    case 'modprobe':
      return `modprobe ${a.module}`;
    case 'rmmod':
      return `rmmod ${a.module}`;
    case 'resize':
      return `resize to ${a.sizeMiB} MiB`;
    case 'access':
      return a.addr !== undefined ? `${a.op} at ${a.addr}` : a.mmioHole ? `${a.op} of an unclaimed MMIO page` : `${a.op} of the device region at +${a.deviceOffsetMiB} MiB`;
    case 'guest-command':
      return `guest: ${a.command}`;
    case 'host-pattern':
      return `host writes a pattern at +${a.deviceOffsetMiB} MiB, guest reads it through /proc/kcore`;
    case 'hold':
      return `hold ${a.mappings.map((m) => m.name).join(', ')}`;
    case 'release':
      return `release ${a.mappings.join(', ')}${a.split ? ' (split first)' : ''}`;
  }
};
