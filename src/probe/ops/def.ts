// What one probe operation is to the lab: its names on the wire, what the
// agent demands of its requests and may answer, whether it needs the
// long-lived agent, and how the model predicts it. Each op family is one
// file in this folder (and one in guest-image/ops/ for the agent);
// index.ts lists them.
//
// Nothing here imports the model (src/model imports the probe vocabulary):
// an op's prediction is written against StepModel, the predictions the
// model offers for one step's state, which model/predict.ts supplies.

/** The model's predictions from one step's state that an op's `predict` composes (model/predict.ts binds them to the step and the fd). */
export interface StepModel<E> {
  /** read_mem() / write_mem() on the fd: R-RW-* (model/rw.ts). */
  readWrite(dir: 'read' | 'write', addr: number, len: number): E;
  /** mmap_mem() of a fresh mapping: R-MMAP-* (model/mmap.ts); `oSync`: on the agent's O_SYNC fd, whatever fd the probe was given. */
  mmap(addr: number, len: number, o: { private: boolean; oSync?: boolean }): E;
  /** A fresh mapping read byte by byte: R-MMAP-* then R-TOUCH (model/touch.ts). */
  touch(addr: number, len: number, o: { private: boolean }): E;
  /** /proc/self/mem on the copy-on-write pages of a private writable mapping: R-MMAP-* then R-PTRACE-RAM (model/ptrace.ts). */
  cowProcmem(addr: number, len: number): E;
}

/** One request as an op's prediction sees it. */
export interface OpRequest<N extends string = string> {
  op: N;
  addr: number;
  len: number;
}

/** An op's prediction from one step's state, in the terms of StepModel. */
export type StepPredict<N extends string> = <E>(m: StepModel<E>, r: OpRequest<N>) => E;

export interface ProbeOpDef<N extends string = string> {
  /** Its names in requests and answers (often a -shared and a -private variant). */
  names: readonly N[];
  /** The syscalls an errno answer may name ("hold": nothing held there; "kcore": no direct-map segment). */
  syscalls: readonly string[];
  /** A successful answer's fields: bytes, zero and fnv ('data'), the bytes written ('written'), or none ('done'). */
  ok: 'data' | 'written' | 'done';
  /** It touches a mapping: it may answer a signal, and a complete touch is exactly len bytes. */
  touches?: true;
  /** A write probe: without -w the agent answers "refused" and makes no syscall. */
  needsWrite?: true;
  /** The agent may answer "refused" for an address the op cannot express (no syscall made; the probe is skipped). */
  mayRefuse?: true;
  /** It makes, uses or releases a held mapping: it needs the long-lived agent. */
  held?: true;
  /** What the request must be a multiple of: nothing ('byte'), 8 for addr and len ('word'), the page for addr ('page'). */
  align: 'byte' | 'word' | 'page';
  /** It reads or writes the bytes (not only maps them): the planner keeps it out of ranges the guest must not access. */
  accessesMemory: boolean;
  /**
   * The model's prediction from one step's state; null when one step's state
   * is not enough (lab/held.ts judges held uses from the mapping's history
   * and kcore from the page's hotplug state; a release is the action's record).
   */
  predict: StepPredict<N> | null;
}

/** Keeps an op's names as literal types, so index.ts can derive ProbeOp from them. */
export const defineOp = <const N extends string>(def: ProbeOpDef<N>): ProbeOpDef<N> => def;

/** The MAP_PRIVATE variant of an op. */
export const isPrivate = (op: string): boolean => op.endsWith('-private');
