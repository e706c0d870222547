import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReports } from '../../src/compare/index.js';
import { flattenIomem, parseIomem } from '../../src/guest/iomem.js';
import { isBad } from '../../src/format/classes.js';
import { toHtml } from '../../src/report/html.js';
import type { Report } from '../../src/format/types.js';

const load = (name: string): Report => JSON.parse(readFileSync(new URL(`../fixtures/reports/${name}.json`, import.meta.url), 'utf8'));
const FIXTURES = ['6.1-lifecycle', '6.12-lifecycle', '6.1-iomem-relaxed', '6.1-lockdown-integrity', '6.1-touch-unplugged', '6.1-older-model', '6.1-guest-hang'];

/** The SVG of one step (the step's block runs from its id to the end of its <svg>). */
function stepSvg(html: string, step: string): string {
  const from = html.indexOf(`id="step-${step}"`);
  expect(from).toBeGreaterThan(0);
  const start = html.indexOf('<svg class="map"', from);
  return html.slice(start, html.indexOf('</svg>', start) + '</svg>'.length);
}
const countOf = (s: string, needle: string | RegExp): number => (typeof needle === 'string' ? s.split(needle).length - 1 : (s.match(needle) ?? []).length);

const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('self-contained', () => {
  it.each(FIXTURES)('%s loads nothing from elsewhere', (name) => {
    const html = toHtml(load(name));
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|@import|url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<script\b[^>]*\bsrc=/i);
    // The only links leave for the run's own files, beside the page, or stay on it.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    for (const h of hrefs) expect(h).toMatch(/^(#[\w-]+|console\.log|events\.jsonl|report\.json)$/);
    expect(hrefs).toEqual(expect.arrayContaining(['console.log', 'events.jsonl']));
  });

  it('escapes what the guest printed', () => {
    const r = load('6.1-guest-hang');
    r.findings = [{ kind: 'bug', step: 'boot', line: 'BUG: <script>alert(1)</script> & "x"' }];
    r.fault!.consoleTail.push('<img src=http://example.invalid/x>');
    const html = toHtml(r);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=');
    expect(html).toContain('BUG: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
  });

  it.each(['6.1-lifecycle', '6.1-older-model', '6.1-touch-unplugged'])('every step picture of %s is well-formed SVG', (name) => {
    const r = load(name);
    const html = toHtml(r);
    for (const s of r.steps) {
      const f = join(dir, `${name}-${s.name}.svg`);
      writeFileSync(f, stepSvg(html, s.name));
      const v = spawnSync('xmllint', ['--noout', f], { encoding: 'utf8' });
      if (v.error) throw new Error(`xmllint is needed for this test (Debian: libxml2-utils): ${v.error.message}`);
      expect(v.stderr).toBe('');
      expect(v.status).toBe(0);
    }
  });
});

describe('the address map', () => {
  it.each(FIXTURES)('%s: one rect per iomem range of each step, in order, with its name', (name) => {
    const r = load(name);
    const html = toHtml(r);
    for (const s of r.steps) {
      const svg = stepSvg(html, s.name);
      const names = s.observations.iomem ? flattenIomem(parseIomem(s.observations.iomem)).map((n) => n.name) : [];
      const drawn = [...svg.matchAll(/<g class="range" data-name="([^"]*)"><title>[^<]*<\/title><rect /g)].map((m) => m[1].replace(/&amp;/g, '&'));
      expect(drawn).toEqual(names);
    }
  });

  it('marks every mismatching probe and flags each page that has one', () => {
    const r = load('6.1-older-model');
    const html = toHtml(r);
    for (const s of r.steps) {
      const svg = stepSvg(html, s.name);
      const bad = s.probes.filter((p) => p.verdict === 'mismatch');
      expect(countOf(svg, '<rect class="probe mismatch')).toBe(bad.length);
      expect(countOf(svg, '<path class="flag mismatch"')).toBe(new Set(bad.map((p) => p.addr)).size);
      for (const p of bad) expect(svg).toContain(`${p.op} ${p.addr} (${p.len} bytes)`);
    }
    expect(countOf(html, '<rect class="probe mismatch')).toBe(r.steps.reduce((n, s) => n + s.probes.filter((p) => isBad(p.verdict)).length, 0));
    const clean = load('6.1-lifecycle');
    const cleanHtml = toHtml(clean);
    for (const s of clean.steps) expect(countOf(stepSvg(cleanHtml, s.name), /class="(probe|flag) (mismatch|violation)/g)).toBe(0);
  });

  it('every probe has a mark with a hover title naming op, address, outcome, rule and verdict', () => {
    const r = load('6.1-lifecycle');
    const html = toHtml(r);
    const s = r.steps.find((x) => x.name === 'plug-512M')!;
    const svg = stepSvg(html, s.name);
    expect(countOf(svg, '<rect class="probe ')).toBe(s.probes.length);
    const p = s.probes.find((x) => x.addr === '0xfebf8000' && x.op === 'read')!;
    const title = svg.match(/<rect class="probe [^"]*" data-verdict="match"[^>]*><title>(read 0xfebf8000 \(4096 bytes\)[^<]*)<\/title>/)![1];
    expect(title).toContain('MMIO busy');
    expect(title).toContain('observed: errno EPERM (pread)');
    expect(title).toContain(`expected: errno EPERM (pread) by ${p.expected!.rule}`);
    expect(title).toContain('verdict: match');
  });

  it('shows the host-seen S4 block and the scenario access of touch-unplugged', () => {
    const r = load('6.1-touch-unplugged');
    const html = toHtml(r);
    const svg = stepSvg(html, 'touch-block-5');
    expect(countOf(svg, '<g class="stray">')).toBe(1);
    expect(svg).toContain('unplugged block 5 at 0x100a00000');
    expect(svg).toContain('scenario access: touch-shared 0x100a00000');
    expect(countOf(stepSvg(html, 'boot'), '<g class="stray">')).toBe(0);
    expect(html).toContain('safety violated');
  });

  it('draws the device region from QMP even before the driver shows it, and high_memory per step', () => {
    const r = load('6.1-lifecycle');
    const html = toHtml(r);
    const boot = stepSvg(html, 'boot');
    expect(countOf(boot, '<g class="device">')).toBe(1);
    expect(boot).toContain('virtio-mem vm0: 0x100000000–0x13fffffff (1 GiB), plugged nothing');
    expect(stepSvg(html, 'plug-512M')).toContain('plugged 0x100000000–0x11fffffff (iomem)');
    expect(boot).toContain('high_memory ends at 0x3ffe0000');
    expect(stepSvg(html, 'plug-512M')).toContain('high_memory ends at 0x120000000');
  });
});

describe('the rest of the page', () => {
  it('summary, safety, coverage and findings', () => {
    const r = load('6.1-lifecycle');
    const html = toHtml(r);
    expect(html).toContain('kernel = model');
    for (const s of r.safety) expect(html).toContain(`<td><b>${s.id}</b></td><td><span class="status ${s.status}">`);
    for (const c of r.coverage!) expect(html).toContain(`<td><code>${c.rule}</code></td>`);
    expect(html).toContain('id="findings"');
    expect(html).not.toContain('id="compare"');
  });

  it('a relaunched guest with its error and escaped console tail', () => {
    const r = load('6.1-lifecycle');
    expect(toHtml(r)).not.toContain('Guests relaunched');
    r.environment.bootRetries = [{ code: 'E_SSH_CONNECT', message: 'no SSH connection to the guest within 120000 ms: Timed out while waiting for handshake (×14)', consoleTail: ['devmem-lab-init: ready', '<b>x</b>'] }];
    const html = toHtml(r);
    expect(html).toContain('Guests relaunched');
    expect(html).toContain('Timed out while waiting for handshake (×14)');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('a fault with its kind, step and console tail', () => {
    const html = toHtml(load('6.1-guest-hang'));
    expect(html).toContain('Fault: guest-hang at driver-loaded');
    expect(html).toContain('devmem-lab-init: ready');
    expect(html).toContain('run failed');
  });

  it('the compare view lists the differences and marks changed probes on the map', () => {
    const a = load('6.1-lifecycle');
    const b = load('6.1-older-model');
    const diff = compareReports(a, b);
    const html = toHtml(b, { compare: diff });
    expect(html).toContain('id="compare"');
    expect(countOf(html, '<li class="regression"><span class="sev regression">')).toBe(diff.counts.regression);
    const changed = diff.differences.flatMap((d) => (d.kind === 'group' ? d.probes : []));
    expect(changed.length).toBeGreaterThan(0);
    expect(countOf(html, / changed" data-verdict=/g)).toBe(changed.length);
    const same = toHtml(a, { compare: compareReports(load('6.1-lifecycle-rerun'), a) });
    expect(same).toContain('no differences');
  });
});

describe('a crafted report cannot put markup into the page', () => {
  it('escapes attribute values and text taken from report.json (status, verdicts, kinds, names)', () => {
    const r = load('6.1-lifecycle');
    const evil = '"><script>alert(1)</script><b class="';
    const crafted: Report = {
      ...r,
      safety: r.safety.map((s, i) => (i === 0 ? { ...s, status: evil as never, evidence: [evil] } : s)),
      coverage: r.coverage?.map((c, i) => (i === 0 ? { ...c, status: evil as never } : c)),
      findings: [{ kind: evil as never, step: evil, line: evil, trace: [evil] }],
      steps: r.steps.map((s, i) => (i === 0 ? { ...s, name: evil, checks: [{ rule: evil, verdict: evil as never, message: evil }] } : s)),
    };
    const page = toHtml(crafted);
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // The page's own script is still there, once.
    expect(page.match(/<script>/g)).toHaveLength(1);
  });
});

describe('how the guest came up', () => {
  it('says which saved state a restored run came from, and why a run booted after a failed restore', () => {
    const base = JSON.parse(readFileSync(new URL('../fixtures/reports/6.1-lifecycle.json', import.meta.url), 'utf8')) as Report;
    const restored = { ...base, environment: { ...base.environment, origin: { mode: 'restored' as const, state: 'd26b98', savedAt: '2026-12-03T11:16:49Z', restoreMs: 1222 } } };
    expect(toHtml(restored)).toContain('guest restored from saved state d26b98 (saved 2026-12-03T11:16:49Z) in 1222 ms');
    const failed = { ...base, environment: { ...base.environment, origin: { mode: 'booted-after-failed-restore' as const, state: 'd26b98', error: 'load of migration failed', resaved: true } } };
    expect(toHtml(failed)).toContain('restoring saved state d26b98 failed (load of migration failed)');
    expect(toHtml(base)).not.toContain('class="muted origin"');
  });
});
