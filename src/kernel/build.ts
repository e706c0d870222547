// `build:` kernels: a minimal guest kernel built from a Debian
// linux-source-X.Y package or a source tree, with the lab's config fragment
// (qemu-config/minimal-<x.y>.config) on top of `make tinyconfig`, the user's
// options on top of that, then `make olddefconfig`. Every option asked for
// is checked against the final .config before anything compiles.
//
// The cache key is the source's identity (package and version, or the
// tree's git state or file fingerprint), the fragment's content, the user's
// normalized options, the make variables and the compiler's version. The
// build runs in a scratch directory next to the entry and is renamed into
// place only when it succeeded; the sources and objects are deleted, the
// entry keeps bzImage, .config, the installed modules and build.log.
import { appendFile, copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildCacheEntry, cacheRoot, sha256 } from '../util/cache.js';
import { inputError, LabError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { pkgPath } from '../util/paths.js';
import { parseConfigText } from './config.js';
import { dirFingerprint, ensureDepmod, exists, loadCachedKernel, sha256File, writeManifest } from './entry.js';
import { formatFragment, mergeOptions, parseFragmentText, unmetOptions } from './fragment.js';
import { buildToolsMissing, BUILD_PACKAGES } from './tools.js';
import { aptDownload } from './apt.js';
import { aptContextFor, resolveDebianPackage } from './debian.js';
import type { BuildSpec, ConfigOption, ResolvedKernel } from './types.js';

const LAYOUT_VERSION = 1;
/** Variables of every make call: a 64-bit kernel whatever the host's `uname -m`. */
const MAKE_VARS = ['ARCH=x86_64', 'KBUILD_BUILD_USER=devmem-lab', 'KBUILD_BUILD_HOST=devmem-lab'];

export interface BuildOptions {
  /** A fragment file (.config syntax) applied after the lab's fragment and before the spec's inline options. */
  configFragment?: string;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
  /** Parallel make jobs (default: the CPUs available). */
  jobs?: number;
}

interface Source {
  /** What the cache key and the report say, e.g. "linux-source-6.1 6.1.192-2". */
  identity: string;
  series: string;
  /** Puts the sources into `dst` (created empty by the caller). */
  unpack: (dst: string, signal?: AbortSignal) => Promise<void>;
}

async function debianSource(pkg: string, series: string, opts: BuildOptions): Promise<Source> {
  const status = async () =>
    run('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg]).then((r) => r.stdout, () => '');
  let st = await status();
  if (!st.startsWith('install ok installed')) {
    if (process.getuid?.() !== 0) {
      throw new LabError('E_KERNEL_SOURCE_MISSING', 'environment', `the Debian package ${pkg} is not installed`, {
        hint: `as root: apt-get install ${pkg}  (then run the lab again; building needs no root)`,
      });
    }
    opts.onProgress?.(`installing ${pkg} (apt-get install)`);
    await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, signal: opts.signal, what: `apt-get install ${pkg}`,
    }).catch((e) => {
      throw new LabError('E_KERNEL_SOURCE_MISSING', 'environment', `apt-get install ${pkg} failed`, {
        hint: `check that the host's suite has it: apt-cache policy ${pkg}`, cause: e,
      });
    });
    st = await status();
  }
  const version = st.split('\t')[1];
  const files = (await run('dpkg-query', ['-L', pkg])).stdout.split('\n');
  const tarball = files.find((f) => /^\/usr\/src\/linux-source-[^/]+\.tar\.(xz|bz2|gz)$/.test(f));
  if (!tarball || !(await exists(tarball))) {
    throw new LabError('E_KERNEL_SOURCE_MISSING', 'environment', `${pkg} ${version} has no /usr/src/linux-source-*.tar.* on disk`, {
      hint: `as root: apt-get install --reinstall ${pkg}`,
    });
  }
  return {
    identity: `${pkg} ${version}`,
    series,
    unpack: async (dst, signal) => {
      await run('tar', ['-xf', tarball, '-C', dst, '--strip-components=1'], { signal, what: `unpacking ${tarball}` });
    },
  };
}

/**
 * linux-source-X.Y of a named Debian suite, fetched with apt-get download
 * (the host's apt for its own suite, private state for any other; no root)
 * and unpacked only when a build needs it. The .deb is kept in the cache
 * beside the private apt state, so a rebuild with other options downloads
 * nothing.
 */
async function suiteSource(pkg: string, series: string, suite: string, opts: BuildOptions): Promise<Source> {
  const spec = { kind: 'debian-package', pkg, suite, text: `debian:${suite}/${pkg}` } as const;
  const ctx = await aptContextFor(spec, opts);
  const { name, version } = await resolveDebianPackage(spec, ctx);
  const debDir = join(cacheRoot(), 'sources', `${name}_${version}`.replace(/[^A-Za-z0-9._+-]/g, '_'));
  return {
    identity: `${name} ${version} (${suite})`,
    series,
    unpack: async (dst, signal) => {
      await buildCacheEntry(debDir, async (scratch) => {
        opts.onProgress?.(`downloading ${name} ${version} from ${suite}`);
        await aptDownload(ctx, [`${name}=${version}`], scratch, { signal, what: `apt-get download ${name}` });
      });
      const deb = (await readdir(debDir)).find((n) => n.endsWith('.deb'));
      if (!deb) throw new LabError('E_KERNEL_DOWNLOAD', 'run', `apt-get download left no .deb for ${name} in ${debDir}`);
      const root = join(dst, '..', 'deb');
      await run('dpkg-deb', ['-x', join(debDir, deb), root], { signal, what: 'dpkg-deb -x' });
      const tarball = (await readdir(join(root, 'usr', 'src')).catch(() => [] as string[])).find((n) => /^linux-source-[^/]+\.tar\.(xz|bz2|gz)$/.test(n));
      if (!tarball) throw new LabError('E_KERNEL_SOURCE_MISSING', 'run', `${name} ${version} has no usr/src/linux-source-*.tar.*`);
      await run('tar', ['-xf', join(root, 'usr', 'src', tarball), '-C', dst, '--strip-components=1'], { signal, what: `unpacking ${tarball}` });
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function makefileSeries(dir: string): Promise<string> {
  const text = await readFile(join(dir, 'Makefile'), 'utf8').catch(() => undefined);
  const v = text && /^VERSION = (\d+)$/m.exec(text)?.[1];
  const p = text && /^PATCHLEVEL = (\d+)$/m.exec(text)?.[1];
  if (!v || !p || !(await exists(join(dir, 'Kconfig')))) {
    throw inputError('E_KERNEL_SOURCE', `${dir} is not a Linux source tree (no top-level Makefile with VERSION/PATCHLEVEL and Kconfig)`,
      'give the top directory of a Linux source tree, or build:linux-source-<x.y> for a Debian source package');
  }
  return `${v}.${p}`;
}

/** A tree's identity: its git commit and uncommitted changes, or a fingerprint of its files. */
async function treeIdentity(dir: string): Promise<string> {
  if (await exists(join(dir, '.git'))) {
    const git = (args: string[]) => run('git', ['-C', dir, ...args]).then((r) => r.stdout);
    const head = (await git(['rev-parse', 'HEAD'])).trim();
    const dirty = sha256(await git(['status', '--porcelain=v1', '--untracked-files=all']), await git(['diff', 'HEAD']));
    return `git ${head} ${dirty.slice(0, 16)}`;
  }
  // Build outputs in the tree must not change the identity of its sources.
  const output = /(^|\/)(\.[^/]*\.cmd|\.tmp[^/]*|[^/]*\.(o|ko|a|mod|mod\.c|order|symvers)|\.config(\.old)?|vmlinux[^/]*|System\.map|include\/(config|generated)|arch\/x86\/(boot\/bzImage|include\/generated))$/;
  return `files ${(await dirFingerprint(dir, (rel) => rel === '.git' || output.test(rel))).slice(0, 16)}`;
}

async function dirSource(dir: string): Promise<Source> {
  if (!(await exists(dir))) throw inputError('E_KERNEL_FILE', `source tree ${dir} does not exist`, 'give the top directory of a Linux source tree');
  const series = await makefileSeries(dir);
  return {
    identity: `${dir} ${await treeIdentity(dir)}`,
    series,
    unpack: async (dst, signal) => {
      // A private copy: the user's tree is never written, and may hold its own build.
      await run('rsync', ['-a', '--exclude=/.git', `${dir}/`, `${dst}/`], { signal, what: `copying ${dir}` });
      await run('make', ['-C', dst, ...MAKE_VARS, 'mrproper'], { signal, what: 'make mrproper' });
    },
  };
}

/** The lab's fragment for a series: minimal-<x.y>.config, else the newest older one. */
export async function baseFragment(series: string, dir = pkgPath('qemu-config')): Promise<{ name: string; text: string }> {
  const num = (s: string) => s.split('.').map(Number);
  const le = (a: number[], b: number[]) => a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);
  const have = (await readdir(dir)).map((n) => /^minimal-(\d+\.\d+)\.config$/.exec(n)?.[1]).filter((s): s is string => !!s);
  const fits = have.filter((s) => le(num(s), num(series))).sort((a, b) => (le(num(a), num(b)) ? -1 : 1));
  const pick = fits.at(-1) ?? have.sort((a, b) => (le(num(a), num(b)) ? -1 : 1))[0];
  if (!pick) throw new LabError('E_KERNEL_FRAGMENT', 'environment', `no qemu-config/minimal-*.config in ${dir}`);
  const name = `minimal-${pick}.config`;
  return { name, text: await readFile(join(dir, name), 'utf8') };
}

/** The cache key of a build: same inputs, same key; any changed input, a new key. */
export function buildKey(parts: { identity: string; fragment: string; options: ConfigOption[]; compiler: string }): string {
  // Options are deduplicated already; their order then changes nothing in the .config.
  const options = [...parts.options].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sha256(String(LAYOUT_VERSION), parts.identity, parts.fragment, formatFragment(options), MAKE_VARS.join(' '), 'tinyconfig', parts.compiler).slice(0, 24);
}

/** User options from --config-fragment and the spec's inline list (inline wins). */
export async function userOptions(spec: BuildSpec, fragmentFile?: string): Promise<ConfigOption[]> {
  if (!fragmentFile) return spec.options;
  const text = await readFile(fragmentFile, 'utf8').catch(() => {
    throw inputError('E_KERNEL_FILE', `--config-fragment ${fragmentFile} cannot be read`, 'give a file of CONFIG_NAME=value lines');
  });
  return mergeOptions(parseFragmentText(text, fragmentFile), spec.options);
}

/** Runs make, writing every line to the log and a progress line now and then. */
async function make(src: string, args: string[], log: string, opts: BuildOptions & { phase: string }): Promise<void> {
  const t0 = Date.now();
  let last = t0;
  let lines = 0;
  let lastLine = '';
  opts.onProgress?.(`kernel build: ${opts.phase}`);
  const proc = execa('make', ['-C', src, ...MAKE_VARS, ...args], { all: true, cancelSignal: opts.signal, buffer: false, reject: false });
  let pending: string[] = [];
  for await (const line of createInterface({ input: proc.all!, crlfDelay: Infinity })) {
    pending.push(line);
    lines++;
    if (/^\s+[A-Z]+\s/.test(line)) lastLine = line.trim();
    if (pending.length >= 200) {
      await appendFile(log, pending.join('\n') + '\n');
      pending = [];
    }
    if (Date.now() - last > 15_000) {
      last = Date.now();
      opts.onProgress?.(`kernel build: ${opts.phase}: ${Math.round((last - t0) / 1000)} s, ${lines} lines, at ${lastLine}`);
    }
  }
  await appendFile(log, pending.join('\n') + (pending.length ? '\n' : ''));
  const r = await proc;
  opts.signal?.throwIfAborted();
  if (r.exitCode !== 0) {
    const tail = (await readFile(log, 'utf8')).split('\n').slice(-40).join('\n');
    throw new LabError('E_KERNEL_BUILD', 'run', `make ${args.join(' ')} failed (exit ${r.exitCode}) while ${opts.phase}`, {
      hint: 'the last lines of the build log are in the error context',
      context: { args, exitCode: r.exitCode, logTail: tail },
    });
  }
}

export async function resolveBuildKernel(spec: BuildSpec, opts: BuildOptions = {}): Promise<ResolvedKernel> {
  const s = spec.source;
  const src = s.kind === 'dir' ? await dirSource(s.dir) : s.suite ? await suiteSource(s.pkg, s.series, s.suite, opts) : await debianSource(s.pkg, s.series, opts);
  const base = await baseFragment(src.series);
  const options = await userOptions(spec, opts.configFragment);
  const compiler = (await run('gcc', ['--version']).catch(() => ({ stdout: 'gcc ?' }))).stdout.split('\n')[0];
  const key = buildKey({ identity: src.identity, fragment: base.text, options, compiler });
  const dir = join(cacheRoot(), 'kernels', 'build', key);
  const cached = await loadCachedKernel(dir, spec.text);
  if (cached) return cached;

  const missing = await buildToolsMissing(spec.source.kind === 'dir');
  if (missing.length > 0) {
    throw new LabError('E_KERNEL_BUILD_TOOLS', 'environment', `building a kernel needs ${missing.map((m) => m.what).join(', ')}`, {
      hint: `as root: apt-get install ${BUILD_PACKAGES.join(' ')}`, context: { missing },
    });
  }
  const jobs = opts.jobs ?? availableParallelism();
  const t0 = Date.now();
  const optionText = options.length ? ` + ${options.map((o) => `${o.name}=${o.value}`).join(',')}` : '';
  opts.onProgress?.(`building a kernel from ${src.identity} with ${base.name}${optionText} (cache entry ${key}, -j${jobs}; several minutes)`);
  await buildCacheEntry(dir, async (scratch) => {
    const tree = join(scratch, 'src');
    const log = join(scratch, 'build.log');
    await mkdir(tree);
    opts.onProgress?.(`kernel build: unpacking ${src.identity}`);
    await src.unpack(tree, opts.signal);

    // tinyconfig, then the lab's fragment and the user's options appended:
    // Kconfig takes the last assignment of a symbol ("override: reassigning").
    await make(tree, ['tinyconfig'], log, { ...opts, phase: 'make tinyconfig' });
    const wantedBase = parseFragmentText(base.text, base.name);
    await appendFile(join(tree, '.config'), `\n# ${base.name}\n${base.text}\n# user options\n${formatFragment(options)}`);
    await make(tree, ['olddefconfig'], log, { ...opts, phase: 'make olddefconfig' });
    const final = parseConfigText(await readFile(join(tree, '.config'), 'utf8'));
    const userUnmet = unmetOptions(options, final);
    if (userUnmet.length > 0) {
      throw inputError('E_KERNEL_OPTION', `options did not take in ${src.identity}: ${userUnmet.map((u) => `${u.option.name}=${u.option.value} (got ${u.got})`).join(', ')}`,
        'each option must exist in this kernel and have its dependencies met: add the options it depends on (see its "depends on" in the Kconfig file, or `make menuconfig` and search with /)');
    }
    // Options the user set override the lab's fragment; the rest must hold.
    const baseUnmet = unmetOptions(wantedBase.filter((o) => !options.some((u) => u.name === o.name)), final);
    if (baseUnmet.length > 0) {
      throw new LabError('E_KERNEL_FRAGMENT', 'run', `${base.name} does not fit ${src.identity}: ${baseUnmet.map((u) => `${u.option.name}=${u.option.value} (got ${u.got})`).join(', ')}`, {
        hint: base.name === `minimal-${src.series}.config`
          ? `fix qemu-config/${base.name}: those options are selected or blocked by others (see their Kconfig "select"/"depends on")`
          : `add a qemu-config/minimal-${src.series}.config for this series`,
      });
    }

    await make(tree, [`-j${jobs}`, 'bzImage', 'modules'], log, { ...opts, phase: `compiling (-j${jobs})` });
    const release = (await run('make', ['-s', '-C', tree, ...MAKE_VARS, 'kernelrelease'])).stdout.trim();
    await make(tree, ['INSTALL_MOD_PATH=' + scratch, 'INSTALL_MOD_STRIP=1', 'modules_install'], log, { ...opts, phase: 'make modules_install' });
    const boot = join(scratch, 'boot');
    await mkdir(boot);
    const image = join(boot, `vmlinuz-${release}`);
    const config = join(boot, `config-${release}`);
    await copyFile(join(tree, 'arch/x86/boot/bzImage'), image);
    await copyFile(join(tree, '.config'), config);
    const modulesDir = join(scratch, 'lib', 'modules', release);
    // The build and source links point into the tree deleted below.
    for (const l of ['build', 'source']) await rm(join(modulesDir, l), { force: true });
    await rm(tree, { recursive: true, force: true });
    await ensureDepmod(modulesDir, release);
    const optionsNote = optionText ? ` +${optionText.slice(3)}` : '';
    await writeManifest(scratch, {
      source: `${src.identity} + ${base.name}${optionsNote}`,
      release,
      image,
      config,
      modulesDir,
      imageSha256: await sha256File(image),
    });
  });
  opts.onProgress?.(`kernel built in ${Math.round((Date.now() - t0) / 1000)} s: ${dir}`);
  return (await loadCachedKernel(dir, spec.text))!;
}
