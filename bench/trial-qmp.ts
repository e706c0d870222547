// Trial "qmp": QMP round trips against one QEMU, three clients in turn.
// The QEMU is a real lab guest (bench/guest.ts) kept busy by a shell loop
// spinning on its vCPU, as during a lab step. Each round runs every client
// once, each in a fresh process, in a rotated order; only one is connected
// at a time (QEMU's QMP socket serves one client).
import { runChild, nodeChild } from './child.js';
import { compileFloor } from './cc.js';
import { reclaim } from './cleanup.js';
import { bootGuest, connectGuest } from './guest.js';
import { QMP_COMMANDS, type QmpParams, type QmpResult } from './qmp-loop.js';
import { addRatio, goal, nsToUs, rotate, timeRow } from './rows.js';
import type { Row, TrialContext, TrialOutcome } from './types.js';

const COMPETITORS = ['native', 'plain', 'c', 'native-transport'] as const;
const NODE_FILES = { native: 'qmp-native.js', plain: 'qmp-plain.js', 'native-transport': 'qmp-native-transport.js' } as const;
type Competitor = (typeof COMPETITORS)[number];

/** Spins the guest's only vCPU: TCG then runs guest code non-stop, as in a busy lab step. */
const SPIN = "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &";

export async function runQmpTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const iterations = ctx.quick ? 100 : 400;
  const warmup = 100;
  const floor = await compileFloor('qmp-client', ctx.cleanup);
  ctx.log('qmp: booting the lab guest (resolveKernel, buildGuestImage, Vm.launch)');
  const undo: (() => void)[] = [];
  const guest = await bootGuest({
    kernel: ctx.kernel,
    signal: ctx.signal,
    onLaunch: (dir) => undo.push(ctx.cleanup.add('qmp guest', () => reclaim(dir).then(() => undefined))),
  });
  undo.push(ctx.cleanup.add('qmp guest', () => guest.dispose()));
  type Samples = Record<(typeof QMP_COMMANDS)[number], number[][]>;
  const empty = (): Samples => ({ 'query-status': [], 'qom-get': [], 'qom-set': [] });
  const samples: Record<Competitor, Samples> = { native: empty(), plain: empty(), c: empty(), 'native-transport': empty() };
  const device = `/machine/peripheral/${guest.profile.virtioMem.id}`;
  const notes: string[] = [];
  try {
    const ch = await connectGuest({ sshPort: guest.vm.sshPort, key: guest.key, hostKey: guest.hostKey }, ctx.signal);
    try {
      await ch.check(SPIN);
    } finally {
      ch.close();
    }
    notes.push(
      `QEMU: the lab's default profile (q35, TCG, -m 1024M,maxmem=2048M, virtio-mem vm0 on a share=on file in a private /dev/shm dir), ` +
        `kernel ${guest.kernelRelease} booted to the lab's init, guest vCPU kept busy by a shell loop; ` +
        `${iterations} round trips of each command per client per round after ${warmup} warm-up, ${ctx.rounds} rounds`,
    );
    const params: QmpParams = { socket: guest.vm.paths.qmpSocket, device, iterations, warmup };
    for (let r = 0; r < ctx.rounds; r++) {
      for (const c of rotate(COMPETITORS, r)) {
        ctx.signal.throwIfAborted();
        guest.vm.checkAlive();
        const spec =
          c === 'c'
            ? { name: c, command: floor, args: [params.socket, device, String(iterations), String(warmup)], timeoutMs: 120_000 }
            : nodeChild(c, NODE_FILES[c], params, 120_000);
        const res = await runChild<QmpResult>(spec, ctx.cleanup);
        for (const cmd of QMP_COMMANDS) samples[c][cmd].push(nsToUs(res.samplesNs[cmd]));
        ctx.log(`qmp: round ${r + 1}/${ctx.rounds} ${c} done`);
      }
    }
  } finally {
    await guest.dispose();
    undo.forEach((u) => u());
  }

  const rows: Row[] = [];
  const goals = [];
  for (const cmd of QMP_COMMANDS) {
    const metric = `${cmd} round trip`;
    const by = Object.fromEntries(COMPETITORS.map((c) => [c, timeRow('qmp', c, metric, 'µs', samples[c][cmd])])) as Record<Competitor, Row>;
    addRatio(by.native, by.c);
    addRatio(by.native, by.plain);
    addRatio(by.native, by['native-transport']);
    addRatio(by.plain, by.c);
    addRatio(by['native-transport'], by.c);
    rows.push(by.native, by.plain, by.c, by['native-transport']);
    goals.push(goal('qmp', `native p50 / C p50 (${cmd})`, by.native.ratioTo!.c.p50, 1.1));
    goals.push(goal('qmp', `native p50 / plain p50 (${cmd})`, by.native.ratioTo!.plain.p50, 1.0));
  }
  return { rows, goals, notes };
}
