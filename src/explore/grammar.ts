// The scenario grammar explore draws from, as fast-check model-based
// commands. Each command appends one scenario step; its check() is the
// step's precondition on an abstract model of the guest (driver bound or
// not, plugged size, the mappings held), so every sequence fast-check
// generates, and every one it shrinks to, is a valid scenario file.
//
// What the grammar leaves out, and why:
//   - writes to /dev/mem (`write`, `cow-write`, `ptraceWrite`): they change
//     guest memory the model does not track, so later outcomes would be
//     judged against contents nobody predicted;
//   - `guest-command`: free text, outside the model;
//   - resizes while the driver is unbound: nothing in the guest answers,
//     the resize could only time out.
import fc from 'fast-check';
import type { HeldSpec, ScenarioStep, StepAction } from '../lab/scenario.js';
import { RELEASE_HOWS, releaseHowFor, type ReleaseHow } from '../lab/held-spec.js';

export interface ExploreModel {
  driver: boolean;
  /** The size the last resize reached while the driver stayed bound; 0 once it is unbound (its blocks are then unknown). */
  pluggedMiB: number;
  /** `key`: the hold's target, pages and kind (the agent keeps one mapping per key). */
  held: { name: string; pages: number; key: string }[];
  /** The next hold's number (names h1, h2, …). */
  next: number;
}

export interface ExploreReal {
  steps: ScenarioStep[];
}

export interface DeviceShape {
  sizeMiB: number;
  blockSizeMiB: number;
}

/** At most this many mappings held at once. */
const MAX_HELD = 4;

type Cmd = fc.Command<ExploreModel, ExploreReal>;

function push(r: ExploreReal, what: string, action: StepAction): void {
  r.steps.push({ name: `s${r.steps.length}-${what}`, action });
}

class Modprobe implements Cmd {
  check = (m: Readonly<ExploreModel>) => !m.driver;
  run(m: ExploreModel, r: ExploreReal) {
    m.driver = true;
    push(r, 'modprobe', { kind: 'modprobe', module: 'virtio_mem' });
  }
  toString = () => 'modprobe virtio_mem';
}

class Rmmod implements Cmd {
  check = (m: Readonly<ExploreModel>) => m.driver;
  run(m: ExploreModel, r: ExploreReal) {
    m.driver = false;
    m.pluggedMiB = 0;
    push(r, 'rmmod', { kind: 'rmmod', module: 'virtio_mem' });
  }
  toString = () => 'rmmod virtio_mem';
}

class Resize implements Cmd {
  constructor(readonly sizeMiB: number) {}
  check = (m: Readonly<ExploreModel>) => m.driver && m.pluggedMiB !== this.sizeMiB;
  run(m: ExploreModel, r: ExploreReal) {
    m.pluggedMiB = this.sizeMiB;
    push(r, `resize-${this.sizeMiB}M`, { kind: 'resize', sizeMiB: this.sizeMiB });
  }
  toString = () => `resize ${this.sizeMiB} MiB`;
}

export type HoldTarget = HeldSpec['target'];

class Hold implements Cmd {
  constructor(readonly target: HoldTarget, readonly pages: number, readonly priv: boolean) {}
  private key = (): string => JSON.stringify([this.target, this.pages, this.priv]);
  // One live hold per target, page count and kind: the lab refuses a second (lab/actions/hold.ts).
  check = (m: Readonly<ExploreModel>) => m.held.length < MAX_HELD && !m.held.some((h) => h.key === this.key());
  run(m: ExploreModel, r: ExploreReal) {
    const name = `h${m.next++}`;
    m.held.push({ name, pages: this.pages, key: this.key() });
    const spec: HeldSpec = { name, target: this.target, ...(this.pages > 1 ? { pages: this.pages } : {}), ...(this.priv ? { private: true } : {}) };
    push(r, `hold-${name}`, { kind: 'hold', mappings: [spec] });
  }
  toString = () => `hold ${JSON.stringify(this.target)} x${this.pages}${this.priv ? ' private' : ''}`;
}

class Release implements Cmd {
  constructor(readonly pick: number, readonly how: ReleaseHow) {}
  check = (m: Readonly<ExploreModel>) => m.held.length > 0;
  run(m: ExploreModel, r: ExploreReal) {
    const [h] = m.held.splice(this.pick % m.held.length, 1);
    const how = releaseHowFor(this.how, h.pages);
    push(r, `release-${h.name}`, { kind: 'release', mappings: [h.name], ...(how !== 'munmap' ? { how } : {}) });
  }
  toString = () => `release #${this.pick}${this.how !== 'munmap' ? ` ${this.how}` : ''}`;
}

/** Read-only probe operations: whatever they do, guest memory stays as the model knows it. */
export const ACCESS_OPS = ['read', 'mmap-shared', 'mmap-private', 'mmap-sync-shared', 'mmap-sync-private', 'touch-shared', 'touch-private', 'kcore'] as const;

/** Access ops that read the page itself (a mapping alone touches nothing; /proc/kcore reads only what the kernel has added). */
const READING_OPS: ReadonlySet<string> = new Set(['read', 'touch-shared', 'touch-private']);

class Access implements Cmd {
  constructor(readonly op: (typeof ACCESS_OPS)[number], readonly where: { deviceOffsetMiB: number } | { mmioHole: true } | { addr: string }) {}
  // With no driver bound the kernel lets /dev/mem read unplugged device
  // memory: the touch-unplugged scenario shows it and S4 flags it every
  // time, so a sequence that does it again finds nothing new.
  check = (m: Readonly<ExploreModel>) => m.driver || !('deviceOffsetMiB' in this.where) || !READING_OPS.has(this.op);
  run(_m: ExploreModel, r: ExploreReal) {
    push(r, `access-${this.op}`, { kind: 'access', op: this.op, ...this.where });
  }
  toString = () => `${this.op} ${JSON.stringify(this.where)}`;
}

class HostPattern implements Cmd {
  constructor(readonly offsetMiB: number) {}
  check = (m: Readonly<ExploreModel>) => m.driver && this.offsetMiB < m.pluggedMiB;
  run(_m: ExploreModel, r: ExploreReal) {
    push(r, 'host-pattern', { kind: 'host-pattern', deviceOffsetMiB: this.offsetMiB });
  }
  toString = () => `host pattern at +${this.offsetMiB} MiB`;
}

/**
 * Hold targets: inside the device region, across either of its edges, an
 * unclaimed PCI window page (the control), and low RAM in the first MiB.
 */
export function holdTargets(dev: DeviceShape): fc.Arbitrary<HoldTarget> {
  return fc.oneof(
    fc.integer({ min: 0, max: dev.sizeMiB - 1 }).map((deviceOffsetMiB): HoldTarget => ({ deviceOffsetMiB })),
    fc.constantFrom<HoldTarget>({ deviceEdge: 'last' }, { deviceEdge: 'first' }),
    fc.constant<HoldTarget>({ mmioHole: true }),
    fc.constant<HoldTarget>({ addr: '0x1000' }),
  );
}

/** The commands of one sequence, for fc.commands(). */
export function exploreCommands(dev: DeviceShape): fc.Arbitrary<Cmd>[] {
  const blocks = dev.sizeMiB / dev.blockSizeMiB;
  const size = fc.oneof(fc.constantFrom(0, dev.sizeMiB / 2, dev.sizeMiB), fc.integer({ min: 0, max: blocks }).map((b) => b * dev.blockSizeMiB));
  const offset = fc.integer({ min: 0, max: dev.sizeMiB - 1 });
  return [
    fc.constant(new Modprobe()),
    fc.constant(new Rmmod()),
    size.map((s) => new Resize(s)),
    fc.tuple(holdTargets(dev), fc.integer({ min: 1, max: 3 }), fc.boolean()).map(([t, p, priv]) => new Hold(t, p, priv)),
    fc.tuple(fc.nat(), fc.constantFrom(...RELEASE_HOWS)).map(([pick, how]) => new Release(pick, how)),
    fc
      .tuple(fc.constantFrom(...ACCESS_OPS), fc.oneof(offset.map((deviceOffsetMiB) => ({ deviceOffsetMiB })), fc.constant({ mmioHole: true as const }), fc.constant({ addr: '0x1000' })))
      .map(([op, where]) => new Access(op, where)),
    offset.map((o) => new HostPattern(o)),
  ];
}

export const initialModel = (): ExploreModel => ({ driver: false, pluggedMiB: 0, held: [], next: 1 });

/** The scenario steps a command sequence makes (a boot first), with the commands that ran, skipping those whose precondition failed. */
export function stepsOf(cmds: Iterable<Cmd>): ScenarioStep[] {
  const real: ExploreReal = { steps: [{ name: 's0-boot', action: { kind: 'boot' } }] };
  fc.modelRun(() => ({ model: initialModel(), real }), cmds);
  return real.steps;
}
