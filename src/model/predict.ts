// predict(): the model's expectation for one planned probe, with the rule
// that decided it. Open first (every probe opens /dev/mem), then the op.

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
  const ctx = modelContext(facts, state);
  const oSync = opts.oSync ?? false;
  switch (spec.op) {
    case 'read':
    case 'write':
      return predictReadWrite(ctx, spec.op, spec.addr, spec.len);
    case 'mmap-shared':
    case 'mmap-private':
    case 'mmap-sync-shared': // on an O_SYNC fd whatever the options say
    case 'mmap-sync-private':
      return predictMmap(ctx, spec.addr, spec.len, { private: spec.op.endsWith('-private'), oSync: oSync || spec.op.startsWith('mmap-sync') });
    case 'touch-shared':
    case 'touch-private':
      return predictTouch(ctx, spec.addr, spec.len, { private: spec.op === 'touch-private', oSync });
    case 'hold-shared':
    case 'hold-private':
      return predictMmap(ctx, spec.addr, spec.len, { private: spec.op === 'hold-private', oSync });
    case 'cow-write':
      // A private mapping stored into and unmapped: only the mapping can fail.
      return predictMmap(ctx, spec.addr, spec.len, { private: true, oSync });
    case 'cow-procmem': {
      // The private mapping first (R-MMAP-*), then /proc/self/mem on the
      // copy-on-write pages: ordinary RAM, which generic_access_phys()'s
      // ioremap_prot() refuses (R-PTRACE-RAM, EIO).
      const map = predictMmap(ctx, spec.addr, spec.len, { private: true, oSync });
      if (map.outcome !== 'ok') return map;
      const e = predictPtrace(facts, { write: false, revoked: false, pteWritable: true, target: 'cow', via: 'proc-mem' });
      return { ...e, via: mergeVia(map.via, e.via) };
    }
    default:
      // held-* depend on the mapping's history, kcore on the page's hotplug
      // state: predictHeldTouch(), predictPtrace(), predictKcore().
      throw new Error(`predict() cannot judge ${spec.op} from one step's state`);
  }
}
