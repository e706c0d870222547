// Where one run is, folded from its events: the running step, its probes
// done of the planned total, and the rate at which the agent answers them.
import type { RunEvent } from '../format/events.js';

export interface StepProgress {
  /** "3/7". */
  index: string;
  name: string;
  /** Planned probes (the step's `probes-planned` event), once known. */
  total?: number;
  done: number;
  /** Clock times: the plan announced, and the step's end. */
  plannedAt?: number;
  endedAt?: number;
}

export class RunProgress {
  step?: StepProgress;
  probes = 0;
  mismatches = 0;

  constructor(private readonly now: () => number = Date.now) {}

  event(e: RunEvent): void {
    switch (e.type) {
      case 'step-start':
        this.step = { index: `${e.index + 1}/${e.total}`, name: e.step, done: 0 };
        return;
      case 'probes-planned':
        if (this.step?.name === e.step) Object.assign(this.step, { total: e.total, plannedAt: this.now() });
        return;
      case 'probe':
        this.probes++;
        if (e.probe.verdict === 'mismatch' || e.probe.verdict === 'violation') this.mismatches++;
        if (this.step?.name === e.step) this.step.done++;
        return;
      case 'step-end':
        if (this.step?.name === e.step) this.step.endedAt = this.now();
        return;
    }
  }

  /** Probes per second since the plan was announced (until the step ended), once one has arrived. */
  rate(): number | undefined {
    const s = this.step;
    if (!s || s.plannedAt === undefined || s.done === 0) return undefined;
    const ms = (s.endedAt ?? this.now()) - s.plannedAt;
    return ms > 0 ? (s.done * 1000) / ms : undefined;
  }

  /** "120/388": probes done of the planned total (the count alone before the total is known); '' before the first. */
  fraction(): string {
    const s = this.step;
    if (!s || (s.total === undefined && s.done === 0)) return '';
    return `${s.done}${s.total === undefined ? '' : `/${s.total}`}`;
  }

  /** "120/388 240/s": the fraction and the rate, once there is one. */
  counts(): string {
    const r = this.rate();
    return `${this.fraction()}${r === undefined ? '' : ` ${formatRate(r)}`}`;
  }
}

export const formatRate = (r: number): string => `${r >= 10 ? Math.round(r) : r.toFixed(1)}/s`;
