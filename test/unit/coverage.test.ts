import { describe, expect, it } from 'vitest';
import { ruleCoverage } from '../../src/format/coverage.js';
import type { Summary } from '../../src/format/types.js';
import type { KernelFacts } from '../../src/model/index.js';

const summary = { rules: { 'R-RW-DENY': { probes: 3, checks: 0 }, 'R-A64-RW-MEMBLOCK': { probes: 2, checks: 0 } }, rulesVia: {} } as unknown as Summary;
const facts = (arch?: 'arm64') => ({ ...(arch ? { arch } : {}), config: {}, cmdline: {} }) as unknown as KernelFacts;

describe('rule coverage per architecture', () => {
  it("an arm64 run is charged with arm64's rules and the generic ones, never x86's PAT, first-MiB or high_memory forms", () => {
    const ids = ruleCoverage(summary, facts('arm64')).map((c) => c.rule);
    for (const x86 of ['R-DIA-RAM', 'R-DIA-EXCL', 'R-RW-ZERO', 'R-MMAP-PAT', 'R-MMAP-PAT-NOSTRICT', 'R-MMAP-PHYSBITS', 'R-HIGHMEM-HOTADD']) expect(ids).not.toContain(x86);
    for (const both of ['R-RW-DENY', 'R-MMAP-DENY', 'R-REVOKE', 'R-VMEM-PARENT', 'R-A64-RW-MEMBLOCK', 'R-A64-MMAP-PABITS']) expect(ids).toContain(both);
    expect(ruleCoverage(summary, facts('arm64')).find((c) => c.rule === 'R-A64-RW-MEMBLOCK')?.status).toBe('exercised');
  });
  it('an x86_64 run (facts without arch) is never charged with an R-A64- rule', () => {
    const ids = ruleCoverage(summary, facts()).map((c) => c.rule);
    expect(ids.filter((r) => r.startsWith('R-A64-'))).toEqual([]);
    expect(ids).toContain('R-MMAP-PAT');
    expect(ids).toContain('R-DIA-RAM');
  });
});
