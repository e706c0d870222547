// QEMU's command line as data: small pure functions, each returning the
// arguments for one concern, with the reason for each flag beside it.
import type { MachineProfile } from './profile.js';

export type Accel = 'tcg' | 'kvm';

export interface LaunchPaths {
  /** Private 0700 directory under /dev/shm holding the backend and QMP socket. */
  dir: string;
  backend: string;
  qmpSocket: string;
  kernel: string;
  initrd: string;
}

const MiB = 1024 * 1024;

export function machineArgs(p: MachineProfile, accel: Accel): string[] {
  return [
    // No default devices: everything the guest sees is listed below.
    '-nodefaults',
    '-display', 'none',
    '-machine', `${p.machine},accel=${accel}`,
    // `-cpu host` fails on these hosts; a named model keeps TCG runs comparable.
    '-cpu', p.cpu,
    '-smp', String(p.smp),
    // A panic ends QEMU (with panic=-1 on the kernel command line) instead
    // of looping through reboots.
    '-no-reboot',
  ];
}

export function memoryArgs(p: MachineProfile): string[] {
  // virtio-mem needs maxmem: the device's region is carved from it.
  return ['-m', `${p.bootMemMiB}M,maxmem=${p.bootMemMiB + p.virtioMem.sizeMiB}M`];
}

export function virtioMemArgs(p: MachineProfile, paths: Pick<LaunchPaths, 'backend'>): string[] {
  const v = p.virtioMem;
  const memdev = `${v.id}-mem`;
  const dev = [
    'virtio-mem-pci',
    `id=${v.id}`,
    `memdev=${memdev}`,
    `block-size=${v.blockSizeMiB}M`,
    `requested-size=${v.requestedSizeMiB}M`,
  ];
  if (v.unpluggedInaccessible) dev.push(`unplugged-inaccessible=${v.unpluggedInaccessible}`);
  return [
    // A shared file backend, so the host can see the device memory the guest
    // plugs without asking the guest.
    '-object', `memory-backend-file,id=${memdev},mem-path=${paths.backend},size=${v.sizeMiB * MiB},share=on`,
    '-device', dev.join(','),
  ];
}

export function netArgs(sshPort: number): string[] {
  return [
    // User networking, SSH forwarded on loopback only; restrict=on cuts the
    // guest off from everything else.
    '-netdev', `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    '-device', 'virtio-net-pci,netdev=net0',
  ];
}

/**
 * A virtio-rng device fed from the host's /dev/urandom. Without it the
 * guest's CRNG is not ready until about a second after init has started
 * dropbear, and dropbear's first getrandom() blocks: the first SSH banner
 * came 1.07 s after the connect (ssh2 debug timestamps). virtio-rng's
 * quality (1000) credits its bytes, so the CRNG is ready at once.
 */
export function rngArgs(): string[] {
  return ['-object', 'rng-random,id=rng0,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng0'];
}

/** The profile's big 64-bit BAR (MachineProfile.highBarMiB), if any: a pci-testdev, which no guest driver claims. */
export function highBarArgs(p: MachineProfile): string[] {
  return p.highBarMiB ? ['-device', `pci-testdev,membar=${p.highBarMiB}M`] : [];
}

export function qmpArgs(socket: string): string[] {
  return ['-qmp', `unix:${socket},server=on,wait=off`];
}

export function consoleArgs(): string[] {
  // The serial console on QEMU's stdout: the host streams it to the console
  // log and watches it for init's progress lines and panics.
  return ['-chardev', 'stdio,id=con0,signal=off', '-serial', 'chardev:con0'];
}

export function kernelArgs(paths: Pick<LaunchPaths, 'kernel' | 'initrd'>, cmdline: string[]): string[] {
  return ['-kernel', paths.kernel, '-initrd', paths.initrd, '-append', cmdline.join(' ')];
}

export function qemuArgv(opts: {
  profile: MachineProfile;
  accel: Accel;
  paths: LaunchPaths;
  sshPort: number;
  extraCmdline?: string[];
  /** Wait for a saved state (migrate-incoming) instead of booting. */
  incoming?: boolean;
}): string[] {
  const { profile, accel, paths, sshPort } = opts;
  return [
    ...machineArgs(profile, accel),
    ...memoryArgs(profile),
    ...virtioMemArgs(profile, paths),
    ...netArgs(sshPort),
    ...rngArgs(),
    ...highBarArgs(profile),
    ...qmpArgs(paths.qmpSocket),
    ...consoleArgs(),
    ...kernelArgs(paths, [...profile.cmdline, ...(opts.extraCmdline ?? [])]),
    // A restore: the same machine, its RAM and devices loaded from the state.
    ...(opts.incoming ? ['-incoming', 'defer'] : []),
  ];
}

/** Parameters the lab's own init, console and fault handling rely on, besides the profile's own words. */
const OWNED_KEYS = ['init', 'rdinit', 'console', 'panic', 'memhp_default_state'];

/**
 * User words that would silently override a word the lab itself puts on
 * the kernel command line (the kernel takes the last of a repeated key):
 * `panic=0` would turn a panic into a hang, `rdinit=`/`init=` would bypass
 * the lab's init. The same word again is harmless and allowed.
 */
export function cmdlineConflicts(profileWords: string[], userWords: string[]): string[] {
  const key = (w: string) => w.split('=')[0];
  const owned = new Set([...profileWords.map(key), ...OWNED_KEYS]);
  return userWords.filter((w) => owned.has(key(w)) && !profileWords.includes(w));
}
