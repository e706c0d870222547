import { describe, expect, it } from 'vitest';
import { RULE_IDS, ruleInfo } from '../../../src/model/index.js';

// Every rule id kernel-model.md defines, in page order.
const MODEL_PAGE_IDS = [
  'R-OPEN-NODEV',
  'R-OPEN-CAP',
  'R-OPEN-LOCKDOWN',
  'R-DIA-RAM',
  'R-DIA-EXCL',
  'R-EXCL-SYSRAM',
  'R-EXCL-BUSY',
  'R-RW-RANGE',
  'R-RW-DENY',
  'R-RW-ZERO',
  'R-RW-COPY',
  'R-MMAP-PHYSBITS',
  'R-MMAP-DENY',
  'R-MMAP-PAT-NOSTRICT',
  'R-MMAP-PAT',
  'R-TOUCH',
  'R-REVOKE',
  'R-PTRACE-REVOKED',
  'R-PTRACE-RO',
  'R-PTRACE-RAM',
  'R-PTRACE-MMIO',
  'R-VMEM-PARENT',
  'R-VMEM-CHILD',
  'R-VMEM-UNLOAD-CLEAN',
  'R-VMEM-UNLOAD-BUSY',
  'R-HIGHMEM-HOTADD',
  'R-KCORE-OFFLINE',
];

describe('rule catalogue', () => {
  it('has every id on the model page, marked as such, with a summary and a kernel source', () => {
    for (const id of MODEL_PAGE_IDS) {
      expect(RULE_IDS, id).toContain(id);
      const r = ruleInfo(id as (typeof RULE_IDS)[number]);
      expect(r.onModelPage, id).toBe(true);
      expect(r.summary.length, id).toBeGreaterThan(10);
      expect(r.source, id).toMatch(/\.(c|h)\b/);
    }
  });

  it('marks the ids the page does not define', () => {
    const extra = RULE_IDS.filter((id) => !MODEL_PAGE_IDS.includes(id));
    expect(extra.every((id) => !ruleInfo(id).onModelPage)).toBe(true);
    expect(new Set(RULE_IDS).size).toBe(RULE_IDS.length);
  });
});
