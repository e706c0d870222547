import { describe, expect, it } from 'vitest';
import { dmesgDelta, splitSections } from '../../src/guest/observe.js';
import { parseLdd } from '../../src/image/userland.js';
import { shq } from '../../src/guest/ssh.js';

describe('guest observation parsing', () => {
  it('splits a multi-command output into named sections', () => {
    const out = '@@devmem-lab@@ a\nline 1\nline 2\n@@devmem-lab@@ b\n@@devmem-lab@@ c\nx\n';
    expect(splitSections(out)).toEqual({ a: 'line 1\nline 2', b: '', c: 'x' });
  });
  it('takes the dmesg lines after the last one seen', () => {
    expect(dmesgDelta(['a', 'b'], ['a', 'b', 'c', 'd'])).toEqual(['c', 'd']);
    expect(dmesgDelta([], ['a'])).toEqual(['a']);
  });
  it('reads the libraries ldd lists, with the interpreter', () => {
    const ldd = '\tlinux-vdso.so.1 (0x00007f)\n\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n';
    expect(parseLdd(ldd)).toEqual(['/lib/x86_64-linux-gnu/libz.so.1', '/lib64/ld-linux-x86-64.so.2']);
  });
  it('quotes guest shell words', () => {
    expect(shq("a'b; reboot")).toBe(`'a'\\''b; reboot'`);
  });
});
