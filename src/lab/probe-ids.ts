// The one allocator of a step's probe ids.

/**
 * Probe ids of one step: the plan takes 1..n, the scenario's access n + 1,
 * held uses and /proc/kcore follow from n + 2; hold requests, made by the
 * action before the plan exists, number from HOLD_BASE.
 */
export class ProbeIds {
  static readonly HOLD_BASE = 100_000;
  private next: number;
  readonly access: number;
  constructor(planned: number) {
    this.access = planned + 1;
    this.next = planned + 2;
  }
  /** The first of `n` consecutive ids. */
  take(n: number): number {
    const first = this.next;
    this.next += n;
    return first;
  }
}
