// S7: every console finding violates it (lab/kernel-log.ts); a run that
// reached its end without one holds it.
import type { SafetyProperty } from './property.js';

export const s7: SafetyProperty = {
  id: 'S7',
  text: 'the kernel log stays clean: no WARN, BUG, Oops, panic or "freeing invalid memtype" line appears during the run (the model predicts none)',
  source: 'the functions in the logged stack trace',
  atEnd: (v) => [{ property: 'S7', exercised: true, violated: false, evidence: `${v.steps} steps: no WARN, BUG, Oops or panic on the console, no memtype bookkeeping line in dmesg` }],
};
