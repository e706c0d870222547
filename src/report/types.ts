// The report's shape (schema "devmem-lab/report@1"). Later stages add fields;
// readers must ignore fields they do not know.
import type { ProbeRecord } from '../probe/types.js';

export const REPORT_SCHEMA = 'devmem-lab/report@1';

export interface StepObservations {
  /** /proc/iomem as the guest printed it (read as root: real addresses). */
  iomem: string;
  /** Kernel log lines that appeared during the step. */
  dmesg: string[];
  /** QMP query-memory-devices after the step. */
  memoryDevices: unknown[];
  /** Whether a virtio device is bound to the virtio_mem driver. */
  virtioMemBound: boolean;
  /** Whether the virtio_mem module is loaded. */
  virtioMemLoaded: boolean;
  /** First physical address where a 1-byte /dev/mem pread fails EFAULT (hex). */
  highMemoryEnd: string;
  /** The action's own record (resize progress, module command output, ...). */
  action: Record<string, unknown>;
}

export interface StepReport {
  name: string;
  action: string;
  startedAt: string;
  durationMs: number;
  observations: StepObservations;
  probes: ProbeRecord[];
  error?: { code: string; message: string };
}

export interface Environment {
  runId: string;
  startedAt: string;
  kernel: { spec: string; source: string; release: string; imageSha256: string; config: Record<string, string> };
  guest: { version: string; cmdline: string; physBits: number; lockdown: string };
  qemu: { version: string; argv: string[]; accel: string };
  image: { key: string; size: number };
  host: { node: string; platform: string; release: string };
  profile: unknown;
  scenario: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  status: 'completed' | 'failed' | 'interrupted' | 'running';
  environment: Partial<Environment>;
  steps: StepReport[];
  summary: { steps: number; probes: number; byOp: Record<string, number>; byResult: Record<string, number>; durationMs: number };
  error?: { code: string; kind: string; message: string; hint?: string; context?: unknown };
}

export function summarize(steps: StepReport[], durationMs: number): Report['summary'] {
  const byOp: Record<string, number> = {};
  const byResult: Record<string, number> = {};
  let probes = 0;
  for (const s of steps) {
    for (const p of s.probes) {
      probes++;
      byOp[p.op] = (byOp[p.op] ?? 0) + 1;
      byResult[p.observed.result] = (byResult[p.observed.result] ?? 0) + 1;
    }
  }
  return { steps: steps.length, probes, byOp, byResult, durationMs };
}
