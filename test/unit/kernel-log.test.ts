// S7's reading of the console: a WARN with its message and stack trace, a
// memtype bookkeeping line, and ordinary lines that are not findings.
import { describe, expect, it } from 'vitest';
import { KernelLog } from '../../src/lab/kernel-log.js';
import type { ConsoleFinding } from '../../src/lab/faults.js';
import type { SafetyEvidence } from '../../src/model/index.js';

// As Debian 6.1.192 printed it (shortened).
const WARN = [
  '[    3.259252] ------------[ cut here ]------------',
  '[    3.259252] ioremap on RAM at 0x0000000002972000 - 0x0000000002972fff',
  '[    3.259785] WARNING: CPU: 0 PID: 126 at arch/x86/mm/ioremap.c:211 __ioremap_caller+0x345/0x360',
  '[    3.260000] Call Trace:',
  '[    3.260001]  generic_access_phys+0xdb/0x1d0',
  '[    3.260002]  __access_remote_vm+0x2b2/0x3a0',
  '[    3.260003] ---[ end trace 0000000000000000 ]---',
  '[    3.260100] virtio_mem virtio5: plugged size: 0x0',
];

function feed(lines: string[]) {
  const findings: ConsoleFinding[] = [];
  const safety: SafetyEvidence[] = [];
  const log = new KernelLog((f) => findings.push(f), (e) => safety.push(e));
  for (const l of lines) log.feed(l, 'cow-low-ram');
  log.close();
  return { findings, safety };
}

// Debian 6.1.192 arm64 (QEMU virt, cortex-a57), cow-ptrace: /proc/self/mem of a COWed private /dev/mem page (shortened).
const ARM64_WARN = [
  '[    6.523601] ------------[ cut here ]------------',
  '[    6.524699] WARNING: CPU: 0 PID: 126 at arch/arm64/mm/ioremap.c:15 ioremap_allowed+0x50/0x60',
  '[    6.542293] Call trace:',
  '[    6.542807]  ioremap_allowed+0x50/0x60',
  '[    6.543376]  ioremap_prot+0x5c/0x100',
  '[    6.543739]  generic_access_phys+0xa4/0x1ac',
  '[    6.553593] ---[ end trace 0000000000000000 ]---',
  '[    6.560000] Unable to handle kernel paging request at virtual address 0000000000000008',
];

describe('KernelLog', () => {
  it("a WARNING the model predicts (arm64's ioremap_allowed() WARN_ON, R-A64-PTRACE-RAM-WARN) is no finding and no violation; its trace is swallowed, what follows it is judged as ever", () => {
    const findings: ConsoleFinding[] = [];
    const safety: SafetyEvidence[] = [];
    const log = new KernelLog((f) => findings.push(f), (e) => safety.push(e));
    log.expected = (line) => (/at arch\/arm64\/mm\/ioremap\.c:\d+ ioremap_allowed/.test(line) ? 'R-A64-PTRACE-RAM-WARN' : undefined);
    for (const l of ARM64_WARN) log.feed(l, 'cow-low-ram');
    log.close();
    expect(safety[0]).toMatchObject({ property: 'S7', exercised: true, violated: false });
    expect(safety[0].evidence).toContain('R-A64-PTRACE-RAM-WARN');
    // The Oops after it is still a finding and a violation.
    expect(findings.map((f) => f.kind)).toEqual(['oops']);
    expect(safety.filter((e) => e.violated)).toHaveLength(1);
  });
  it('the same WARNING with no prediction (an x86 run) is a finding and a violation', () => {
    const { findings, safety } = feed(ARM64_WARN.slice(0, 7));
    expect(findings.map((f) => f.kind)).toEqual(['warning']);
    expect(safety[0]).toMatchObject({ property: 'S7', violated: true });
  });
  it('a WARN is one finding with its message and its trace up to "end trace", and one S7 violation', () => {
    const { findings, safety } = feed(WARN);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'warning', step: 'cow-low-ram', message: 'ioremap on RAM at 0x0000000002972000 - 0x0000000002972fff' });
    expect(findings[0].trace).toEqual(['Call Trace:', 'generic_access_phys+0xdb/0x1d0', '__access_remote_vm+0x2b2/0x3a0', '---[ end trace 0000000000000000 ]---']);
    expect(safety).toHaveLength(1);
    expect(safety[0]).toMatchObject({ property: 'S7', exercised: true, violated: true });
    expect(safety[0].evidence.split('\n').slice(0, 2)).toEqual(['cow-low-ram: ioremap on RAM at 0x0000000002972000 - 0x0000000002972fff', '[    3.259785] WARNING: CPU: 0 PID: 126 at arch/x86/mm/ioremap.c:211 __ioremap_caller+0x345/0x360']);
  });
  it('"freeing invalid memtype" in a step\'s dmesg counts; ordinary lines and the PAT map-type notice do not', () => {
    const findings: ConsoleFinding[] = [];
    const safety: SafetyEvidence[] = [];
    const log = new KernelLog((f) => findings.push(f), (e) => safety.push(e));
    // As Debian 6.1.192's dmesg had them after a split /dev/mem mapping was unmapped.
    log.dmesg([
      '[    3.081457] x86/PAT: devmem-agent:128 map pfn expected mapping type uncached-minus for [mem 0x40000000-0x40001fff], got write-back',
      '[    3.299401] x86/PAT: devmem-agent:128 freeing invalid memtype [mem 0x40000000-0x40000fff]',
      '[    3.3] virtio_mem virtio5: plugged size: 0x20000000',
    ], 'split-release');
    expect(findings).toEqual([{ kind: 'bookkeeping', step: 'split-release', line: '[    3.299401] x86/PAT: devmem-agent:128 freeing invalid memtype [mem 0x40000000-0x40000fff]' }]);
    expect(safety).toMatchObject([{ property: 'S7', violated: true, evidence: 'split-release: [    3.299401] x86/PAT: devmem-agent:128 freeing invalid memtype [mem 0x40000000-0x40000fff]' }]);
    // The console feed ignores them (they come from dmesg, once).
    expect(feed(['[    3.299401] x86/PAT: devmem-agent:128 freeing invalid memtype [mem 0x40000000-0x40000fff]']).findings).toEqual([]);
  });
  it('a trace the console never ends is closed when the run ends', () => {
    const { findings } = feed(WARN.slice(0, 5));
    expect(findings[0].trace).toEqual(['Call Trace:', 'generic_access_phys+0xdb/0x1d0']);
  });
});
