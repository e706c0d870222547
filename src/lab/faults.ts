// What went wrong, in one word, with its evidence: the report's answer when
// a run does not complete, and the console lines worth a kernel developer's
// attention even when it does.
import type { ConsoleFinding, Fault, FaultKind } from '../format/faults.js';
import { AgentProtocolError } from '../probe/agent-protocol.js';
import { QmpError } from '../qmp/errors.js';
import { LabError, errorMessage, type ErrorReason } from '../util/errors.js';
import type { VmExit } from '../vm/qemu.js';

export type { ConsoleFinding, Fault, FaultKind } from '../format/faults.js';

const PANIC = /Kernel panic - not syncing/;
/** What ssh2 itself throws when the connection goes (not a LabError). */
const SSH_LIBRARY = /ECONNRESET|Not connected|No response from server/;

/** The reason of an error that is not the lab's own. */
function foreignReason(e: unknown): FaultKind {
  if (e instanceof QmpError) return e.reason === 'timeout' ? 'guest-hang' : e.reason === 'disconnected' ? 'qmp-disconnect' : 'run-error';
  if (e instanceof AgentProtocolError) return 'agent-crash';
  return SSH_LIBRARY.test(errorMessage(e)) ? 'ssh-drop' : 'run-error';
}

/** Reasons QEMU's own exit does not explain: they stand even when QEMU is gone. */
const OWN: readonly ErrorReason[] = ['bad-input', 'environment', 'precondition'];

export function classifyFault(e: unknown, ctx: { aborted: boolean; vmExit?: VmExit; consoleTail: string[]; step?: string }): Fault {
  const code = (e as { code?: string })?.code ?? 'E_UNEXPECTED';
  const base = { step: ctx.step, message: errorMessage(e), code, qemuExit: ctx.vmExit ?? null, consoleTail: ctx.consoleTail.slice(-30) };
  const kind = ((): FaultKind => {
    if (ctx.aborted) return 'interrupted';
    if (ctx.consoleTail.some((l) => PANIC.test(l))) return 'guest-panic';
    const reason: FaultKind = e instanceof LabError ? e.reason : foreignReason(e);
    if (OWN.includes(reason as ErrorReason)) return reason;
    // A dead QEMU explains the broken SSH, QMP or agent that surfaced first.
    if (ctx.vmExit) return 'qemu-exited';
    return reason;
  })();
  return { kind, ...base };
}

const FINDINGS: [ConsoleFinding['kind'], RegExp][] = [
  ['panic', PANIC],
  ['oops', /\bOops\b|general protection fault|unable to handle (kernel|page)/i],
  ['bug', /\bBUG:/],
  ['warning', /\bWARNING: .* at /],
];

/** A console line worth recording as a finding (the run goes on). */
export function consoleFinding(line: string, step?: string): ConsoleFinding | undefined {
  for (const [kind, re] of FINDINGS) if (re.test(line)) return { kind, step, line: line.trim() };
  return undefined;
}
