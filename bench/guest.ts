// A lab guest for the benchmarks, booted with the lab's own modules (kernel
// resolver, guest image, Vm.launch with the default profile), so the QEMU
// the figures are measured against is the one a lab run uses: q35 under
// TCG, 1 GiB boot RAM, maxmem 2 GiB, a virtio-mem `vm0` backed by a shared
// file in a private /dev/shm directory, QMP on a unix socket beside it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGuestImage, runCpio } from '../src/image/build.js';
import { resolveKernel } from '../src/kernel/resolve.js';
import { GuestChannel, generateRunKey, type RunKey } from '../src/guest/ssh.js';
import { loadProfile, type MachineProfile } from '../src/vm/profile.js';
import { Vm } from '../src/vm/qemu.js';

export const READY_LINE = /devmem-lab-init: ready/;
export const BOOT_TIMEOUT_MS = 120_000;
export const SSH_TIMEOUT_MS = 60_000;

export interface BenchGuest {
  vm: Vm;
  profile: MachineProfile;
  key: RunKey;
  hostKey: string;
  kernelRelease: string;
  /** resolveKernel + buildGuestImage (both cached after the first run). */
  prepareMs: number;
  /** resolveKernel alone (apt-cache queries even when the kernel is cached). */
  resolveMs: number;
  /** Vm.launch until init printed "ready" on the console. */
  launchToReadyMs: number;
  /** Time origin of the launch (performance.now()). */
  launchedAt: number;
  dispose(): Promise<void>;
}

export interface BootOptions {
  kernel: string;
  signal?: AbortSignal;
  /** Called as soon as QEMU's private directory exists, before waiting for the boot. */
  onLaunch?: (dir: string) => void;
}

export async function bootGuest(opts: BootOptions): Promise<BenchGuest> {
  const t0 = performance.now();
  const profile = await loadProfile('default');
  const kernel = await resolveKernel(opts.kernel, { signal: opts.signal });
  const resolveMs = performance.now() - t0;
  const image = await buildGuestImage(kernel);
  const key = generateRunKey();
  const runId = `bench-${randomBytes(3).toString('hex')}`;
  const logDir = await mkdtemp(join(tmpdir(), 'devmem-lab-bench-console-'));
  const launchedAt = performance.now();
  let vm: Vm | undefined;
  const dispose = async () => {
    await vm?.dispose();
    await rm(logDir, { recursive: true, force: true });
  };
  try {
    vm = await Vm.launch({
      profile,
      kernelImage: kernel.image,
      initrdParts: [image.cpio, runCpio(runId, key.publicKey)],
      accel: 'tcg',
      consoleLog: join(logDir, 'console.log'),
    });
    opts.onLaunch?.(vm.paths.dir);
    await vm.waitForConsole('guest init "ready" on the console', READY_LINE, BOOT_TIMEOUT_MS, opts.signal);
    return {
      vm,
      profile,
      key,
      hostKey: image.hostKey,
      kernelRelease: kernel.release,
      prepareMs: launchedAt - t0,
      resolveMs,
      launchToReadyMs: performance.now() - launchedAt,
      launchedAt,
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** SSH into a booted bench guest, as the lab does. */
export function connectGuest(
  g: { sshPort: number; key: RunKey; hostKey: string },
  signal?: AbortSignal,
): Promise<GuestChannel> {
  return GuestChannel.connect({ port: g.sshPort, key: g.key, hostKey: g.hostKey, timeoutMs: SSH_TIMEOUT_MS, signal });
}
