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

// Ids the catalogue has beyond the page (onModelPage: false), for outcomes the
// model must still attribute.
const EXTRA_IDS = [
  'R-LSEEK-WHENCE',
  'R-LSEEK-OVERFLOW',
  'R-LSEEK-POS',
  'R-MODULE-LOCKDOWN',
  'R-MMAP-ARGS',
  'R-MMAP-OK',
  'R-KCORE-HOLE',
  'R-KCORE-OPEN',
  'R-PTRACE-VMREADV',
];

describe('rule catalogue', () => {
  it('holds exactly the page ids and the extra ids, each once', () => {
    expect(MODEL_PAGE_IDS).toHaveLength(27);
    expect(RULE_IDS).toHaveLength(36);
    expect(new Set(RULE_IDS).size).toBe(36);
    expect([...RULE_IDS].sort()).toEqual([...MODEL_PAGE_IDS, ...EXTRA_IDS].sort());
    // A few the verdicts of every report depend on.
    expect(RULE_IDS).toEqual(expect.arrayContaining(['R-DIA-RAM', 'R-RW-DENY', 'R-MMAP-DENY', 'R-MMAP-OK', 'R-RW-COPY']));
  });

  it('has every id on the model page, marked as such, with a summary and a kernel source', () => {
    for (const id of MODEL_PAGE_IDS) {
      expect(RULE_IDS, id).toContain(id);
      const r = ruleInfo(id as (typeof RULE_IDS)[number]);
      expect(r.id, id).toBe(id);
      expect(r.onModelPage, id).toBe(true);
      expect(r.summary.length, id).toBeGreaterThan(10);
      expect(r.source, id).toMatch(/\.(c|h)\b/);
    }
  });

  it('marks the ids the page does not define', () => {
    const extra = RULE_IDS.filter((id) => !MODEL_PAGE_IDS.includes(id));
    expect([...extra].sort()).toEqual([...EXTRA_IDS].sort());
    for (const id of EXTRA_IDS) {
      const r = ruleInfo(id as (typeof RULE_IDS)[number]);
      expect(r?.onModelPage, id).toBe(false);
      expect(r.source, id).toMatch(/\.(c|h)\b/);
    }
  });

  it('describes a rule by what the kernel does', () => {
    expect(ruleInfo('R-DIA-RAM').source).toContain('devmem_is_allowed()');
    expect(ruleInfo('R-RW-RANGE').summary).toContain('EFAULT');
    expect(ruleInfo('R-MMAP-PHYSBITS').summary).toContain('EINVAL');
  });
});
