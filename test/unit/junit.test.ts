// JUnit output checked the way CI tools read it: xmllint validates it
// against the Ant/Jenkins-style schema in test/fixtures/junit.xsd, and XPath
// queries check what each testcase says. Needs xmllint (Debian:
// libxml2-utils, installed by bin/setup).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toJUnit } from '../../src/report/junit.js';
import type { Report } from '../../src/format/types.js';

const XSD = fileURLToPath(new URL('../fixtures/junit.xsd', import.meta.url));
const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const FIXTURES = ['6.1-lifecycle', '6.1-lifecycle-rerun', '6.12-lifecycle', '6.1-iomem-relaxed', '6.1-lockdown-integrity', '6.1-touch-unplugged', '6.1-older-model', '6.1-guest-hang'];

const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function write(xml: string): string {
  const f = join(dir, `out-${n++}.xml`);
  writeFileSync(f, xml);
  return f;
}

function validate(xml: string): { ok: boolean; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, write(xml)], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint is needed for this test (Debian: apt-get install libxml2-utils): ${r.error.message}`);
  return { ok: r.status === 0, stderr: r.stderr };
}

const xpath = (xml: string, expr: string): string => execFileSync('xmllint', ['--xpath', expr, write(xml)], { encoding: 'utf8' }).trim();
const count = (xml: string, expr: string): number => Number(xpath(xml, `count(${expr})`));
const q = (s: string): string => (s.includes("'") ? `"${s}"` : `'${s}'`);

describe('schema', () => {
  it.each(FIXTURES)('%s validates', (name) => {
    const v = validate(toJUnit(load(name)));
    expect(v.stderr).toMatch(/validates/);
    expect(v.ok).toBe(true);
  });

  it('all runs in one document validate, one testsuite each', () => {
    const xml = toJUnit(FIXTURES.map(load));
    expect(validate(xml).ok).toBe(true);
    expect(count(xml, '/testsuites/testsuite')).toBe(FIXTURES.length);
  });

  it('the schema rejects what CI tools reject', () => {
    const good = toJUnit(load('6.1-older-model'));
    // A failure without its type, a testcase without classname, a zoned timestamp.
    expect(validate(good.replace(/<failure type="[^"]*"/, '<failure')).ok).toBe(false);
    expect(validate(good.replace(/<testcase classname="[^"]*"/, '<testcase')).ok).toBe(false);
    expect(validate(good.replace(/timestamp="([^"]*)"/, 'timestamp="$1Z"')).ok).toBe(false);
    expect(validate(good.replace('<properties>', '<property name="x" value="y"/><properties>')).ok).toBe(false);
  });

  it('console text with control characters and markup stays valid XML', () => {
    const r = load('6.1-guest-hang');
    r.fault!.consoleTail.push('\x1b[0m<b>&"quoted"\x00\x07 ünïcode \ud800');
    r.findings = [{ kind: 'bug', step: 'boot', line: 'BUG: <unable> & "x"\x01' }];
    const xml = toJUnit(r);
    expect(validate(xml).ok).toBe(true);
    expect(xpath(xml, "string(//testcase[@name='run / console']/failure/@type)")).toBe('console');
  });
});

describe('content', () => {
  // Classes by hand from each step's /proc/iomem, QMP's device (memaddr
  // 0x100000000, max-size 1 GiB) and high_memory (0x3ffe0000 until plug-512M
  // raises it to 0x120000000): 0x0, 0x50000 low-mib; 0x2006f000, 0x3b600000
  // ram; 0xfebf8000 (virtio-pci-modern claim), 0xfee00000 (Local APIC)
  // mmio-busy; 0x77fff000, 0x140000000 (PCI windows), 0xfed00000 (HPET)
  // mmio-free; 0xfed20000 (no resource) beyond-high-memory while high_memory
  // is 0x3ffe0000, unclaimed-hole after; 0x10000000000 beyond-high-memory;
  // 0x100000000..0x13ffff000 the device region.
  const BOOT_CASES = [
    'boot / low-mib / read', 'boot / low-mib / mmap-shared', 'boot / low-mib / mmap-private', 'boot / low-mib / touch-shared',
    'boot / ram / read', 'boot / ram / mmap-shared', 'boot / ram / mmap-private', 'boot / ram / touch-shared',
    'boot / mmio-busy / read', 'boot / mmio-busy / mmap-shared', 'boot / mmio-busy / mmap-private', 'boot / mmio-busy / touch-shared',
    'boot / mmio-free / read', 'boot / mmio-free / mmap-shared', 'boot / mmio-free / mmap-private', 'boot / mmio-free / touch-shared',
    'boot / beyond-high-memory / read', 'boot / beyond-high-memory / mmap-shared', 'boot / beyond-high-memory / mmap-private', 'boot / beyond-high-memory / touch-shared',
    // Only mapped at boot: 0x100000000 and 0x120000000, nothing plugged yet.
    'boot / device-region-unplugged / mmap-shared', 'boot / device-region-unplugged / mmap-private',
  ];
  // plug-512M probes every class: 0xfed20000 is now below high_memory, and
  // 0x100000000..0x11ffff000 lie in "System RAM (virtio_mem)".
  const PLUG_CASES = [
    'plug-512M / low-mib / read', 'plug-512M / low-mib / mmap-shared', 'plug-512M / low-mib / mmap-private', 'plug-512M / low-mib / touch-shared',
    'plug-512M / ram / read', 'plug-512M / ram / mmap-shared', 'plug-512M / ram / mmap-private', 'plug-512M / ram / touch-shared',
    'plug-512M / mmio-busy / read', 'plug-512M / mmio-busy / mmap-shared', 'plug-512M / mmio-busy / mmap-private', 'plug-512M / mmio-busy / touch-shared',
    'plug-512M / mmio-free / read', 'plug-512M / mmio-free / mmap-shared', 'plug-512M / mmio-free / mmap-private', 'plug-512M / mmio-free / touch-shared',
    'plug-512M / unclaimed-hole / read', 'plug-512M / unclaimed-hole / mmap-shared', 'plug-512M / unclaimed-hole / mmap-private', 'plug-512M / unclaimed-hole / touch-shared',
    'plug-512M / beyond-high-memory / read', 'plug-512M / beyond-high-memory / mmap-shared', 'plug-512M / beyond-high-memory / mmap-private', 'plug-512M / beyond-high-memory / touch-shared',
    'plug-512M / device-region-plugged / read', 'plug-512M / device-region-plugged / mmap-shared', 'plug-512M / device-region-plugged / mmap-private', 'plug-512M / device-region-plugged / touch-shared',
    'plug-512M / device-region-unplugged / read', 'plug-512M / device-region-unplugged / mmap-shared', 'plug-512M / device-region-unplugged / mmap-private', 'plug-512M / device-region-unplugged / touch-shared',
  ];
  const testcaseNames = (xml: string, expr = '//testcase/@name'): string[] =>
    xpath(xml, expr)
      .split('\n')
      .map((l) => l.replace(/^\s*name="(.*)"$/, '$1'));

  it('one testcase per step × address class × op, named like the compare groups', () => {
    const r = load('6.1-lifecycle');
    const xml = toJUnit(r);
    const names = testcaseNames(xml);
    const groups = names.filter((x) => !/ \/ check \/ |^safety \/ |^run \/ /.test(x));
    expect(new Set(groups).size).toBe(groups.length);
    expect(groups.filter((x) => x.startsWith('boot / '))).toEqual(BOOT_CASES);
    expect(groups.filter((x) => x.startsWith('plug-512M / '))).toEqual(PLUG_CASES);
    // Per step: classes seen × 4 ops, less the ops a class was not probed with.
    const perStep: Record<string, number> = {};
    for (const g of groups) perStep[g.split(' / ')[0]] = (perStep[g.split(' / ')[0]] ?? 0) + 1;
    expect(perStep).toEqual({ boot: 22, 'driver-loaded': 24, 'plug-512M': 32, 'unplug-to-256M': 32, 'unplug-to-0': 28, rmmod: 26, modprobe: 28 });
    expect(names).toContain('driver-loaded / check / R-VMEM-PARENT');
    expect(names).toContain('rmmod / check / R-VMEM-UNLOAD-CLEAN');
    expect(count(xml, '//testcase[contains(@name, " / check / ")]')).toBe(21); // summary.checks: 21 matches
    expect(names.filter((x) => x.startsWith('safety / '))).toEqual(['safety / S1', 'safety / S2', 'safety / S3', 'safety / S4', 'safety / S5']);
    expect(count(xml, '//testcase[failure or error]')).toBe(0);
  });

  it('a mismatching group fails with expected, observed, rule and the verdict reason', () => {
    const r = load('6.1-older-model');
    const xml = toJUnit(r);
    // The older model's 26 mismatches are all at the HPET page (mmio-free):
    // mapping ops from boot on, read too once high_memory is above it.
    const failing = [
      'boot / mmio-free / mmap-shared', 'boot / mmio-free / mmap-private', 'boot / mmio-free / touch-shared',
      'driver-loaded / mmio-free / mmap-shared', 'driver-loaded / mmio-free / mmap-private', 'driver-loaded / mmio-free / touch-shared',
      'plug-512M / mmio-free / read', 'plug-512M / mmio-free / mmap-shared', 'plug-512M / mmio-free / mmap-private', 'plug-512M / mmio-free / touch-shared',
      'unplug-to-256M / mmio-free / read', 'unplug-to-256M / mmio-free / mmap-shared', 'unplug-to-256M / mmio-free / mmap-private', 'unplug-to-256M / mmio-free / touch-shared',
      'unplug-to-0 / mmio-free / read', 'unplug-to-0 / mmio-free / mmap-shared', 'unplug-to-0 / mmio-free / mmap-private', 'unplug-to-0 / mmio-free / touch-shared',
      'rmmod / mmio-free / read', 'rmmod / mmio-free / mmap-shared', 'rmmod / mmio-free / mmap-private', 'rmmod / mmio-free / touch-shared',
      'modprobe / mmio-free / read', 'modprobe / mmio-free / mmap-shared', 'modprobe / mmio-free / mmap-private', 'modprobe / mmio-free / touch-shared',
    ];
    expect(testcaseNames(xml, '//testcase[failure]/@name')).toEqual(failing);
    expect(Number(xpath(xml, 'string(/testsuites/testsuite/@failures)'))).toBe(26);
    const body = xpath(xml, `string(//testcase[@name=${q('plug-512M / mmio-free / read')}]/failure)`);
    expect(body).toContain('0xfed00000 read');
    expect(body).toContain('expected: errno EPERM (pread) by R-RW-DENY');
    expect(body).toContain('rule:     R-RW-DENY');
    expect(body).toContain('observed: data, 4096 bytes');
    expect(body).toContain('expected pread EPERM, got ok');
    expect(xpath(xml, `string(//testcase[@name=${q('plug-512M / mmio-free / read')}]/failure/@type)`)).toBe('mismatch');
    expect(xpath(xml, `string(//testcase[@name=${q('plug-512M / mmio-free / read')}]/failure/@message)`)).toMatch(/1 of \d+ MMIO free read probes: mismatch R-RW-DENY x1/);
  });

  it('safety properties: violated fails, not exercised is skipped, holds passes', () => {
    const xml = toJUnit(load('6.1-touch-unplugged'));
    expect(xpath(xml, "string(//testcase[@name='safety / S4']/failure/@type)")).toBe('violation');
    expect(xpath(xml, "string(//testcase[@name='safety / S4']/failure)")).toContain('block 5 at 0x100a00000');
    expect(count(xml, "//testcase[@name='safety / S2']/skipped")).toBe(1);
    const ok = toJUnit(load('6.1-lifecycle'));
    expect(count(ok, "//testcase[@name='safety / S1'][not(*)]")).toBe(1);
  });

  it('a run fault is an error carrying its kind, step and console tail', () => {
    const r = load('6.1-guest-hang');
    const xml = toJUnit(r);
    expect(count(xml, '//error')).toBe(2); // the failed step and the run
    expect(xpath(xml, "string(//testcase[@name='run / fault']/error/@type)")).toBe('guest-hang');
    expect(xpath(xml, "string(//testcase[@name='run / fault']/error/@message)")).toContain('at driver-loaded');
    expect(xpath(xml, "string(//testcase[@name='run / fault']/error)")).toContain('devmem-lab-init: ready');
    expect(xpath(xml, "string(//testcase[@name='driver-loaded / step']/error/@type)")).toBe('E_TIMEOUT');
    expect(Number(xpath(xml, 'string(/testsuites/testsuite/@errors)'))).toBe(2);
  });

  it('skipped probes make a skipped testcase', () => {
    const r = load('6.1-lifecycle');
    const s = r.steps[0];
    for (const p of s.probes) if (p.op === 'read') Object.assign(p, { verdict: 'skipped', verdictReason: 'not judged here' });
    const xml = toJUnit(r);
    expect(validate(xml).ok).toBe(true);
    expect(count(xml, "//testcase[starts-with(@name, 'boot / ') and contains(@name, ' / read')]")).toBeGreaterThan(0);
    expect(count(xml, "//testcase[starts-with(@name, 'boot / ') and contains(@name, ' / read')][not(skipped)]")).toBe(0);
  });

  it('suite totals agree with the testcases; the suite is named by kernel, scenario and command line', () => {
    const xml = toJUnit([load('6.1-iomem-relaxed'), load('6.1-touch-unplugged')]);
    for (const i of [1, 2]) {
      const suite = `/testsuites/testsuite[${i}]`;
      expect(Number(xpath(xml, `string(${suite}/@tests)`))).toBe(count(xml, `${suite}/testcase`));
      expect(Number(xpath(xml, `string(${suite}/@failures)`))).toBe(count(xml, `${suite}/testcase[failure]`));
      expect(Number(xpath(xml, `string(${suite}/@skipped)`))).toBe(count(xml, `${suite}/testcase[skipped]`));
    }
    expect(xpath(xml, 'string(/testsuites/testsuite[1]/@name)')).toBe('6.1.0-56-amd64 / lifecycle / iomem=relaxed');
    expect(xpath(xml, "string(/testsuites/testsuite[1]/properties/property[@name='guest.cmdline']/@value)")).toContain('iomem=relaxed');
    expect(Number(xpath(xml, 'string(/testsuites/@tests)'))).toBe(count(xml, '//testcase'));
  });
});
