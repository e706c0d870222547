import { describe, expect, it } from 'vitest';
import {
  FactsParseError,
  parseCmdline,
  parseKernelConfig,
  parseKernelVersion,
  parseLockdown,
  parsePatMemtypeList,
  parseProcMtrr,
  parsePhysBits,
  splitCmdline,
  strictIomemChecks,
} from '../../../src/model/index.js';
import { DEBIAN_CONFIG, PROC_VERSION } from './q35.js';

describe('parseKernelVersion', () => {
  it('takes the upstream patch from the Debian package version, not the ABI number', () => {
    const v = parseKernelVersion('6.1.0-47-amd64', PROC_VERSION['6.1']);
    expect(v).toMatchObject({ major: 6, minor: 1, patch: 192, patchKnown: true, distro: '6.1.192-2', raw: '6.1.0-47-amd64' });
  });

  it('ignores the "(Debian 12.2.0-14…)" compiler version earlier on the /proc/version line', () => {
    // The gcc version also reads "Debian 12.2.0-14"; only the text after '#' is the kernel's.
    const v = parseKernelVersion('5.10.0-32-amd64', PROC_VERSION['5.10']);
    expect([v.major, v.minor, v.patch]).toEqual([5, 10, 223]);
  });

  it('reads 6.12 backports ("6.12.117+deb12-amd64", "Debian 6.12.117-1~deb12u1")', () => {
    const v = parseKernelVersion('6.12.117+deb12-amd64', PROC_VERSION['6.12']);
    expect(v).toMatchObject({ major: 6, minor: 12, patch: 117, distro: '6.12.117-1~deb12u1' });
  });

  it('says the patch level is unknown for a bare Debian ABI string', () => {
    const v = parseKernelVersion('6.1.0-47-amd64');
    expect(v).toMatchObject({ major: 6, minor: 1, patch: 0, patchKnown: false });
  });

  it('uses the release string of a self-built kernel', () => {
    expect(parseKernelVersion('6.1.192-devmemlab', 'Linux version 6.1.192-devmemlab (me@host) #3 SMP')).toMatchObject({ patch: 192, patchKnown: true });
  });

  it('does not take a Debian version of another series', () => {
    expect(parseKernelVersion('6.12.9', 'Linux version 6.12.9 #1 SMP Debian 6.1.192-2').patch).toBe(9);
  });

  it('rejects garbage with a stable code', () => {
    expect(() => parseKernelVersion('banana')).toThrow(FactsParseError);
    try {
      parseKernelVersion('banana');
    } catch (e) {
      expect((e as FactsParseError).code).toBe('E_FACTS_PARSE');
    }
  });
});

describe('parseKernelConfig', () => {
  it("reads Debian's amd64 /dev/mem options", () => {
    expect(DEBIAN_CONFIG).toEqual({
      DEVMEM: true, STRICT_DEVMEM: true, IO_STRICT_DEVMEM: true, X86_PAT: true, VIRTIO_MEM: 'm',
      CROSS_MEMORY_ATTACH: true, PROC_KCORE: true, DEBUG_FS: true, SECURITY_LOCKDOWN_LSM: true, MODULE_SIG: true,
    });
  });

  it('treats "is not set" and absent options as n', () => {
    const c = parseKernelConfig('CONFIG_DEVMEM=y\n# CONFIG_STRICT_DEVMEM is not set\nCONFIG_VIRTIO_MEM=y\n');
    expect(c).toEqual({
      DEVMEM: true, STRICT_DEVMEM: false, IO_STRICT_DEVMEM: false, X86_PAT: false, VIRTIO_MEM: 'y',
      CROSS_MEMORY_ATTACH: false, PROC_KCORE: false, DEBUG_FS: false, SECURITY_LOCKDOWN_LSM: false, MODULE_SIG: false,
    });
  });

  it('reads CONFIG_ARM64_PA_BITS as a number on arm64 (PHYS_MASK_SHIFT, arch/arm64/include/asm/pgtable-hwdef.h); an x86 config has none', () => {
    expect(parseKernelConfig('CONFIG_DEVMEM=y\nCONFIG_ARM64_PA_BITS_48=y\nCONFIG_ARM64_PA_BITS=48\n').ARM64_PA_BITS).toBe(48);
    expect(DEBIAN_CONFIG.ARM64_PA_BITS).toBeUndefined();
  });

  it('refuses text with no CONFIG_ lines', () => {
    expect(() => parseKernelConfig('hello')).toThrow(FactsParseError);
  });
});

describe('parseCmdline', () => {
  it('keeps every iomem= value in order', () => {
    const c = parseCmdline('BOOT_IMAGE=/vmlinuz iomem=relaxed quiet iomem=strict lockdown=integrity mem=2G\n');
    expect(c.iomem).toEqual(['relaxed', 'strict']);
    expect(c.lockdown).toBe('integrity');
    expect(c.mem).toBe('2G');
    expect(c.nopat).toBe(false);
  });

  it('groups double-quoted values and stops at "--" (the rest is init\'s), like next_arg()', () => {
    expect(splitCmdline('a "iomem=relaxed strict" b -- iomem=relaxed')).toEqual(['a', 'iomem=relaxed strict', 'b']);
    expect(parseCmdline('iomem=strict -- iomem=relaxed').iomem).toEqual(['strict']);
  });

  it('sees nopat', () => {
    expect(parseCmdline('console=ttyS0 nopat').nopat).toBe(true);
  });
});

describe('strict_iomem_checks (kernel/resource.c strict_iomem())', () => {
  const f = (strictDevmem: boolean, cmd: string) => strictIomemChecks({ config: { ...DEBIAN_CONFIG, STRICT_DEVMEM: strictDevmem }, cmdline: parseCmdline(cmd) }).strict;

  it('starts at STRICT_DEVMEM', () => {
    expect(f(true, '')).toBe(true);
    expect(f(false, '')).toBe(false);
  });

  it('applies each iomem= in command-line order; the last one wins', () => {
    expect(f(true, 'iomem=relaxed')).toBe(false);
    expect(f(true, 'iomem=relaxed iomem=strict')).toBe(true);
    expect(f(true, 'iomem=strict iomem=relaxed')).toBe(false);
    expect(f(false, 'iomem=strict')).toBe(true);
  });

  it('tests "strict" after "relaxed" inside one value, with strstr()', () => {
    expect(f(true, 'iomem=relaxed,strict')).toBe(true);
    expect(f(true, 'iomem=strict,relaxed')).toBe(true);
    expect(f(true, 'iomem=norelaxed')).toBe(false);
  });
});

describe('small guest parsers', () => {
  it('parses the bracketed lockdown level', () => {
    expect(parseLockdown('none [integrity] confidentiality\n')).toBe('integrity');
    expect(() => parseLockdown('none integrity')).toThrow(FactsParseError);
  });

  it('parses physical address bits from /proc/cpuinfo', () => {
    expect(parsePhysBits('flags\t: fpu pat\naddress sizes\t: 40 bits physical, 48 bits virtual\n')).toBe(40);
  });

  it('parses the PAT memtype list (memtype_seq_show() format)', () => {
    const text = 'PAT memtype list:\nPAT: [mem 0x00000000fd000000-0x00000000fe000000] write-combining\nPAT: [mem 0x00000000febc0000-0x00000000febc1000] uncached-minus\n';
    expect(parsePatMemtypeList(text)).toEqual([
      { start: 0xfd000000, end: 0xfe000000, type: 'write-combining' },
      { start: 0xfebc0000, end: 0xfebc1000, type: 'uncached-minus' },
    ]);
  });

  it('parses /proc/mtrr (mtrr_seq_show(): sizes in MB, or KB under 1 MiB) and refuses a line of another shape', () => {
    const text = 'reg00: base=0x0c0000000 ( 3072MB), size= 1024MB, count=1: uncachable\nreg01: base=0x0000a0000 (    0MB), size=  128KB, count=1: write-combining\n';
    expect(parseProcMtrr(text)).toEqual([
      { base: 0xc0000000, size: 0x40000000, type: 'uncachable' },
      { base: 0xa0000, size: 0x20000, type: 'write-combining' },
    ]);
    expect(parseProcMtrr('')).toEqual([]);
    expect(() => parseProcMtrr('reg00: base=0xc0000000 size=1G')).toThrow(FactsParseError);
  });
});
