import { describe, expect, it } from 'vitest';
import { consoleArgs, highBarArgs, kernelArgs, machineArgs, memoryArgs, netArgs, qemuArgv, rngArgs, virtioMemArgs } from '../../src/vm/args.js';
import { validateProfile, type MachineProfile } from '../../src/vm/profile.js';

const profile: MachineProfile = {
  machine: 'q35',
  cpu: 'qemu64',
  smp: 1,
  bootMemMiB: 1024,
  virtioMem: { id: 'vm0', sizeMiB: 1024, blockSizeMiB: 2, requestedSizeMiB: 0 },
  cmdline: ['console=ttyS0', 'panic=-1', 'memhp_default_state=online_movable'],
};
const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('QEMU argument builders', () => {
  it('machine: q35 with the chosen accelerator, no defaults, no reboot', () => {
    const a = machineArgs(profile, 'tcg');
    expect(after(a, '-machine')).toBe('q35,accel=tcg');
    expect(a).toContain('-nodefaults');
    expect(a).toContain('-no-reboot');
    expect(after(machineArgs(profile, 'kvm'), '-machine')).toBe('q35,accel=kvm');
  });

  it('memory: maxmem covers boot RAM plus the device', () => {
    expect(memoryArgs(profile)).toEqual(['-m', '1024M,maxmem=2048M']);
  });

  it('virtio-mem: a shared file backend and the device with block and requested size', () => {
    const a = virtioMemArgs(profile, { backend: '/dev/shm/x/backend' });
    expect(after(a, '-object')).toBe(`memory-backend-file,id=vm0-mem,mem-path=/dev/shm/x/backend,size=${1024 * 1024 * 1024},share=on`);
    expect(after(a, '-device')).toBe('virtio-mem-pci,id=vm0,memdev=vm0-mem,block-size=2M,requested-size=0M');
    const old = virtioMemArgs({ ...profile, virtioMem: { ...profile.virtioMem, unpluggedInaccessible: 'off' } }, { backend: 'b' });
    expect(after(old, '-device')).toMatch(/,unplugged-inaccessible=off$/);
  });

  it('entropy for the guest from the host: virtio-rng on /dev/urandom', () => {
    expect(rngArgs()).toEqual(['-object', 'rng-random,id=rng0,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng0']);
  });

  it('network: SSH forwarded on loopback only, guest restricted', () => {
    const a = netArgs(2222);
    expect(after(a, '-netdev')).toBe('user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22');
  });

  it('console on stdout, kernel command line joined', () => {
    expect(consoleArgs()).toContain('chardev:con0');
    expect(kernelArgs({ kernel: 'k', initrd: 'i' }, ['a=1', 'b'])).toEqual(['-kernel', 'k', '-initrd', 'i', '-append', 'a=1 b']);
  });

  it('a big 64-bit BAR is a pci-testdev of that many MiB, only when the profile asks', () => {
    expect(highBarArgs(profile)).toEqual([]);
    expect(highBarArgs({ ...profile, highBarMiB: 2048 })).toEqual(['-device', 'pci-testdev,membar=2048M']);
    const argv = qemuArgv({ profile: { ...profile, highBarMiB: 2048 }, accel: 'tcg', sshPort: 1, paths: { dir: 'd', backend: 'b', qmpSocket: 'q', kernel: 'k', initrd: 'i' } });
    expect(argv.join(' ')).toContain('-device pci-testdev,membar=2048M');
  });

  it('the whole argv has QMP on the private socket and the extra command line last', () => {
    const argv = qemuArgv({
      profile,
      accel: 'tcg',
      sshPort: 1234,
      paths: { dir: '/dev/shm/d', backend: '/dev/shm/d/backend', qmpSocket: '/dev/shm/d/qmp.sock', kernel: 'k', initrd: 'i' },
      extraCmdline: ['iomem=relaxed'],
    });
    expect(after(argv, '-qmp')).toBe('unix:/dev/shm/d/qmp.sock,server=on,wait=off');
    expect(after(argv, '-append')).toBe('console=ttyS0 panic=-1 memhp_default_state=online_movable iomem=relaxed');
  });
});

describe('validateProfile', () => {
  it('accepts the shape above', () => {
    expect(validateProfile(profile, 'p')).toEqual(profile);
  });
  it.each([
    ['sizes not a multiple of the block size', { virtioMem: { ...profile.virtioMem, sizeMiB: 1023 } }],
    ['a block size that is not a power of two', { virtioMem: { ...profile.virtioMem, blockSizeMiB: 3 } }],
    ['a requested size beyond the device', { virtioMem: { ...profile.virtioMem, requestedSizeMiB: 2048 } }],
    ['a missing machine', { machine: undefined }],
    // Strings that would reach QEMU's arguments as extra options or kernel words.
    ['a cpu string carrying QEMU properties', { cpu: 'qemu64,x-foo=1' }],
    ['a machine string with a comma', { machine: 'q35,accel=kvm' }],
    ['a virtio-mem id with a comma', { virtioMem: { ...profile.virtioMem, id: 'vm0,x-foo=1' } }],
    ['a cmdline entry with a space', { cmdline: ['console=ttyS0 init=/bin/sh'] }],
    ['an unknown key', { extraDevice: 'virtio-net' }],
    ['an smp count out of range', { smp: 1000 }],
    ['a BAR size that is not a power of two', { highBarMiB: 3000 }],
  ])('rejects %s with E_PROFILE', (_what, patch) => {
    expect(() => validateProfile({ ...profile, ...patch }, 'p')).toThrow(expect.objectContaining({ code: 'E_PROFILE', kind: 'input' }));
  });
});
