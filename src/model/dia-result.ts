// What devmem_is_allowed(pfn) answers, on either architecture: 0 deny,
// 1 allow, 2 (x86's first MiB only) allow but read()/write() see zeros.
// Apart from dia.ts so that the x86 and arm64 functions share it without
// importing each other.

import type { RuleId } from './rules.js';

export type DiaValue = 0 | 1 | 2;

export interface DiaResult {
  value: DiaValue;
  /** The dia rule that decided, absent when the page is simply allowed. */
  rule?: 'R-DIA-RAM' | 'R-DIA-EXCL' | 'R-A64-DIA-RAM' | 'R-A64-DIA-EXCL';
  /** Rules consulted on the way (R-EXCL-* behind R-DIA-EXCL / R-A64-DIA-EXCL). */
  via: RuleId[];
  why: string;
}
