// predict(): the model's expectation for one planned probe, with the rule
// that decided it. Open first (every probe opens /dev/mem), then the op's
// own prediction (its ProbeOpDef in probe/ops/), over the model's
// predictions for this step's state (StepModel).

import { opDef, type StepModel } from '../probe/ops/index.js';
import type { ProbeSpec } from '../probe/types.js';
import type { KernelFacts, LockdownLevel, StepState } from './facts.js';
import { modelContext } from './context.js';
import { mergeVia, type Expected } from './expected.js';
import { predictPtrace } from './ptrace.js';
import { predictMmap } from './mmap.js';
import { DEFAULT_OPEN, predictOpen, type OpenContext } from './open.js';
import { predictReadWrite } from './rw.js';
import { predictTouch } from './touch.js';

export interface PredictOptions {
  /** The agent holds CAP_SYS_RAWIO (default true: it runs as root). */
  capSysRawio?: boolean;
  /** Lockdown level when the agent opened its fd (default: the step's current level). */
  lockdownAtOpen?: LockdownLevel;
  /** How /dev/mem exists in the guest (default devtmpfs). */
  devNode?: OpenContext['devNode'];
  /** The fd was opened with O_SYNC (default false). */
  oSync?: boolean;
}

export function predict(facts: KernelFacts, state: StepState, spec: ProbeSpec, opts: PredictOptions = {}): Expected {
  const open = predictOpen(facts, {
    capSysRawio: opts.capSysRawio ?? DEFAULT_OPEN.capSysRawio,
    lockdownAtOpen: opts.lockdownAtOpen ?? state.lockdown,
    devNode: opts.devNode ?? DEFAULT_OPEN.devNode,
  });
  if (open) return open;
  const def = opDef(spec.op);
  // held-* depend on the mapping's history, kcore on the page's hotplug
  // state: predictHeldTouch(), predictPtrace(), predictKcore().
  if (!def?.predict) throw new Error(`predict() cannot judge ${spec.op} from one step's state`);
  return def.predict(stepModel(facts, state, opts.oSync ?? false), spec);
}

/** The model's predictions for one step's state; `oSync`: the probe's fd was opened O_SYNC. */
export function stepModel(facts: KernelFacts, state: StepState, oSync: boolean): StepModel<Expected> {
  const ctx = modelContext(facts, state);
  return {
    readWrite: (dir, addr, len) => predictReadWrite(ctx, dir, addr, len),
    mmap: (addr, len, o) => predictMmap(ctx, addr, len, { private: o.private, oSync: oSync || o.oSync === true }),
    touch: (addr, len, o) => predictTouch(ctx, addr, len, { private: o.private, oSync }),
    cowProcmem: (addr, len) => {
      // The private mapping first (R-MMAP-*), then /proc/self/mem on the
      // copy-on-write pages: ordinary RAM, which generic_access_phys()'s
      // ioremap_prot() refuses (R-PTRACE-RAM, EIO).
      const map = predictMmap(ctx, addr, len, { private: true, oSync });
      if (map.outcome !== 'ok') return map;
      const e = predictPtrace(facts, { write: false, revoked: false, pteWritable: true, target: 'cow', via: 'proc-mem' });
      return { ...e, via: mergeVia(map.via, e.via) };
    },
  };
}
