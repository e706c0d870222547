// lseek() on /dev/mem: fs/read_write.c ksys_lseek() (whence > SEEK_MAX →
// EINVAL) and drivers/char/mem.c memory_lseek() (SEEK_SET/SEEK_CUR only;
// EOVERFLOW for a position p with (unsigned long long)p >= -MAX_ERRNO).
import { describe, expect, it } from 'vitest';
import { predictLseek } from '../../../src/model/index.js';

const U64 = 1n << 64n;

describe('predictLseek', () => {
  it('R-LSEEK-POS: SEEK_SET returns the offset; SEEK_CUR adds f_pos', () => {
    expect(predictLseek(0, 0x100000n, 0x1000n)).toMatchObject({ outcome: 'ok', pos: 0x100000n, rule: 'R-LSEEK-POS' });
    expect(predictLseek(1, 0x10n, 0x1000n)).toMatchObject({ outcome: 'ok', pos: 0x1010n });
  });
  it('R-LSEEK-OVERFLOW: the last 4095 positions below 2^64 would read as errnos; -4096 does not', () => {
    expect(predictLseek(0, U64 - 1n, 0n)).toMatchObject({ errno: 'EOVERFLOW', syscall: 'lseek', rule: 'R-LSEEK-OVERFLOW' });
    expect(predictLseek(0, U64 - 4095n, 0n)).toMatchObject({ errno: 'EOVERFLOW' });
    expect(predictLseek(0, U64 - 4096n, 0n)).toMatchObject({ outcome: 'ok', pos: 0xfffffffffffff000n });
    // SEEK_CUR from 0x1000 back by 0x1001 lands on -1.
    expect(predictLseek(1, U64 - 0x1001n, 0x1000n)).toMatchObject({ errno: 'EOVERFLOW' });
  });
  it('negative loff_t positions far from -MAX_ERRNO are ordinary: LLONG_MIN, and LLONG_MAX + f_pos wrapping', () => {
    expect(predictLseek(0, 1n << 63n, 0n)).toMatchObject({ outcome: 'ok', pos: 0x8000000000000000n });
    expect(predictLseek(1, (1n << 63n) - 1n, 0x1000n)).toMatchObject({ outcome: 'ok', pos: 0x8000000000000fffn });
  });
  it('R-LSEEK-WHENCE: SEEK_END, SEEK_DATA, SEEK_HOLE (memory_lseek()) and anything above SEEK_MAX (ksys_lseek()) → EINVAL', () => {
    for (const w of [2, 3, 4]) expect(predictLseek(w, 0n, 0n)).toMatchObject({ errno: 'EINVAL', rule: 'R-LSEEK-WHENCE', why: expect.stringContaining('memory_lseek()') });
    expect(predictLseek(5, 0n, 0n)).toMatchObject({ errno: 'EINVAL', why: expect.stringContaining('ksys_lseek()') });
  });
});
