// What went wrong, in one word, with its evidence: the report's answer when
// a run does not complete, and the console lines worth a kernel developer's
// attention even when it does.
import type { QmpError } from '../qmp/errors.js';
import type { ConsoleFinding, Fault, FaultKind } from '../format/faults.js';
import { LabError, errorMessage } from '../util/errors.js';

export type { ConsoleFinding, Fault, FaultKind } from '../format/faults.js';
import type { VmExit } from '../vm/qemu.js';



const PANIC = /Kernel panic - not syncing/;

export function classifyFault(e: unknown, ctx: { aborted: boolean; vmExit?: VmExit; consoleTail: string[]; step?: string }): Fault {
  const code = (e as { code?: string })?.code ?? 'E_UNEXPECTED';
  const base = { step: ctx.step, message: errorMessage(e), code, qemuExit: ctx.vmExit ?? null, consoleTail: ctx.consoleTail.slice(-30) };
  const kind = ((): FaultKind => {
    if (ctx.aborted) return 'interrupted';
    if (ctx.consoleTail.some((l) => PANIC.test(l))) return 'guest-panic';
    if (e instanceof LabError && e.kind === 'input') return 'bad-input';
    if (e instanceof LabError && e.kind === 'environment') return 'environment';
    if (code === 'E_DRIVER_NOT_LOADED') return 'precondition';
    if (ctx.vmExit) return 'qemu-exited';
    if (code === 'E_TIMEOUT' || code === 'E_RESIZE_TIMEOUT' || (e as QmpError)?.reason === 'timeout') return 'guest-hang';
    if (code === 'E_QMP' && (e as QmpError).reason === 'disconnected') return 'qmp-disconnect';
    if (code.startsWith('E_SSH') || /ECONNRESET|Not connected|No response from server/.test(base.message)) return 'ssh-drop';
    if (code === 'E_AGENT' || code === 'E_AGENT_PROTOCOL') return 'agent-crash';
    return 'run-error';
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
