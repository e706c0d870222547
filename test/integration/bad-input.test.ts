// Bad input through the real CLI: every case exits 2 with an error that says
// what to do, and nothing boots.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pkgPath } from '../../src/util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'devmem-lab-bad-'));
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
  ])('%s', async (_what, args, env, hint, code) => {
    const r = await cli(args as string[], env as Record<string, string>);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stderr).toMatch(hint as RegExp);
    expect(r.code).toBe(2);
  }, 180_000);
});
