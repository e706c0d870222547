// The one place that knows the addon's exact shape. Everything native is
// typed here; the rest of src/ imports these types, never `require`s the
// .node file itself.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeError, type NativeErrorFields } from './native-error.js';

/** A connected QMP socket. Lines arrive without their '\n' (or "\r\n"). */
export interface NativeQmpTransport {
  /** Queues bytes; throws NativeError (syscall 'send') if the socket failed. */
  write(data: string): void;
  /** Idempotent; does not call onClose. */
  close(): void;
}

export interface NativeQmpTransportConstructor {
  /**
   * Connects synchronously (Linux unix sockets never connect "in progress");
   * throws NativeError with syscall 'connect' (ENOENT, ECONNREFUSED, EAGAIN…).
   * onClose gets null at end of stream or the NativeError that ended it.
   */
  new (
    path: string,
    onLine: (line: string) => void,
    onClose: (error: NativeError | null) => void,
  ): NativeQmpTransport;
}

/** Raw backend file handle. Offsets and lengths are byte counts < 2^53. */
export interface NativeShmBackend {
  size(): number;
  /** Populated ranges within [offset, offset+length) as flat [off, len, off, len, …]. */
  extents(offset: number, length: number): Float64Array;
  /** Bytes at offset; shorter than length only at end of file. */
  read(offset: number, length: number): Buffer;
  /** Offset of the first non-zero byte in the range, or -1. */
  findNonZero(offset: number, length: number): number;
  /** XXH64 (seed 0) of the range, holes read as zeros. */
  digest(offset: number, length: number): bigint;
  /** Writes all of data at offset; returns the byte count. */
  write(offset: number, data: Uint8Array): number;
  close(): void;
}

export interface NativeShmBackendConstructor {
  new (path: string, writable: boolean): NativeShmBackend;
}

export interface NativeAddon {
  setErrorClass(ctor: new (fields: NativeErrorFields) => Error): void;
  QmpTransport: NativeQmpTransportConstructor;
  ShmBackend: NativeShmBackendConstructor;
}

/** Thrown when no built addon can be loaded. */
export class AddonLoadError extends Error {
  readonly code = 'E_ADDON_LOAD';
  readonly tried: readonly string[];

  constructor(tried: string[], causes: unknown[]) {
    const lines = tried.map((p, i) => `  ${p}: ${describe(causes[i])}`);
    super(
      `devmem-lab native addon not found or not loadable; tried:\n${lines.join('\n')}\n` +
        'Build it with `npm run build:native` (needs a C++ compiler, make and python3).',
      { cause: causes[causes.length - 1] },
    );
    this.name = 'AddonLoadError';
    this.tried = tried;
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return (e as { code?: string }).code === 'MODULE_NOT_FOUND' ? 'missing' : e.message;
  return String(e);
}

/**
 * The package root: the nearest directory above this module holding a
 * package.json. This file runs from src/native/ (vitest) and from
 * dist/src/native/ (after tsc), so a fixed '../..' would be wrong in one.
 */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

let cached: NativeAddon | undefined;

/** Loads devmem_lab.node once (Release build preferred over Debug). */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  const causes: unknown[] = [];
  for (const flavour of ['Release', 'Debug']) {
    const file = join(root, 'build', flavour, 'devmem_lab.node');
    tried.push(file);
    try {
      const addon = require(file) as NativeAddon;
      addon.setErrorClass(NativeError);
      cached = addon;
      return addon;
    } catch (e) {
      causes.push(e);
    }
  }
  throw new AddonLoadError(tried, causes);
}
