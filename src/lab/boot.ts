// A booted lab guest as one resource: QEMU (KVM only when it proves it
// boots), its QMP connection, the shared virtio-mem backend, the guest's SSH
// session, the long-lived probe agent and the boot facts, released together
// by [Symbol.asyncDispose] (`await using`). It owns the relaunch policy: a
// guest whose init says "ready" but that never serves an SSH session is
// booted once more, and the failed boot is reported through onRetry.
import { constants as fsc } from 'node:fs';
import { access, appendFile, constants } from 'node:fs/promises';
import { BOOT_FACT_COMMANDS, bootFactsFrom, readBootFacts, readSections, type GuestBootFacts } from '../guest/observe.js';
import { GuestChannel, type RunKey } from '../guest/ssh.js';
import { AgentSession } from '../probe/session.js';
import { QmpClient } from '../qmp/client.js';
import type { EventLog } from '../format/events.js';
import type { GuestOrigin } from '../format/types.js';
import { ShmBackend } from '../shm/backend.js';
import { LabError, errorMessage } from '../util/errors.js';
import { pollUntil, sleep } from '../util/wait.js';
import type { MachineProfile } from '../vm/profile.js';
import { Vm } from '../vm/qemu.js';
import { dropSaved, refreshCommand, restoreGuest, saveGuest, type SavedGuest } from './saved.js';
import type { Timeouts } from './timeouts.js';

/** What a restored guest prints once it has the run's key. */
const KEY_TAKEN = 'run-key-taken';

/** Boots of one run when a guest comes up but never serves SSH (see bootRetries in the report). */
export const BOOT_ATTEMPTS = 2;

export type AccelMode = 'auto' | 'tcg' | 'kvm';

export interface BootOptions {
  profile: MachineProfile;
  kernelImage: string;
  initrdParts: (string | Buffer)[];
  key: RunKey;
  hostKey: string;
  accel: AccelMode;
  extraCmdline?: string[];
  /** Where QEMU's serial console is logged. */
  consoleLog: string;
  onConsoleLine?: (line: string) => void;
  /** The shared backend is writable (a scenario has the host write a pattern: data, never code). */
  writableBackend: boolean;
  t: Pick<Timeouts, 'firstConsoleKvm' | 'guestReady' | 'ssh' | 'qmpConnect'>;
  events: EventLog;
  signal?: AbortSignal;
  /** A boot that was given up and retried: its error and last console lines. */
  onRetry?: (failed: { code: string; message: string; consoleTail: string[] }) => Promise<void> | void;
  /** QMP answered: QEMU's version is known. */
  onQmp?: (qmp: QmpClient, vm: Vm) => void;
  /** The run's id, written into a restored guest. */
  runId: string;
  /**
   * Boot once, run many (saved.ts): restore this saved guest, or boot and
   * save one under this key the moment init is ready.
   */
  saved?: { restore: SavedGuest } | { saveKey: string; argv: string[] };
}



/** The parts of a booted guest a run uses. */
export interface BootedGuest {
  vm: Vm;
  qmp: QmpClient;
  shm: ShmBackend;
  ch: GuestChannel;
  boot: GuestBootFacts;
  origin: GuestOrigin;
  /** QEMU's launch to init "ready" (booted), or the whole restore (restored): the guest's speed measurement. */
  readyMs: number;
}

/**
 * Owns every part it opens until disposed, also when boot() fails: the
 * caller classifies the failure first (QEMU's exit, its console) and only
 * then lets `await using` close everything, in reverse order.
 */
export class LabGuest implements AsyncDisposable {
  vm?: Vm;
  private qmp?: QmpClient;
  private shm?: ShmBackend;
  private ch?: GuestChannel;
  private agent?: AgentSession;
  private agentOpening?: Promise<AgentSession>;

  async boot(o: BootOptions): Promise<BootedGuest> {
    let failedRestore: Extract<GuestOrigin, { mode: 'booted-after-failed-restore' }> | undefined;
    if (o.saved && 'restore' in o.saved) {
      const saved = o.saved.restore;
      try {
        return await this.restore(o, saved);
      } catch (e) {
        if (o.signal?.aborted) throw e;
        // A state this QEMU cannot load (or a guest that does not answer
        // after it) is dropped; this run boots and saves a new one.
        await this[Symbol.asyncDispose]();
        await dropSaved(saved);
        failedRestore = { mode: 'booted-after-failed-restore', state: saved.meta.key, error: errorMessage(e), resaved: false };
        o.events.emit({ type: 'progress', message: `restoring saved guest ${saved.meta.key} failed (${errorMessage(e)}); booting` });
        o = { ...o, saved: { saveKey: saved.meta.key, argv: saved.meta.argv } };
      }
    }
    const saveKey = o.saved && 'saveKey' in o.saved ? o.saved : undefined;
    for (let attempt = 1; ; attempt++) {
      const bootConsole: string[] = [];
      const tLaunch = Date.now();
      const vm = (this.vm = await startVm({ ...o, onConsoleLine: (l) => (bootConsole.push(l), o.onConsoleLine?.(l)) }));
      const { qmp, shm } = await this.attach(o, vm);
      await vm.waitForConsole('guest init "ready" on the console', /devmem-lab-init: ready/, o.t.guestReady, o.signal);
      const readyMs = Date.now() - tLaunch;
      let origin: GuestOrigin = failedRestore ?? { mode: 'booted' };
      if (saveKey && attempt === 1) {
        const tSave = Date.now();
        const s = await saveGuest({ qmp, vm, key: saveKey.saveKey, runKey: o.key, bootConsole: [...bootConsole], argv: saveKey.argv, bootMs: readyMs, timeoutMs: o.t.guestReady }).catch((e: unknown) => {
          // Not saving costs the next run a boot, nothing else.
          o.events.emit({ type: 'progress', message: `could not save the booted guest: ${errorMessage(e)}` });
          return undefined;
        });
        if (s) origin = failedRestore ? { ...failedRestore, resaved: true } : { mode: 'booted-and-saved', state: s.meta.key, stateBytes: s.meta.stateBytes, saveMs: Date.now() - tSave };
      }
      try {
        const ch = (this.ch = await GuestChannel.connect({ port: vm.sshPort, key: o.key, hostKey: o.hostKey, timeoutMs: o.t.ssh, signal: o.signal, check: () => checkGuestInit(vm) }));
        return { vm, qmp, shm, ch, boot: await readBootFacts(ch), origin, readyMs };
      } catch (e) {
        // Init said "ready" (network and sshd up) yet no session came: a
        // guest that failed to serve SSH this once. One more boot,
        // recorded; any other failure, or a second one, ends the run.
        if ((e as LabError).code !== 'E_SSH_CONNECT' || attempt >= BOOT_ATTEMPTS) throw e;
        await o.onRetry?.({ code: 'E_SSH_CONNECT', message: errorMessage(e), consoleTail: vm.consoleTail.slice(-30) });
        o.events.emit({ type: 'progress', message: `${errorMessage(e)}; relaunching the guest (attempt ${attempt + 1} of ${BOOT_ATTEMPTS})` });
        await this[Symbol.asyncDispose]();
      }
    }
  }

  /**
   * A started QEMU's QMP connection and shared backend, owned from here on.
   * QEMU has created the backend by the time QMP answers, and loaded the
   * kernel and initrd once the machine exists (query-status answers): the
   * private directory's files can go.
   */
  private async attach(o: BootOptions, vm: Vm): Promise<{ qmp: QmpClient; shm: ShmBackend }> {
    o.events.emit({ type: 'vm-start', argv: vm.argv, accel: vm.accel, sshPort: vm.sshPort, pid: vm.proc.pid ?? -1, dir: vm.paths.dir });
    await pollUntil('QMP socket', () => access(vm.paths.qmpSocket, constants.F_OK).then(() => true, () => undefined), {
      timeoutMs: o.t.qmpConnect, intervalMs: 20, signal: o.signal, check: () => vm.checkAlive(),
    });
    const qmp = (this.qmp = await QmpClient.connect(vm.paths.qmpSocket, { timeoutMs: o.t.qmpConnect, signal: o.signal }));
    const shm = (this.shm = ShmBackend.open(vm.paths.backend, { writable: o.writableBackend }));
    await qmp.execute('query-status');
    await vm.detachFiles();
    o.onQmp?.(qmp, vm);
    return { qmp, shm };
  }

  /**
   * A new QEMU loads the saved guest; a new session on the state's own key
   * installs the run's key and id and is the run's session. The saving boot's
   * console goes first into this run's console (and its kernel-log checks),
   * so a restored run's console reads like a booted one's.
   */
  private async restore(o: BootOptions, saved: SavedGuest): Promise<BootedGuest> {
    const t0 = Date.now();
    // O_NOFOLLOW, as the console stream itself opens it (vm/qemu.ts): a symlink planted in --out is not written through.
    await appendFile(o.consoleLog, saved.meta.bootConsole.map((l) => l + '\n').join(''), { mode: 0o644, flag: fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW });
    // Its run id is the saving run's: say whose console the next lines are.
    o.events.emit({ type: 'progress', message: `the saved guest's boot console (${saved.meta.key}, saved ${saved.meta.savedAt}):` });
    saved.meta.bootConsole.forEach((l) => o.onConsoleLine?.(l));
    const vm = (this.vm = await Vm.launch({
      profile: o.profile, kernelImage: o.kernelImage, initrdParts: o.initrdParts, accel: saved.meta.accel, extraCmdline: o.extraCmdline,
      consoleLog: o.consoleLog, onConsoleLine: o.onConsoleLine, incoming: true,
    }));
    const { qmp, shm } = await this.attach(o, vm);
    await restoreGuest({ qmp, vm, saved, timeoutMs: o.t.guestReady }).catch(async (e: unknown) => {
      // QEMU exits when it cannot load a state: its own words say why.
      if (!vm.exit) await Promise.race([vm.exited, sleep(500)]);
      const said = vm.qemuStderr.trim().split('\n').filter(Boolean).pop();
      throw new LabError('E_SAVED_STATE', 'run', `restoring the saved guest ${saved.meta.key} failed: ${said ?? errorMessage(e)}`, { cause: e });
    });
    // One exec on a new session (the state's own key): install the run's
    // key and id, mark dmesg, and read the boot facts (a restored guest's
    // are its saving boot's; read anyway). The session stays the run's: a
    // second handshake, on the run's key, would cost a restored run ~150 ms
    // under TCG and prove nothing this exec did not.
    const ch = (this.ch = await GuestChannel.connect({ port: vm.sshPort, key: saved.key, hostKey: o.hostKey, timeoutMs: o.t.ssh, signal: o.signal, check: () => vm.checkAlive() }));
    const s = await readSections(ch, { refresh: `${refreshCommand(o.runId, o.key.publicKey)} && echo ${KEY_TAKEN}`, ...BOOT_FACT_COMMANDS }, o.t.ssh);
    if (s.refresh?.trim() !== KEY_TAKEN) throw new LabError('E_SAVED_STATE', 'run', "the restored guest did not take the run's key and id");
    const boot = bootFactsFrom(s);
    const restoreMs = Date.now() - t0;
    return { vm, qmp, shm, ch, boot, origin: { mode: 'restored', state: saved.meta.key, savedAt: saved.meta.savedAt, restoreMs }, readyMs: restoreMs };
  }

  /** The long-lived probe agent (held mappings), opened on first use and closed with the guest. */
  agentSession(allowWrites: boolean): Promise<AgentSession> {
    const ch = this.ch;
    if (!ch) throw new LabError('E_NO_GUEST', 'run', 'the guest is not booted');
    this.agentOpening ??= AgentSession.open(ch, { allowWrites }).then((a) => (this.agent = a));
    return this.agentOpening;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.agent?.close();
    this.ch?.close();
    this.qmp?.close();
    this.shm?.close();
    await this.vm?.dispose();
    this.agent = this.agentOpening = this.ch = this.qmp = this.shm = this.vm = undefined;
  }
}

/** QEMU alive and the guest's init not reporting a fatal problem (see guest-image/init.sh). */
function checkGuestInit(vm: Vm): void {
  vm.checkAlive();
  const fatal = vm.consoleTail.find((l) => l.startsWith('devmem-lab-init: fatal:'));
  if (fatal) {
    throw new LabError('E_GUEST_INIT', 'environment', `the guest cannot be reached: ${fatal.slice('devmem-lab-init: fatal: '.length)}`, {
      hint: 'the guest kernel must be able to load virtio_net (lockdown=integrity refuses modules it cannot verify)',
    });
  }
}

async function startVm(opts: BootOptions): Promise<Vm> {
  const launch = (accel: 'tcg' | 'kvm') =>
    Vm.launch({ profile: opts.profile, kernelImage: opts.kernelImage, initrdParts: opts.initrdParts, accel, extraCmdline: opts.extraCmdline, consoleLog: opts.consoleLog, onConsoleLine: opts.onConsoleLine });
  const kvmUsable = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
  if (opts.accel === 'tcg' || (opts.accel === 'auto' && !kvmUsable)) return launch('tcg');
  // KVM must prove it boots: some hosts' /dev/kvm (a paravirtual hypervisor)
  // hangs standard kernels before their first console line.
  const vm = await launch('kvm');
  try {
    await vm.waitForConsole('first console line under KVM', /\S/, opts.t.firstConsoleKvm, opts.signal);
    return vm;
  } catch (e) {
    await vm.dispose();
    if (opts.accel === 'kvm') {
      throw new LabError('E_KVM_NO_BOOT', 'environment', 'the guest printed nothing under KVM', { hint: 'use --accel tcg (or auto, which falls back)', cause: e });
    }
    opts.events.emit({ type: 'progress', message: 'KVM did not boot the guest; falling back to TCG' });
    return launch('tcg');
  }
}
