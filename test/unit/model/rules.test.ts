import { describe, expect, it } from 'vitest';
import { RULE_IDS, ruleInfo, rulesFor } from '../../../src/model/index.js';

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

// arm64's forms of the rules whose x86 form is x86 only (docs/arm64.md).
const ARM64_IDS = ['R-A64-DIA-EXCL', 'R-A64-DIA-RAM', 'R-A64-RW-MEMBLOCK', 'R-A64-RW-COPY', 'R-A64-MMAP-PABITS', 'R-A64-TOUCH-SEA', 'R-A64-PTRACE-RAM-WARN'];

// The x86 rules arm64 decides otherwise: arch/x86 functions (devmem_is_allowed()
// in arch/x86/mm/init.c, valid_phys_addr_range() and valid_mmap_phys_addr_range()
// in arch/x86/mm/mmap.c, memremap() for xlate_dev_mem_ptr(), PAT, __ioremap_check_ram(),
// update_end_of_memory_vars()).
const X86_ONLY = ['R-DIA-RAM', 'R-DIA-EXCL', 'R-RW-RANGE', 'R-RW-ZERO', 'R-RW-COPY', 'R-MMAP-PHYSBITS', 'R-MMAP-PAT-NOSTRICT', 'R-MMAP-PAT', 'R-PTRACE-RAM', 'R-HIGHMEM-HOTADD'];

describe('rule catalogue', () => {
  it('holds exactly the page ids and the extra ids, each once', () => {
    expect(MODEL_PAGE_IDS).toHaveLength(27);
    expect(RULE_IDS).toHaveLength(43);
    expect(new Set(RULE_IDS).size).toBe(43);
    expect([...RULE_IDS].sort()).toEqual([...MODEL_PAGE_IDS, ...EXTRA_IDS, ...ARM64_IDS].sort());
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
    expect([...extra].sort()).toEqual([...EXTRA_IDS, ...ARM64_IDS].sort());
    for (const id of [...EXTRA_IDS, ...ARM64_IDS]) {
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

  it('says which architecture each rule holds on: x86-only forms, arm64 forms, the rest on both', () => {
    for (const id of RULE_IDS) {
      const want = X86_ONLY.includes(id) ? ['x86_64'] : ARM64_IDS.includes(id) ? ['arm64'] : ['x86_64', 'arm64'];
      expect([...ruleInfo(id).arches], id).toEqual(want);
    }
    for (const id of ARM64_IDS) expect(ruleInfo(id as (typeof RULE_IDS)[number]).source, id).toMatch(/arm64|lib\/devmem_is_allowed\.c|asm-generic/);
  });

  it('rulesFor() lists each architecture\'s rules in catalogue order', () => {
    const x86 = rulesFor('x86_64');
    const arm = rulesFor('arm64');
    expect(x86).toHaveLength(36);
    expect(arm).toHaveLength(33);
    expect(x86).toEqual(RULE_IDS.filter((id) => !ARM64_IDS.includes(id)));
    expect(arm).toEqual(RULE_IDS.filter((id) => !X86_ONLY.includes(id)));
    // R-MMAP-PAT must never fire on arm64 (no X86_PAT), nor R-RW-ZERO (no value 2), nor R-HIGHMEM-HOTADD.
    for (const id of ['R-MMAP-PAT', 'R-MMAP-PAT-NOSTRICT', 'R-RW-ZERO', 'R-HIGHMEM-HOTADD']) expect(arm, id).not.toContain(id);
    for (const id of ['R-RW-DENY', 'R-MMAP-DENY', 'R-REVOKE', 'R-EXCL-SYSRAM', 'R-PTRACE-MMIO', 'R-KCORE-OFFLINE']) expect(arm, id).toContain(id);
  });
});
