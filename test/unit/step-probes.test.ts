// A step's probes (src/lab/probes.ts) against a stand-in agent: the
// `probes-planned` event comes before the first probe, and its total is the
// number of probes the step records (plan, scenario access, hold requests,
// held uses, /proc/kcore), so a live view's done/total ends at total/total.
import { describe, expect, it } from 'vitest';
import { parseIomem } from '../../src/guest/iomem.js';
import type { RunContext } from '../../src/lab/context.js';
import type { Held } from '../../src/lab/held.js';
import { runStepProbes, type ProbeInputs } from '../../src/lab/probes.js';
import type { RunEvent } from '../../src/format/events.js';
import type { ProbeObserved, ProbeOp, ProbeRecord, ProbeSpec } from '../../src/probe/types.js';
import { BOOT_HIGH_MEMORY_END, facts, IOMEM, REGION, step } from './model/q35.js';

const MAP_ONLY = /^(mmap|hold|release)/;
const WRITES = /write/;
/** A well-formed answer of the agent for any op: ok, with what the op reports. */
const observedFor = (op: string, len: number): ProbeObserved =>
  MAP_ONLY.test(op) ? { result: 'ok' } : WRITES.test(op) ? { result: 'ok', bytes: len } : { result: 'ok', bytes: len, zero: true, fnv: '0'.repeat(16) };

function stage() {
  const seen: (RunEvent | { type: 'recorded'; probe: ProbeRecord })[] = [];
  const ctx = {
    facts: facts('6.1'),
    boot: { physBits: 40 },
    t: { probes: 10_000 },
    kcore: true,
    events: { emit: (e: RunEvent) => seen.push(e) },
    onSafety: () => {},
    // The one-shot agent: one answer line per request line, as the guest's agent writes them.
    ch: {
      exec: async (_cmd: string, o: { stdin: string; onStdoutLine: (l: string) => void }) => {
        for (const line of o.stdin.trim().split('\n')) {
          const [id, op, addr, len] = line.split(' ');
          o.onStdoutLine(JSON.stringify({ id: Number(id), op, addr, len: Number(len), ...observedFor(op, Number(len)) }));
        }
        return { code: 0, stdout: '', stderr: '' };
      },
    },
    // The long-lived agent of held mappings.
    agent: async () => ({ run: async (specs: ProbeSpec[]) => specs.map((s) => ({ ...s, addr: `0x${s.addr.toString(16)}`, observed: observedFor(s.op, s.len) })) }),
  } as unknown as RunContext;
  return { ctx, seen };
}

const hole: Held = { name: 'mmio-hole', start: 0x40000000, end: 0x40000fff, private: false, stepIndex: 0, ptraceWrite: false };
const spec = (id: number, op: ProbeOp, addr: number): ProbeSpec => ({ id, op, addr, len: 4096, why: 'scenario access' });
const rec = (s: ProbeSpec): ProbeRecord => ({ ...s, addr: `0x${s.addr.toString(16)}`, observed: observedFor(s.op, s.len) });

describe('a step\'s probes-planned event', () => {
  it('comes first and counts every probe the step records', async () => {
    const { ctx, seen } = stage();
    const state = step(IOMEM.beforeDriver, false, [], BOOT_HIGH_MEMORY_END);
    const access = spec(0, 'read', 0x100000);
    const holdReq = spec(100_000, 'hold-shared', 0x40001000);
    const x: ProbeInputs = {
      obs: {
        iomem: parseIomem(IOMEM.beforeDriver),
        device: { id: 'vm0', memaddr: REGION.start, maxSize: REGION.end - REGION.start + 1, size: 0, requestedSize: 0, blockSize: 2 ** 21 },
        virtioMemBound: false,
      } as ProbeInputs['obs'],
      state,
      done: { record: { kind: 'hold' }, held: [{ spec: holdReq, rec: rec(holdReq) }], access: { spec: access, rec: rec(access), withoutRawio: false }, holding: [], released: [] } as unknown as ProbeInputs['done'],
      usable: [hole],
      claims: [],
      record: (_step, probe) => seen.push({ type: 'recorded', probe }),
    };
    await runStepProbes(ctx, 'hold', x);
    const planned = seen.filter((e) => e.type === 'probes-planned');
    const recorded = seen.filter((e) => e.type === 'recorded');
    expect(planned).toHaveLength(1);
    expect(seen[0]).toBe(planned[0]);
    expect(recorded.length).toBeGreaterThan(100);
    expect(planned[0]).toEqual({ type: 'probes-planned', step: 'hold', total: recorded.length });
    // The plan, the access, the hold request, the 4 uses of the held mapping and 2 /proc/kcore pages.
    const ops = recorded.map((e) => (e as { probe: ProbeRecord }).probe.op);
    expect(ops.filter((o) => o.startsWith('held-') || o === 'mmap-sync-shared')).toHaveLength(4);
    expect(ops.filter((o) => o === 'kcore')).toHaveLength(2);
    expect(ops.filter((o) => o === 'hold-shared')).toHaveLength(1);
  });
});
