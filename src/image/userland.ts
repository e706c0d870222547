// The guest's userland: busybox (static) and dropbear with the shared
// libraries it needs, as files for the initramfs. An x86_64 guest takes the
// host's own binaries (the host is amd64). Any other architecture's come
// from Debian's packages of that architecture, fetched with private apt state
// for the host's suite (no root, nothing of the host touched), unpacked
// into the cache once, and dropbear's libraries found by its ELF NEEDED
// entries (the host's ldd cannot run a foreign binary).
import { access, constants, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { aptCache, aptDownload } from '../kernel/apt.js';
import { aptContextFor, hostSuite, parseAptShow } from '../kernel/debian.js';
import { ARCH_INFO, type Arch } from '../util/arch.js';
import { buildCacheEntry, cacheRoot, readJsonIfExists, sha256, writeFileAtomic } from '../util/cache.js';
import { LabError } from '../util/errors.js';
import { run } from '../util/exec.js';

/** One file of the userland: where it goes in the guest, and where its bytes are on the host. */
export interface UserlandFile {
  guestPath: string;
  hostPath: string;
}

export interface Userland {
  busybox: string;
  dropbear: string;
  /** dropbear's shared libraries and the ELF interpreter, at their paths in the guest. */
  libs: UserlandFile[];
  /** What the files came from (host paths, or packages and versions): part of the image key. */
  origin: string[];
}

/** Shared libraries and the ELF interpreter a dynamic binary needs, from ldd. */
export function parseLdd(text: string): string[] {
  const libs: string[] = [];
  for (const line of text.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (p) libs.push(p);
  }
  return libs;
}

/** `readelf -d` NEEDED names and `readelf -l` interpreter of one binary. */
export function parseReadelf(dynamic: string, program: string): { needed: string[]; interpreter?: string } {
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const interpreter = /\[Requesting program interpreter: ([^\]]+)\]/.exec(program)?.[1];
  return { needed, interpreter };
}

/** The packages the guest's userland is made of; their Depends (first alternative) are followed. */
const ROOTS = ['busybox-static', 'dropbear-bin'];

/** `Depends: a (>= 1), b | c, d:any` → a, b, d. */
export function firstAlternatives(depends: string): string[] {
  return depends
    .split(',')
    .map((d) => d.trim().split('|')[0].trim().split(/[\s(]/)[0].replace(/:any$/, ''))
    .filter(Boolean);
}

async function hostUserland(busybox: string, dropbear: string): Promise<Userland> {
  const libs = parseLdd((await run('ldd', [dropbear], { what: 'ldd dropbear' })).stdout);
  return { busybox, dropbear, libs: libs.map((l) => ({ guestPath: l.slice(1), hostPath: l })), origin: [busybox, dropbear, ...libs] };
}

/** Finds a library by name in the unpacked root's library directories. */
async function findLib(root: string, triplet: string, name: string): Promise<string | undefined> {
  for (const dir of [`lib/${triplet}`, `usr/lib/${triplet}`, 'lib', 'usr/lib']) {
    const p = join(root, dir, name);
    if (await stat(p).catch(() => undefined)) return `${dir}/${name}`;
  }
  return undefined;
}

/** dropbear's NEEDED closure inside the unpacked root, interpreter included, as guest paths. */
async function libClosure(root: string, triplet: string, binary: string): Promise<string[]> {
  const out = new Set<string>();
  const queue = [binary];
  while (queue.length) {
    const file = join(root, queue.shift()!);
    const dyn = (await run('readelf', ['-d', file], { what: 'readelf -d' })).stdout;
    const prog = (await run('readelf', ['-l', file], { what: 'readelf -l' })).stdout;
    const { needed, interpreter } = parseReadelf(dyn, prog);
    if (interpreter && !out.has(interpreter.slice(1))) out.add(interpreter.slice(1));
    for (const n of needed) {
      const p = await findLib(root, triplet, n);
      if (!p) throw new LabError('E_IMAGE_USERLAND', 'run', `${binary} needs ${n}, which no unpacked package has`, { hint: 'delete the userland cache entry so it is fetched again' });
      if (!out.has(p)) {
        out.add(p);
        queue.push(p);
      }
    }
  }
  return [...out].sort();
}

/** Downloads the userland packages of `arch` (host suite) and their dependencies, once. */
async function debianUserland(arch: Arch, onProgress?: (msg: string) => void): Promise<Userland> {
  const { debian, triplet } = ARCH_INFO[arch];
  const suite = await hostSuite();
  const ctx = await aptContextFor({ kind: 'debian-suite', suite, text: `debian:${suite}` }, { arch, onProgress });
  // The dependency closure by name, then one version each.
  const pkgs = new Map<string, string>();
  let wave = ROOTS;
  while (wave.length) {
    const { stdout } = await aptCache(ctx, ['show', '--no-all-versions', ...wave], 'apt-cache show (guest userland)');
    const next: string[] = [];
    for (const p of parseAptShow(stdout)) {
      if (pkgs.has(p.name)) continue;
      pkgs.set(p.name, p.version);
      next.push(...firstAlternatives(p.depends).filter((d) => !pkgs.has(d)));
    }
    wave = [...new Set(next)];
  }
  const names = [...pkgs.entries()].sort().map(([n, v]) => `${n}=${v}`);
  const dir = join(cacheRoot(), 'userland', debian, sha256(...names).slice(0, 16));
  const manifest = join(dir, 'userland.json');
  if (!(await readJsonIfExists(manifest))) {
    onProgress?.(`downloading the ${debian} guest userland: ${[...pkgs.keys()].join(', ')}`);
    await buildCacheEntry(dir, async (scratch) => {
      await aptDownload(ctx, names, scratch, { what: `apt-get download (${debian} guest userland)` });
      const debs = (await readdir(scratch)).filter((n) => n.endsWith('.deb'));
      for (const deb of debs) await run('dpkg-deb', ['-x', join(scratch, deb), join(scratch, 'root')], { what: `dpkg-deb -x ${deb}` });
      await writeFileAtomic(join(scratch, 'userland.json'), JSON.stringify({ packages: names }, null, 2));
    });
  }
  const root = join(dir, 'root');
  const libs = await libClosure(root, triplet, 'usr/sbin/dropbear');
  return {
    busybox: join(root, 'bin/busybox'),
    dropbear: join(root, 'usr/sbin/dropbear'),
    // Symlinks (the interpreter's /lib/ld-linux-*.so.1) are copied as the files they name.
    libs: await Promise.all(libs.map(async (l) => ({ guestPath: l, hostPath: await realpath(join(root, l)) }))),
    origin: names,
  };
}

/** Host binaries the x86_64 image copies; the environment may point at other builds. */
const BUSYBOX = process.env.DEVMEM_LAB_BUSYBOX || '/bin/busybox';
const DROPBEAR = process.env.DEVMEM_LAB_DROPBEAR || '/usr/sbin/dropbear';

/** The guest userland of `arch`, checked to exist. */
export async function guestUserland(arch: Arch, opts: { onProgress?: (msg: string) => void } = {}): Promise<Userland> {
  if (arch === 'x86_64') {
    for (const [path, pkg] of [[BUSYBOX, 'busybox-static'], [DROPBEAR, 'dropbear-bin']] as const) {
      await access(path, constants.X_OK).catch(() => {
        throw new LabError('E_TOOL_MISSING', 'environment', `${path} is missing: the guest image needs it`, { hint: `install ${pkg} (bin/setup does, as root)` });
      });
    }
    return hostUserland(BUSYBOX, DROPBEAR);
  }
  return debianUserland(arch, opts.onProgress);
}
