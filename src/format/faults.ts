// A run's fault and its console findings, as the report stores them
// (lab/faults.ts classifies; lab/kernel-log.ts reads the console).
import type { VmExit } from '../vm/qemu.js';

export type FaultKind =
  | 'interrupted' // SIGINT / SIGTERM of the lab
  | 'guest-panic' // the kernel panicked (panic=-1 and -no-reboot end QEMU)
  | 'qemu-exited' // QEMU died or was killed
  | 'guest-hang' // a named wait timed out with QEMU alive
  | 'qmp-disconnect'
  | 'ssh-drop'
  | 'agent-crash' // the probe agent died or spoke garbage
  | 'precondition' // a step's action failed so that the later steps cannot run (the driver did not load)
  | 'bad-input'
  | 'environment' // a missing tool, KVM that does not boot, …
  | 'run-error';

export interface Fault {
  kind: FaultKind;
  /** The step it hit, if any. */
  step?: string;
  message: string;
  code: string;
  qemuExit?: VmExit | null;
  consoleTail: string[];
}

export interface ConsoleFinding {
  /** bookkeeping: a line the kernel prints when its own records disagree ("freeing invalid memtype"). */
  kind: 'panic' | 'oops' | 'bug' | 'warning' | 'bookkeeping';
  step?: string;
  line: string;
  /** The line before a WARNING that is its message (e.g. "ioremap on RAM at …"). */
  message?: string;
  /** The lines after a WARN, BUG or Oops: its stack trace. */
  trace?: string[];
  /** In a repeated run: the repeat whose console showed it (1-based). */
  repeat?: number;
}
