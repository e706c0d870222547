// lseek() on /dev/mem: fs/read_write.c ksys_lseek() and drivers/char/mem.c
// memory_lseek(), the same in Debian's 5.10, 6.1 and 7.2 sources:
//   - whence above SEEK_MAX (SEEK_HOLE, 4) → EINVAL before the driver;
//   - memory_lseek() knows SEEK_SET and SEEK_CUR only → EINVAL otherwise;
//   - SEEK_CUR adds f_pos to the offset (loff_t arithmetic; the kernel is
//     built with -fno-strict-overflow, so it wraps);
//   - "to avoid userland mistaking f_pos=-9 as -EBADF=-9": a new position
//     that is, as an unsigned 64-bit value, at or above -MAX_ERRNO (the last
//     4095 values) → EOVERFLOW, f_pos unchanged;
//   - anything else becomes f_pos and is returned, negative loff_t included
//     (force_successful_syscall_return()).
import { fail, type Expected } from './expected.js';
import { hex } from '../util/hex.js';

const U64 = 1n << 64n;
const MAX_ERRNO = 4095n;
export const SEEK_MAX = 4;
export const WHENCE_NAMES = ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'];


export interface LseekExpected extends Expected {
  /** The returned position as an unsigned 64-bit value, when the call succeeds. */
  pos?: bigint;
}

/**
 * `offset` is the 64-bit pattern passed (two's complement), `fpos` the
 * file position before the call.
 */
export function predictLseek(whence: number, offset: bigint, fpos: bigint): LseekExpected {
  const name = WHENCE_NAMES[whence] ?? `whence ${whence}`;
  if (whence > SEEK_MAX) return fail('lseek', 'EINVAL', 'R-LSEEK-WHENCE', `ksys_lseek(): ${name} is above SEEK_MAX`);
  if (whence !== 0 && whence !== 1) return fail('lseek', 'EINVAL', 'R-LSEEK-WHENCE', `memory_lseek(): ${name} is neither SEEK_SET nor SEEK_CUR`);
  const next = whence === 1 ? (offset + fpos) % U64 : offset % U64;
  if (next >= U64 - MAX_ERRNO) {
    return fail('lseek', 'EOVERFLOW', 'R-LSEEK-OVERFLOW', `memory_lseek(): position ${hex(next)} is within MAX_ERRNO of 2^64, which would read as an errno`);
  }
  return { outcome: 'ok', pos: next, rule: 'R-LSEEK-POS', via: ['R-LSEEK-POS'], why: `memory_lseek(): f_pos = ${hex(next)}${whence === 1 ? ` (${hex(fpos)} + ${hex(offset)}, wrapping)` : ''}` };
}
