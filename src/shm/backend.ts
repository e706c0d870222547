// ShmBackend: the host's view of a virtio-mem device's memory, i.e. the
// memory-backend-file (share=on) QEMU maps for the guest. Backend offset =
// guest physical address - the device's memaddr (query-memory-devices).
//
// All reads go through pread and lseek(SEEK_DATA/SEEK_HOLE) in the addon,
// never through a mapping: touching a hole of a shmem mapping allocates a
// page, which would itself "populate" memory the guest has unplugged. The
// calls are synchronous and run at memory speed (a 1 GiB backend is read in
// a fraction of a second); scan large ranges between steps, not in hot loops.
import { constants as bufferConstants } from 'node:buffer';
import { loadAddon, type NativeShmBackend } from '../native/binding.js';

export interface Extent {
  offset: number;
  length: number;
}

export interface OpenOptions {
  /** Open read-write (needed for write()). Default false: the lab only looks. */
  writable?: boolean;
}

/** Thrown for a range outside the file or a closed backend; no syscall involved. */
export class ShmUsageError extends Error {
  readonly code: 'ERR_OUT_OF_RANGE' | 'E_SHM_CLOSED' | 'E_SHM_READONLY';
  readonly path: string;

  constructor(code: ShmUsageError['code'], message: string, path: string) {
    super(message);
    this.name = 'ShmUsageError';
    this.code = code;
    this.path = path;
  }
}

export class ShmBackend implements Disposable {
  readonly path: string;
  readonly writable: boolean;
  #native: NativeShmBackend | undefined;

  private constructor(path: string, writable: boolean, native: NativeShmBackend) {
    this.path = path;
    this.writable = writable;
    this.#native = native;
  }

  /** Opens the backend file. Throws NativeError (syscall 'open') on failure. */
  static open(path: string, options: OpenOptions = {}): ShmBackend {
    const writable = options.writable ?? false;
    const { ShmBackend: Native } = loadAddon();
    return new ShmBackend(path, writable, new Native(path, writable));
  }

  /** Current file size in bytes (QEMU sizes it to the backend's `size`). */
  size(): number {
    return this.#open().size();
  }

  /**
   * Populated ranges (pages that exist in the file) within the range,
   * clipped to it, in ascending order. Pages of zeros the guest wrote count
   * as populated: use firstNonZero to tell those apart.
   */
  extents(offset = 0, length?: number): Extent[] {
    const native = this.#open();
    const len = length ?? Math.max(0, native.size() - offset);
    checkRange('extents', offset, len, Number.MAX_SAFE_INTEGER, this.path);
    const flat = native.extents(offset, len);
    const out: Extent[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ offset: flat[i], length: flat[i + 1] });
    return out;
  }

  /** Total populated bytes within the range. */
  populatedBytes(offset = 0, length?: number): number {
    return this.extents(offset, length).reduce((sum, e) => sum + e.length, 0);
  }

  /** The bytes of [offset, offset+length), which must lie within the file. */
  read(offset: number, length: number): Buffer {
    const native = this.#open();
    if (length > bufferConstants.MAX_LENGTH) {
      throw new ShmUsageError('ERR_OUT_OF_RANGE', `read: length ${length} exceeds the largest Buffer`, this.path);
    }
    checkRange('read', offset, length, native.size(), this.path);
    return native.read(offset, length);
  }

  /** Offset of the first non-zero byte in the range, or -1 if it is all zero. */
  firstNonZero(offset = 0, length?: number): number {
    const native = this.#open();
    const size = native.size();
    const len = length ?? Math.max(0, size - offset);
    checkRange('firstNonZero', offset, len, size, this.path);
    return native.findNonZero(offset, len);
  }

  /** True if every byte of the range reads as zero (holes included). */
  isZero(offset = 0, length?: number): boolean {
    return this.firstNonZero(offset, length) === -1;
  }

  /**
   * XXH64 (xxHash 64-bit, seed 0) of the range as 16 lowercase hex digits;
   * the same value `xxhsum -H64` prints for those bytes. Holes hash as zeros.
   */
  digest(offset = 0, length?: number): string {
    const native = this.#open();
    const size = native.size();
    const len = length ?? Math.max(0, size - offset);
    checkRange('digest', offset, len, size, this.path);
    return native.digest(offset, len).toString(16).padStart(16, '0');
  }

  /**
   * Writes data at offset (may extend the file). Data only: TCG keeps stale
   * translations of guest code, so never write code bytes into a live guest.
   */
  write(offset: number, data: Uint8Array): number {
    const native = this.#open();
    if (!this.writable) {
      throw new ShmUsageError('E_SHM_READONLY', `write: ${this.path} was opened read-only; pass {writable: true}`, this.path);
    }
    checkRange('write', offset, data.byteLength, Number.MAX_SAFE_INTEGER, this.path);
    return native.write(offset, data);
  }

  get closed(): boolean {
    return this.#native === undefined;
  }

  /** Idempotent. */
  close(): void {
    const native = this.#native;
    this.#native = undefined;
    native?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #open(): NativeShmBackend {
    if (!this.#native) throw new ShmUsageError('E_SHM_CLOSED', `${this.path}: backend already closed`, this.path);
    return this.#native;
  }
}

function checkRange(op: string, offset: number, length: number, limit: number, path: string): void {
  const ok = Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0;
  if (!ok || offset + length > limit) {
    throw new ShmUsageError(
      'ERR_OUT_OF_RANGE',
      `${op}: range [${offset}, ${offset}+${length}) is not within [0, ${limit}); use non-negative integer offsets inside the file`,
      path,
    );
  }
}
