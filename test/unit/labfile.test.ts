// devmem-lab.json (src/matrix/labfile.ts): defaults, and errors that name the field.
import { describe, expect, it } from 'vitest';
import { parseLabFile } from '../../src/matrix/labfile.js';

describe('lab file', () => {
  it('fills in what a matrix defaults to', () => {
    expect(parseLabFile({ kernels: ['debian:bookworm', 'debian:newest'], out: 'matrix-out' }, 'devmem-lab.json')).toEqual({
      arches: ['x86_64'],
      kernels: ['debian:bookworm', 'debian:newest'],
      cmdlines: [''],
      scenarios: ['lifecycle'],
      out: 'matrix-out',
      accel: 'tcg',
      freshBoot: false,
      repeats: 1,
      repeatBoots: false,
    });
  });
  it('takes every field', () => {
    const f = { arches: ['x86_64', 'arm64'], kernels: ['debian:bookworm'], cmdlines: ['', 'iomem=relaxed'], scenarios: ['revoke'], out: 'o', jobs: 2, shard: '1/4', accel: 'kvm', freshBoot: true, repeats: 3, repeatBoots: true };
    expect(parseLabFile(f, 'x')).toEqual(f);
  });
  it('names each bad field and what to write', () => {
    const bad = () => parseLabFile({ arches: ['riscv64'], kernels: [], out: '', jobs: 1.5, shard: 'first', repeats: 0, scenario: ['lifecycle'] }, 'devmem-lab.json');
    expect(bad).toThrow(/devmem-lab\.json is not a valid lab file/);
    for (const re of [/arches\.0: write "x86_64" or "arm64"/, /kernels: list at least one kernel/, /out: write a non-empty string/, /jobs: a whole number/, /shard: write "i\/n"/, /repeats: at least 1/, /Unrecognized key: "scenario"/]) {
      expect(bad).toThrow(re);
    }
  });
});
