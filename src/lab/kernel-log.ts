// S7, a clean kernel log: the console lines that say the kernel hit a path
// it considers a bug (WARN, BUG, Oops, a panic), each with the lines that
// follow it (the stack trace, up to "---[ end trace"), so a finding carries
// what a maintainer needs; and the dmesg lines that say it lost track of its
// own bookkeeping ("freeing invalid memtype": pr_info, below the console's
// log level, so read from each step's dmesg). Any one is a violation, but
// for a WARNING the model predicts by a rule (KernelLog.expected).
import type { SafetyEvidence } from '../model/index.js';
import { consoleFinding, type ConsoleFinding } from './faults.js';

/** A line that is not a WARN/BUG/Oops itself but means the same. */
const BOOKKEEPING = /x86\/PAT: .*freeing invalid memtype/;
const CUT_HERE = /-{4,}\[ cut here \]-{4,}/;
const TRACE_LINES = 40;
const END = /---\[ end trace/;

export class KernelLog {
  private open?: { finding: ConsoleFinding; trace: string[]; expectedBy?: string };
  /**
   * The rule that predicts a WARNING line, if any (the model's
   * expectedConsoleWarning(): arm64's ioremap_allowed() WARNs by design on
   * every ptrace of RAM). Set once the run knows the kernel's facts; such a
   * WARNING is no finding and no S7 violation, and its trace is swallowed.
   */
  expected?: (line: string) => string | undefined;
  /** The line before a WARNING: the WARN's own message ("ioremap on RAM at …"). */
  private prev = '';
  /** Lines seen before the first step began are the boot's: S7 counts them as well. */
  constructor(
    private readonly onFinding: (f: ConsoleFinding) => void,
    private readonly onSafety: (e: SafetyEvidence) => void,
  ) {}

  feed(line: string, step: string | undefined): void {
    const text = line.replace(/^\[\s*\d+\.\d+\]\s*/, '');
    if (this.open) {
      this.open.trace.push(text);
      if (END.test(text) || this.open.trace.length >= TRACE_LINES) this.close();
      return;
    }
    const prev = this.prev;
    this.prev = text;
    const f = consoleFinding(line, step);
    if (!f) return;
    if (f.kind === 'warning' && prev && !CUT_HERE.test(prev)) f.message = prev;
    const expectedBy = f.kind === 'warning' ? this.expected?.(text) : undefined;
    if (expectedBy) {
      this.open = { finding: f, trace: [], expectedBy };
      this.onSafety({ property: 'S7', exercised: true, violated: false, evidence: `${step ?? 'boot'}: a WARNING the model predicts (${expectedBy}): ${text}` });
      return;
    }
    this.onFinding(f);
    if (f.kind === 'warning' || f.kind === 'bug' || f.kind === 'oops') this.open = { finding: f, trace: [] };
    else this.report(f);
  }

  /** Ends an unterminated trace (the run ended, or the console stopped). */
  close(): void {
    if (!this.open) return;
    const { finding, trace, expectedBy } = this.open;
    finding.trace = trace;
    this.open = undefined;
    if (!expectedBy) this.report(finding);
  }

  /** The bookkeeping lines of one step's dmesg delta, as findings and S7 evidence. */
  dmesg(lines: string[], step: string): void {
    for (const l of lines.filter((x) => BOOKKEEPING.test(x))) {
      const f: ConsoleFinding = { kind: 'bookkeeping', step, line: l.trim() };
      this.onFinding(f);
      this.report(f);
    }
  }

  private report(f: ConsoleFinding): void {
    const lines = [f.message, f.line, ...(f.trace ?? [])].filter(Boolean);
    this.onSafety({ property: 'S7', exercised: true, violated: true, evidence: `${f.step ?? 'boot'}: ${lines.join('\n')}` });
  }
}
