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
import { groupName, isBad, stepClassifier } from '../../src/report/classes.js';
import { toJUnit } from '../../src/report/junit.js';
import type { Report } from '../../src/report/types.js';

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
  it('one testcase per step × address class × op, named like the compare groups', () => {
    const r = load('6.1-lifecycle');
    const xml = toJUnit(r);
    const expected = new Set<string>();
    for (const s of r.steps) {
      const classOf = stepClassifier(s);
      for (const p of s.probes) expected.add(groupName(s.name, classOf(p), p.op));
    }
    const names = xpath(xml, '//testcase/@name')
      .split('\n')
      .map((l) => l.replace(/^\s*name="(.*)"$/, '$1'));
    const groups = names.filter((x) => !/ \/ check \/ |^safety \/ |^run \/ /.test(x));
    expect(new Set(groups)).toEqual(expected);
    expect(groups.length).toBe(expected.size);
    expect(names).toContain('plug-512M / device-region-plugged / mmap-shared');
    expect(count(xml, '//testcase[contains(@name, " / check / ")]')).toBe(r.steps.reduce((a, s) => a + (s.checks?.length ?? 0), 0));
    expect(count(xml, '//testcase[failure or error]')).toBe(0);
  });

  it('a mismatching group fails with expected, observed, rule and the verdict reason', () => {
    const r = load('6.1-older-model');
    const xml = toJUnit(r);
    const failing = new Set<string>();
    for (const s of r.steps) {
      const classOf = stepClassifier(s);
      for (const p of s.probes) if (isBad(p.verdict)) failing.add(groupName(s.name, classOf(p), p.op));
    }
    expect(failing.size).toBeGreaterThan(0);
    expect(count(xml, '//testcase[failure]')).toBe(failing.size);
    expect(Number(xpath(xml, 'string(/testsuites/testsuite/@failures)'))).toBe(failing.size);
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
