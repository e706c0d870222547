// Saved post-boot guests (src/lab/saved.ts): the cache key, the lookup that
// only accepts a whole state, pruning by last use, the shell line that hands
// a restored guest the run's key, and the QEMU flag that makes a restore.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRunKey } from '../../src/guest/ssh.js';
import { dropSaved, findSaved, pruneSaved, refreshCommand, savedKey, type SavedKeyParts } from '../../src/lab/saved.js';
import { qemuArgv } from '../../src/vm/args.js';
import { loadProfile } from '../../src/vm/profile.js';

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));
const root = async () => {
  const r = await mkdtemp(join(tmpdir(), 'devmem-lab-saved-'));
  roots.push(r);
  return r;
};

const PARTS: SavedKeyParts = { kernelImageSha256: 'a'.repeat(64), imageKey: 'img1', argv: ['-m', '1024M', '-append', 'console=ttyS0'], accel: 'tcg' };

const KEY = generateRunKey();

async function writeState(r: string, key: string, bytes: number, recordedBytes = bytes, runKey: { privateKey: string; publicKey: string } = KEY): Promise<string> {
  const dir = join(r, 'saved', key);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'state'), Buffer.alloc(bytes));
  await writeFile(join(dir, 'key.json'), JSON.stringify(runKey));
  await writeFile(join(dir, 'meta.json'), JSON.stringify({ key, savedAt: '2026-12-03T00:00:00Z', accel: 'tcg', bootConsole: [], argv: [], bootMs: 1, stateBytes: recordedBytes }));
  return dir;
}

describe('saved guests', () => {
  it('the key changes with the kernel, the guest image, any QEMU argument and the accelerator', async () => {
    const k = await savedKey(PARTS);
    expect(await savedKey({ ...PARTS })).toBe(k);
    expect(await savedKey({ ...PARTS, kernelImageSha256: 'b'.repeat(64) })).not.toBe(k);
    expect(await savedKey({ ...PARTS, imageKey: 'img2' })).not.toBe(k);
    expect(await savedKey({ ...PARTS, argv: ['-m', '1024M', '-append', 'console=ttyS0 iomem=relaxed'] })).not.toBe(k);
    expect(await savedKey({ ...PARTS, accel: 'kvm' })).not.toBe(k);
  });

  it('finds only a whole state: meta, key and a state of the recorded size', async () => {
    const r = await root();
    expect(await findSaved('abc', r)).toBeUndefined();
    await writeState(r, 'abc', 100);
    expect((await findSaved('abc', r))?.meta.stateBytes).toBe(100);
    await writeState(r, 'def', 100, 200); // a state cut short
    expect(await findSaved('def', r)).toBeUndefined();
    await writeState(r, 'fed', 100, 100, { privateKey: 'not a key', publicKey: 'ssh-ed25519 AAAA' }); // a key ssh2 cannot use
    expect(await findSaved('fed', r)).toBeUndefined();
  });

  it('drops a state that failed to restore, but not one another run saved since', async () => {
    const r = await root();
    await writeState(r, 'abc', 100);
    const found = (await findSaved('abc', r))!;
    await dropSaved(found);
    expect(await findSaved('abc', r)).toBeUndefined();
    await writeState(r, 'abc', 100);
    const stale = (await findSaved('abc', r))!;
    // Another run saves the same key anew (a later savedAt) before this one gives up.
    const dir = await writeState(r, 'abc', 100);
    await writeFile(join(dir, 'meta.json'), JSON.stringify({ ...stale.meta, savedAt: '2026-12-04T00:00:00Z' }));
    await dropSaved(stale);
    expect((await findSaved('abc', r))?.meta.savedAt).toBe('2026-12-04T00:00:00Z');
  });

  it('prunes the least recently used beyond the limit', async () => {
    const r = await root();
    for (const [i, key] of ['a1', 'b2', 'c3'].entries()) {
      const dir = await writeState(r, key, 1);
      const t = new Date(Date.UTC(2026, 0, 1 + i));
      await utimes(join(dir, 'meta.json'), t, t);
    }
    expect(await pruneSaved(r, 2)).toEqual(['a1']);
    expect(await findSaved('a1', r)).toBeUndefined();
    expect(await findSaved('c3', r)).toBeDefined();
  });

  it("hands the restored guest the run's key and id, and refuses anything else", () => {
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 devmem-lab-run';
    const cmd = refreshCommand('2026-12-03T11-16-55-280Z-29dd96', pub);
    expect(cmd).toContain(`'${pub}' > /root/.ssh/authorized_keys.new`);
    expect(cmd).toContain('echo 2026-12-03T11-16-55-280Z-29dd96 > /etc/devmem-lab/run-id');
    expect(() => refreshCommand('x; reboot', pub)).toThrow(/not a run id/);
    expect(() => refreshCommand('id', "ssh-ed25519 AAAA'; reboot; '")).toThrow(/not an ed25519 public key/);
  });

  it('a restore is the same QEMU command line plus -incoming defer', async () => {
    const profile = await loadProfile('default');
    const paths = { dir: '/d', backend: '/d/backend', qmpSocket: '/d/q', kernel: '/k', initrd: '/d/i' };
    const boot = qemuArgv({ profile, accel: 'tcg', paths, sshPort: 1 });
    expect(qemuArgv({ profile, accel: 'tcg', paths, sshPort: 1, incoming: true })).toEqual([...boot, '-incoming', 'defer']);
    expect(boot).not.toContain('-incoming');
  });
});
