// QMP wire shapes and the typed subset of commands and events the lab uses,
// as QEMU 7.2's qapi schema defines them (qapi/machine.json, qapi/qom.json,
// qapi/run-state.json, qapi/control.json). Sizes and addresses are uint64 on
// the wire; JSON.parse yields numbers, exact up to 2^53 bytes (8 PiB).

export interface QmpVersion {
  qemu: { major: number; minor: number; micro: number };
  /** Distribution build string, e.g. "Debian 1:7.2+dfsg-7+deb12u7". */
  package: string;
}

/** The first line QEMU sends on a new QMP connection. */
export interface QmpGreeting {
  QMP: { version: QmpVersion; capabilities: string[] };
}

export type RunState =
  | 'debug' | 'inmigrate' | 'internal-error' | 'io-error' | 'paused'
  | 'postmigrate' | 'prelaunch' | 'finish-migrate' | 'restore-vm'
  | 'running' | 'save-vm' | 'shutdown' | 'suspended' | 'watchdog'
  | 'guest-panicked' | 'colo';

export interface StatusInfo {
  running: boolean;
  /** Present up to QEMU 8.0. */
  singlestep?: boolean;
  status: RunState;
}

/** query-memory-devices, type 'virtio-mem' (qapi VirtioMEMDeviceInfo). */
export interface VirtioMemDeviceInfo {
  id?: string;
  /** Guest physical address of the device region; backend offset 0. */
  memaddr: number;
  'requested-size': number;
  /** Currently plugged bytes, as the guest driver has acknowledged them. */
  size: number;
  'max-size': number;
  'block-size': number;
  node: number;
  /** QOM path of the memory backend, e.g. "/objects/vmem0". */
  memdev: string;
}

export interface PcDimmDeviceInfo {
  id?: string;
  addr: number;
  size: number;
  slot: number;
  node: number;
  memdev: string;
  hotplugged: boolean;
  hotpluggable: boolean;
}

export interface VirtioPmemDeviceInfo {
  id?: string;
  memaddr: number;
  size: number;
  memdev: string;
}

export interface SgxEpcDeviceInfo {
  id?: string;
  memaddr: number;
  size: number;
  node: number;
  memdev: string;
}

export type MemoryDeviceInfo =
  | { type: 'virtio-mem'; data: VirtioMemDeviceInfo }
  | { type: 'dimm' | 'nvdimm'; data: PcDimmDeviceInfo }
  | { type: 'virtio-pmem'; data: VirtioPmemDeviceInfo }
  | { type: 'sgx-epc'; data: SgxEpcDeviceInfo };

type Empty = Record<string, never>;

/** Commands with typed arguments and results. Others go through execute<T>(). */
export interface QmpCommands {
  qmp_capabilities: { args: { enable?: string[] } | undefined; result: Empty };
  'query-version': { args: undefined; result: QmpVersion };
  'query-status': { args: undefined; result: StatusInfo };
  'query-memory-devices': { args: undefined; result: MemoryDeviceInfo[] };
  /** e.g. {path: '/machine/peripheral/vm0', property: 'requested-size'}. */
  'qom-get': { args: { path: string; property: string }; result: unknown };
  /** Setting virtio-mem `requested-size` asks the guest to (un)plug. */
  'qom-set': { args: { path: string; property: string; value: unknown }; result: Empty };
  stop: { args: undefined; result: Empty };
  cont: { args: undefined; result: Empty };
  /** On 7.2 this unplugs all virtio-mem memory (size 0, requested size kept). */
  system_reset: { args: undefined; result: Empty };
  quit: { args: undefined; result: Empty };
}

export type QmpCommandName = keyof QmpCommands;

/** MEMORY_DEVICE_SIZE_CHANGE: rate-limited to one per second per device. */
export interface MemoryDeviceSizeChange {
  id?: string;
  size: number;
  'qom-path': string;
}

export interface ShutdownEventData {
  guest: boolean;
  reason: string;
}

/** Events with typed data. Others arrive with data: Record<string, unknown>. */
export interface QmpEvents {
  MEMORY_DEVICE_SIZE_CHANGE: MemoryDeviceSizeChange;
  SHUTDOWN: ShutdownEventData;
  RESET: ShutdownEventData;
  STOP: Empty;
  RESUME: Empty;
  GUEST_PANICKED: { action: string; info?: Record<string, unknown> };
}

export type QmpEventData<N extends string> = N extends keyof QmpEvents
  ? QmpEvents[N]
  : Record<string, unknown>;

export interface QmpEvent<N extends string = string> {
  event: N;
  /** Always present; {} when QEMU sent none (STOP, RESUME). */
  data: QmpEventData<N>;
  timestamp: { seconds: number; microseconds: number };
}
