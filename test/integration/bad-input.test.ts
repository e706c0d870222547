// Bad input through the real CLI: every case exits 2 with an error that says
// what to do, and nothing boots.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pkgPath } from '../../src/util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-bad-'));
writeFileSync(join(dir, 'a-file'), 'not a directory');
// A finished run's directory (any report will do for the report command's own checks).
mkdirSync(join(dir, 'rundir'));
writeFileSync(join(dir, 'rundir', 'report.json'), readFileSync(new URL('../fixtures/reports/6.1-lifecycle.json', import.meta.url), 'utf8'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(pkgPath('bin/devmem-lab'), args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
    );
  });
}

const scenario = (name: string, body: unknown) => {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
};
const boot = { name: 'boot', action: { kind: 'boot' } };

describe('bad input exits 2 with its error code and a message that says what to do', () => {
  it.each([
    ['an unknown option', ['run', '--frobnicate'], {}, /Unknown option|unknown/i, 'E_USAGE'],
    ['an unknown command', ['frobnicate'], {}, /unknown command/, 'E_USAGE'],
    ['a non-kernel --kernel', ['run', '--kernel', 'bzImage-from-somewhere', '--out', join(dir, 'o1')], {}, /write one of/, 'E_KERNEL_SPEC'],
    ['a kernel package that does not exist', ['run', '--kernel', 'debian:linux-image-0.0.0-0-amd64-unsigned', '--out', join(dir, 'o2')], {}, /apt-cache search/, 'E_KERNEL_NOT_FOUND'],
    ['an unknown --accel', ['run', '--accel', 'warp', '--out', join(dir, 'o3')], {}, /not one of auto, tcg, kvm/, 'E_USAGE'],
    ['an unknown scenario', ['run', '--scenario', 'nope', '--out', join(dir, 'o4')], {}, /use one of: .*lifecycle/, 'E_SCENARIO'],
    ['a malformed scenario file', ['run', '--scenario', scenario('bad-json', '{"name":'), '--out', join(dir, 'o5')], {}, /not valid JSON/, 'E_SCENARIO'],
    ['a scenario with an unknown action', ['run', '--scenario', scenario('bad-kind', { name: 'x', description: '', steps: [boot, { name: 'y', action: { kind: 'reboot' } }] }), '--out', join(dir, 'o6')], {}, /steps\.1\.action/, 'E_SCENARIO'],
    ['a size that is not a multiple of the block size', ['run', '--scenario', scenario('odd-size', { name: 'x', description: '', steps: [boot, { name: 'y', action: { kind: 'resize', sizeMiB: 3 } }] }), '--out', join(dir, 'o7')], {}, /multiple of 2/, 'E_SCENARIO_SIZE'],
    ['a size beyond the device', ['run', '--scenario', scenario('big-size', { name: 'x', description: '', steps: [boot, { name: 'y', action: { kind: 'resize', sizeMiB: 4096 } }] }), '--out', join(dir, 'o8')], {}, /exceeds the 1024 MiB device/, 'E_SCENARIO_SIZE'],
    ['an unwritable --out', ['run', '--out', '/proc/devmem-lab-out'], {}, /choose a directory you can write to/, 'E_OUT_UNWRITABLE'],
    ['QEMU missing', ['run', '--out', join(dir, 'o9')], { DEVMEM_LAB_QEMU: '/nonexistent/qemu-system-x86_64' }, /bin\/setup/, 'E_TOOL_MISSING'],
    ['busybox missing', ['run', '--out', join(dir, 'o10')], { DEVMEM_LAB_BUSYBOX: '/nonexistent/busybox' }, /busybox-static/, 'E_TOOL_MISSING'],
    ['an empty --out', ['run', '--out', ''], {}, /--out is empty/, 'E_USAGE'],
    ['an --out two levels into /proc (used to hang)', ['run', '--out', '/proc/devmem-lab-x/y'], {}, /choose a directory you can write to/, 'E_OUT_UNWRITABLE'],
    ['an --out that is a file', ['run', '--out', join(dir, 'a-file')], {}, /not a directory/, 'E_OUT_UNWRITABLE'],
    ['a --cmdline word that overrides the lab\'s panic=-1', ['run', '--cmdline', 'panic=0', '--out', join(dir, 'o11')], {}, /panic=0 would override the lab's own kernel parameters/, 'E_CMDLINE_OWNED'],
    ['an unaligned hold address', ['run', '--scenario', scenario('unaligned', { name: 'x', description: '', steps: [boot, { name: 'h', action: { kind: 'hold', mappings: [{ name: 'm', target: { addr: '0x100001' } }] } }] }), '--out', join(dir, 'o13')], {}, /page-aligned address/, 'E_SCENARIO'],
    ['a matrix with an unknown scenario among good ones (refused before any cell boots)', ['matrix', '--kernels', 'debian:bookworm', '--scenarios', 'lifecycle,nosuch', '--jobs', '1', '--out', join(dir, 'm1')], {}, /unknown scenario "nosuch"/, 'E_SCENARIO'],
    ['a lab file with a misspelt field and a bad jobs', ['matrix', '--lab', scenario('lab-bad', { kernels: ['debian:bookworm'], out: 'm', jobs: 0, scenario: ['lifecycle'] })], {}, /jobs: at least 1[\s\S]*Unrecognized key: "scenario"|Unrecognized key: "scenario"[\s\S]*jobs: at least 1/, 'E_LAB_FILE'],
    ['a lab file that is not there', ['matrix', '--lab', join(dir, 'no-such-lab.json')], {}, /cannot read .*no-such-lab\.json/, 'E_LAB_FILE'],
    ['compare against /dev/null', ['compare', '/dev/null', '/dev/null'], {}, /not a devmem-lab report/, 'E_NO_REPORT'],
    ['compare against a report with no probes', ['compare', scenario('empty-report', { schema: 'devmem-lab/report@1', status: 'failed', steps: [] }), scenario('empty-report2', { schema: 'devmem-lab/report@1', status: 'failed', steps: [] })], {}, /no probes to compare/, 'E_NO_REPORT'],
    ['report --junit into a missing directory', ['report', join(dir, 'rundir'), '--junit', join(dir, 'no-such-dir', 'j.xml')], {}, /its directory does not exist/, 'E_OUT_UNWRITABLE'],
    ['a --repeat that is not a whole number from 1 to 100', ['run', '--repeat', '0', '--out', join(dir, 'o14')], {}, /--repeat 0 is not a whole number from 1 to 100/, 'E_USAGE'],
    ['--repeat-boots without --repeat', ['run', '--repeat-boots', '--out', join(dir, 'o15')], {}, /--repeat-boots goes with --repeat N/, 'E_USAGE'],
    ['a matrix --repeat that is not a number', ['matrix', '--kernels', 'debian:bookworm', '--repeat', 'three', '--out', join(dir, 'm2')], {}, /--repeat three is not a whole number/, 'E_USAGE'],
    ['rdinit= that would bypass the lab\'s init', ['run', '--cmdline', 'rdinit=/bin/sh', '--out', join(dir, 'o12')], {}, /rdinit=\/bin\/sh would override/, 'E_CMDLINE_OWNED'],
  ])('%s', async (_what, args, env, hint, code) => {
    const r = await cli(args as string[], env as Record<string, string>);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stderr).toMatch(hint as RegExp);
    expect(r.code).toBe(2);
  }, 180_000);
});

describe('bad input loses nothing', () => {
  it('a typo in --kernel leaves a finished run in --out untouched, and never writes there', async () => {
    const out = join(dir, 'finished');
    mkdirSync(out);
    const report = JSON.stringify({ schema: 'devmem-lab/report@1', status: 'completed', steps: [] });
    writeFileSync(join(out, 'report.json'), report);
    const r = await cli(['run', '--kernel', 'debain:bookworm', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[E_KERNEL_SPEC]');
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe(report);
    expect(readdirSync(out)).toEqual(['report.json']);
  }, 60_000);
  it('a valid run into a directory that holds a run is refused until --force', async () => {
    const out = join(dir, 'finished2');
    mkdirSync(out);
    writeFileSync(join(out, 'report.json'), '{}');
    const r = await cli(['run', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[E_OUT_EXISTS]');
    expect(r.stderr).toMatch(/--force/);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('{}');
  }, 60_000);
  it('under --bisect bad input stops the bisection (255), it is not "bad" (1 or 2)', async () => {
    for (const args of [['--accel', 'bogus'], ['--scenario', 'nosuch'], ['--frobnicate']]) {
      const r = await cli(['run', '--bisect', ...args, '--out', join(dir, 'b')]);
      expect(r.code, args.join(' ')).toBe(255);
    }
  }, 120_000);
});

describe('report reads a damaged run directory', () => {
  it('a report.json cut short is rebuilt from events.jsonl, not a stack trace', async () => {
    const run = join(dir, 'cut');
    mkdirSync(run);
    writeFileSync(join(run, 'report.json'), '{"schema":"devmem-lab/report@1","status":"comp');
    const t = Date.now();
    const ev = [
      { t, type: 'run-start', runId: 'r1', kernel: 'debian:bookworm', scenario: 'lifecycle', out: run },
      { t: t + 1, type: 'step-start', step: 'boot', index: 0, total: 2 },
      { t: t + 2, type: 'probe', step: 'boot', probe: { id: 1, op: 'read', addr: '0x0', len: 4096, why: 'x', observed: { result: 'ok', bytes: 4096, zero: true }, verdict: 'match' } },
      { t: t + 3, type: 'step-end', step: 'boot', probes: 1, ms: 2 },
      { t: t + 4, type: 'step-start', step: 'driver-loaded', index: 1, total: 2 },
    ];
    writeFileSync(join(run, 'events.jsonl'), ev.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await cli(['report', run]);
    expect(r.stderr).not.toMatch(/SyntaxError|TypeError/);
    const rebuilt = JSON.parse(readFileSync(join(run, 'report.json'), 'utf8'));
    expect(rebuilt).toMatchObject({ status: 'interrupted', environment: { runId: 'r1', scenario: 'lifecycle' } });
    expect(rebuilt.steps.map((s: { name: string; error?: unknown }) => [s.name, s.error === undefined])).toEqual([['boot', true], ['driver-loaded', false]]);
    expect(rebuilt.steps[0].probes).toHaveLength(1);
  }, 60_000);
});
