// Every code a LabError can carry, and what it means for a run that it ends
// (its reason). A code not listed here does not compile. `kind` (input,
// environment, run) is given where the error is thrown, because a few codes
// are bad input in one place and a broken machine in another; the reason of
// an input or environment error is always bad-input or environment.

/** Why a run ended, as far as the error that ended it can say (see format/faults.ts FaultKind). */
export type ErrorReason = 'bad-input' | 'environment' | 'guest-hang' | 'qemu-exited' | 'ssh-drop' | 'agent-crash' | 'precondition' | 'run-error';

/** The reason of a `run` error, per code; codes not named here are run-error. */
const RUN_REASONS = {
  E_TIMEOUT: 'guest-hang', // a named wait timed out with QEMU alive
  E_RESIZE_TIMEOUT: 'guest-hang',
  E_QEMU_EXITED: 'qemu-exited',
  E_SSH_CLOSED: 'ssh-drop',
  E_SSH_CONNECT: 'ssh-drop',
  E_SSH_EXEC: 'ssh-drop',
  E_SSH_HOSTKEY: 'ssh-drop',
  E_AGENT: 'agent-crash',
  E_DRIVER_NOT_LOADED: 'precondition',
} as const satisfies Record<string, ErrorReason>;

export const ERROR_CODES = [
  ...(Object.keys(RUN_REASONS) as (keyof typeof RUN_REASONS)[]),
  'E_APT_NO_DEBIAN_SOURCE', 'E_APT_UPDATE', 'E_APT_UNSANDBOXED', 'E_GUEST_COMMAND', 'E_GUEST_INIT', 'E_IMAGE_HOSTKEY', 'E_IMAGE_USERLAND', 'E_INTERRUPTED',
  'E_KERNEL_BUILD', 'E_KERNEL_BUILD_TOOLS', 'E_KERNEL_CONFIG', 'E_KERNEL_DOWNLOAD', 'E_KERNEL_FILE', 'E_KERNEL_FRAGMENT',
  'E_KERNEL_LAYOUT', 'E_KERNEL_MODULES', 'E_KERNEL_NOT_BZIMAGE', 'E_KERNEL_NOT_FOUND', 'E_KERNEL_OPTION', 'E_KERNEL_RELEASE',
  'E_KERNEL_SOURCE', 'E_KERNEL_SOURCE_MISSING', 'E_KERNEL_SPEC', 'E_KERNEL_SUITE', 'E_KERNEL_TREE',
  'E_KERNEL_NO_VIRTIO_MEM', 'E_KERNEL_NO_DEVMEM', 'E_KERNEL_NO_VIRTIO_PCI', 'E_KERNEL_NO_VIRTIO_NET', 'E_KERNEL_NO_INITRD', 'E_KERNEL_NO_CONSOLE',
  'E_KVM_NO_BOOT', 'E_MATRIX', 'E_MERGE', 'E_NOT_DEBIAN', 'E_NO_DEVICE', 'E_NO_GUEST', 'E_NO_MMIO_HOLE', 'E_NO_PCI_BAR', 'E_NO_REPORT',
  'E_OUT_UNWRITABLE', 'E_OUT_EXISTS', 'E_CMDLINE_OWNED', 'E_KERNEL_PATH', 'E_LAB_FILE', 'E_PROFILE', 'E_SAVED_STATE', 'E_SCENARIO', 'E_SCENARIO_SIZE', 'E_SHARD', 'E_SSH_KEY', 'E_TOOL_FAILED', 'E_TOOL_MISSING', 'E_USAGE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function reasonOf(code: ErrorCode, kind: 'input' | 'environment' | 'run'): ErrorReason {
  if (kind === 'input') return 'bad-input';
  if (kind === 'environment') return 'environment';
  return (RUN_REASONS as Partial<Record<ErrorCode, ErrorReason>>)[code] ?? 'run-error';
}
