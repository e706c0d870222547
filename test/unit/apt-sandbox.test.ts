// apt's download sandbox as root: downloads are staged where the _apt user
// can write and moved into the cache. The last case runs the real apt-get
// (host lists) and fails if apt reports that it downloaded unsandboxed.
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aptDownload } from '../../src/kernel/apt.js';
import { aptSandboxUser, parseAptUser, withAptStage } from '../../src/kernel/apt-sandbox.js';

const asRoot = process.getuid?.() === 0;
const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('the _apt user', () => {
  it('is read from passwd lines', () => {
    expect(parseAptUser('root:x:0:0:root:/root:/bin/bash\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n')).toEqual({ uid: 42, gid: 65534 });
    expect(parseAptUser('root:x:0:0:root:/root:/bin/bash\n')).toBeUndefined();
    expect(parseAptUser('_apt:x:abc:1::/:/bin/false\n')).toBeUndefined();
  });
  it('is only dropped to when this process is root', async () => {
    expect((await aptSandboxUser()) !== undefined).toBe(asRoot);
  });
});

describe('staging', () => {
  it('works in the destination itself when no sandbox user is given', async () => {
    const dest = await tmp();
    expect(await withAptStage(dest, undefined, async (d) => d)).toBe(dest);
  });
  it.runIf(asRoot)('gives the work a directory the sandbox user owns, moves its files and removes it', async () => {
    const dest = join(await tmp(), 'cache');
    let seen = '';
    await withAptStage(dest, { uid: 42, gid: 65534 }, async (d) => {
      seen = d;
      const st = await stat(d);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([42, 65534, 0o700]);
      await writeFile(join(d, 'a.deb'), 'x');
    });
    expect(await readdir(dest)).toEqual(['a.deb']);
    await expect(stat(seen)).rejects.toThrow(/ENOENT/);
  });
  it.runIf(asRoot)('removes the staging directory when the work fails', async () => {
    let seen = '';
    await expect(withAptStage(await tmp(), { uid: 42, gid: 65534 }, async (d) => {
      seen = d;
      throw new Error('apt failed');
    })).rejects.toThrow('apt failed');
    await expect(stat(seen)).rejects.toThrow(/ENOENT/);
  });
  it.runIf(asRoot)('lets the real apt-get download as _apt into a directory under root\'s home', async () => {
    const dest = join(process.env.HOME ?? '/root', '.cache', `sandbox-test-${process.pid}`);
    dirs.push(dest);
    // aptDownload throws E_APT_UNSANDBOXED if apt says it fell back to root.
    await aptDownload({ kind: 'host', suite: 'bookworm' }, ['hostname'], dest);
    expect((await readdir(dest)).filter((n) => n.endsWith('.deb'))).toHaveLength(1);
  }, 60_000);
});
