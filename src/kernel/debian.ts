// Kernels from Debian's archive: the host's suite through the host's own apt
// set-up, any other suite through private apt state (apt.ts). `apt-get
// download` needs no root, and `dpkg-deb -x` unpacks without installing
// anything on the host.
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot, buildCacheEntry, readJsonIfExists, writeFileAtomic } from '../util/cache.js';
import { inputError, LabError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { aptCache, aptDownload, listsStamp, privateApt, suiteCodename, type AptContext } from './apt.js';
import { candidateNames, defaultAbi, inSeries, isPlainFlavour, kernelAbi, pickKernelParts, type KernelPackages } from './debian-parts.js';
import { absolutize, ensureDepmod, sha256File, writeManifest } from './entry.js';
import type { DebianPackageSpec, DebianSuiteSpec, ResolvedKernel } from './types.js';
import { ARCH_INFO, DEFAULT_ARCH, type Arch } from '../util/arch.js';

/** How a Debian kernel is looked for: the guest's architecture, progress, cancellation. */
export interface DebianOptions {
  arch?: Arch;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
}

const debArch = (opts: { arch?: Arch }): string => ARCH_INFO[opts.arch ?? DEFAULT_ARCH].debian;

export type DebianSpec = DebianSuiteSpec | DebianPackageSpec;

export interface DebianPackage {
  name: string;
  version: string;
}

/** The Debian suite the host runs (VERSION_CODENAME of /etc/os-release). */
export async function hostSuite(osRelease = '/etc/os-release'): Promise<string> {
  const text = await readFile(osRelease, 'utf8').catch(() => '');
  const m = /^VERSION_CODENAME=(\w+)/m.exec(text);
  if (!m) {
    throw new LabError('E_NOT_DEBIAN', 'environment', `cannot tell the host's Debian suite from ${osRelease}`, {
      hint: 'debian:<suite> kernels need a Debian host with apt',
    });
  }
  return m[1];
}

/** Parses `apt-cache show` stanzas into name/version/depends. */
export function parseAptShow(text: string): { name: string; version: string; depends: string }[] {
  return text
    .split(/\n\n+/)
    .map((stanza) => {
      const field = (f: string) => new RegExp(`^${f}: (.*)$`, 'm').exec(stanza)?.[1] ?? '';
      return { name: field('Package'), version: field('Version'), depends: field('Depends') };
    })
    .filter((p) => p.name !== '');
}

async function compareDebVersions(a: string, b: string): Promise<number> {
  if (a === b) return 0;
  try {
    await run('dpkg', ['--compare-versions', a, 'lt', b]);
    return -1;
  } catch {
    return 1;
  }
}

async function aptShow(ctx: AptContext, names: string[]): Promise<{ name: string; version: string; depends: string }[]> {
  const { stdout } = await aptCache(ctx, ['show', '--no-all-versions', ...names], 'apt-cache show');
  return parseAptShow(stdout);
}

/** The apt view a spec resolves in: the host's for its own suite, a private one for any other. */
export async function aptContextFor(spec: DebianSpec, opts: DebianOptions = {}): Promise<AptContext> {
  const host = await hostSuite();
  const suite = spec.suite ?? host;
  // The host's lists are amd64 only: another architecture's kernels come through private state, the host's suite too.
  if (suite === host && debArch(opts) === 'amd64') return { kind: 'host', suite };
  return privateApt(suite, host, { ...opts, debianArch: debArch(opts) });
}

const listsHint = (ctx: AptContext) =>
  ctx.kind === 'host' ? 'run `apt-get update` as root' : `the private lists of ${ctx.suite} are in ${ctx.dir}; delete its "updated" file to refetch them`;

/** Resolves a debian:<package> spec to that package of the suite's apt lists. */
export async function resolveDebianPackage(spec: DebianPackageSpec, ctx: AptContext): Promise<DebianPackage> {
  const pkgs = await aptShow(ctx, [spec.pkg]).catch(() => []);
  if (pkgs.length === 0) {
    throw inputError('E_KERNEL_NOT_FOUND', `no package ${spec.pkg} in ${whereOf(ctx)}`,
      `check the name with \`apt-cache search --names-only linux-image\`; a package of another suite is debian:<suite>/<package>; or ${listsHint(ctx)}`);
  }
  return { name: pkgs[0].name, version: pkgs[0].version };
}

const whereOf = (ctx: AptContext) => (ctx.kind === 'host' ? `the host's apt lists (${ctx.suite})` : `Debian ${ctx.suite}`);

/** Every part of kernel `abi` the lists have (debian-parts.ts), or a bad-input error naming what is there. */
async function partsOf(ctx: AptContext, abi: string, requested?: string): Promise<KernelPackages> {
  const names = candidateNames(abi);
  const pkgs = await aptShow(ctx, [...new Set([...(requested ? [requested] : []), ...names.image, names.modules, names.base])]).catch(() => []);
  const k = pickKernelParts(abi, pkgs, requested);
  if (!k) {
    throw inputError('E_KERNEL_NOT_FOUND', `no image of kernel ${abi} in ${whereOf(ctx)} (looked for ${names.image.join(', ')})`,
      `list the kernels with \`apt-cache search --names-only "^linux-(image|binary)-"\`${ctx.kind === 'private' ? ` (private state: ${ctx.dir})` : ''}; or ${listsHint(ctx)}`);
  }
  return k;
}

/** Resolves a kernel spec to the packages of one kernel, in either of Debian's layouts. */
export async function resolveDebianKernel(spec: DebianSpec, ctx: AptContext, arch: Arch = DEFAULT_ARCH): Promise<KernelPackages> {
  const flavour = ARCH_INFO[arch].debian;
  const where = whereOf(ctx);
  if (spec.kind === 'debian-package') {
    const abi = kernelAbi(spec.pkg);
    if (!abi) {
      throw inputError('E_KERNEL_NOT_FOUND', `${spec.pkg} is not a kernel package`,
        'name a kernel by its ABI: linux-image-<abi>[-unsigned], linux-binary[-unsigned]-<abi> (e.g. linux-image-6.1.0-47-amd64-unsigned), or use debian:<suite>[@<x.y>]');
    }
    await resolveDebianPackage(spec, ctx);
    return partsOf(ctx, abi, spec.pkg);
  }
  if (!spec.series) {
    // The suite's default kernel is the one its metapackage points at.
    const [meta] = await aptShow(ctx, [`linux-image-${flavour}`]).catch(() => []);
    const abi = defaultAbi(meta);
    if (!abi) throw new LabError('E_KERNEL_NOT_FOUND', 'run', `linux-image-${flavour} names no kernel package in ${where}`, { hint: listsHint(ctx) });
    return partsOf(ctx, abi);
  }
  const { stdout } = await aptCache(ctx, ['search', '--names-only', '^linux-(image|binary)-[0-9]']);
  const abis = [...new Set(stdout.split('\n').map((l) => kernelAbi(l.split(' ')[0]) ?? ''))].filter((a) => isPlainFlavour(a, flavour) && inSeries(a, spec.series!));
  if (abis.length === 0) {
    throw inputError('E_KERNEL_NOT_FOUND', `no ${spec.series} kernel in ${where}`,
      `list them with \`apt-cache search --names-only "^linux-(image|binary)-"\`${ctx.kind === 'private' ? ` (private state: ${ctx.dir})` : ''}`);
  }
  let best: KernelPackages | undefined;
  for (const abi of abis) {
    const k = await partsOf(ctx, abi).catch(() => undefined);
    if (k && (!best || (await compareDebVersions(best.image.version, k.image.version)) < 0)) best = k;
  }
  if (!best) throw inputError('E_KERNEL_NOT_FOUND', `no ${spec.series} kernel image in ${where}`, `kernels named there: ${abis.join(', ')}; ${listsHint(ctx)}`);
  return best;
}

/**
 * resolveDebianKernel() with a memo in the cache, keyed by the spec and the
 * apt lists' state: a run on a cached kernel then spends no time in apt-cache.
 */
async function resolveCached(spec: DebianSpec, ctx: AptContext, arch: Arch): Promise<KernelPackages> {
  const path = join(cacheRoot(), 'kernels', 'debian', 'resolved.json');
  const memo = (await readJsonIfExists<Record<string, Partial<KernelPackages> & { stamp: string }>>(path)) ?? {};
  const stamp = `${ctx.kind}:${ctx.suite}:${await listsStamp(ctx)}`;
  // amd64 entries keep the key they always had.
  const key = arch === DEFAULT_ARCH ? spec.text : `${spec.text} ${arch}`;
  const hit = memo[key];
  // Entries written before kernels had parts lack them: resolve again.
  if (hit && hit.stamp === stamp && hit.abi && hit.image && hit.parts) return { abi: hit.abi, image: hit.image, parts: hit.parts };
  const k = await resolveDebianKernel(spec, ctx, arch);
  memo[key] = { ...k, stamp };
  await mkdir(join(cacheRoot(), 'kernels', 'debian'), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(memo, null, 2));
  return k;
}

/** The first of `paths` (relative to `root`) that exists. */
async function firstExisting(root: string, paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await stat(join(root, p)).catch(() => undefined)) return join(root, p);
  return undefined;
}

/** Downloads and unpacks a kernel's packages into the cache, once. */
/**
 * Where `debian:newest` looks: the suites that carry Debian's newest released
 * kernels (unstable, and the backports of stable, which can be ahead of it),
 * by alias, so no codename is written here; each alias is then used by the
 * codename its Release file gives (suiteCodename()). Experimental's release
 * candidates are left out: name debian:experimental for those.
 */
export const NEWEST_SUITES = ['unstable', 'testing', 'stable-backports'] as const;

/** The suite's context and kernel; for debian:newest, the suite whose default kernel has the highest version. */
async function resolveSpec(spec: DebianSpec, opts: DebianOptions): Promise<{ ctx: AptContext; k: KernelPackages }> {
  if (!(spec.kind === 'debian-suite' && spec.suite === 'newest')) {
    const ctx = await aptContextFor(spec, opts);
    return { ctx, k: await resolveCached(spec, ctx, opts.arch ?? DEFAULT_ARCH) };
  }
  let best: { ctx: AptContext; k: KernelPackages } | undefined;
  const missing: string[] = [];
  for (const alias of NEWEST_SUITES) {
    const suite = (await suiteCodename(await aptContextFor({ ...spec, suite: alias }, opts))) ?? alias;
    const one: DebianSpec = { ...spec, suite, text: `debian:${suite}${spec.series ? `@${spec.series}` : ''}` };
    const r = await resolveSpec(one, opts).catch((e) => {
      if ((e as LabError).code !== 'E_KERNEL_NOT_FOUND') throw e;
      missing.push(suite);
      return undefined;
    });
    if (r && (!best || (await compareDebVersions(best.k.image.version, r.k.image.version)) < 0)) best = r;
  }
  if (!best) throw inputError('E_KERNEL_NOT_FOUND', `no ${spec.series ?? ''} kernel in ${missing.join(', ')}`.replace('  ', ' '), 'name a suite instead: debian:<suite>[@<x.y>]');
  opts.onProgress?.(`newest Debian kernel: ${best.k.abi} (${best.k.image.version}) from ${best.ctx.suite}`);
  return best;
}

export async function fetchDebianKernel(spec: DebianSpec, opts: DebianOptions = {}): Promise<ResolvedKernel> {
  const { ctx, k } = await resolveSpec(spec, opts);
  // Named after the image package: entries of single-package kernels keep the directory they always had.
  const dir = join(cacheRoot(), 'kernels', 'debian', `${k.image.name}_${k.image.version}`.replace(/[^A-Za-z0-9._+-]/g, '_'));
  const manifestPath = join(dir, 'kernel.json');
  const cached = await readJsonIfExists<ResolvedKernel>(manifestPath);
  if (cached) {
    const r = absolutize(dir, { ...cached, spec: spec.text });
    await ensureDepmod(r.modulesDir, r.release);
    return r;
  }

  const names = k.parts.map((p) => p.name).join(', ');
  opts.onProgress?.(`downloading ${names} ${k.image.version}`);
  await buildCacheEntry(dir, async (scratch) => {
    await aptDownload(ctx, k.parts.map((p) => `${p.name}=${p.version}`), scratch, { signal: opts.signal, what: `apt-get download ${names}` });
    const debs = (await readdir(scratch)).filter((n) => n.endsWith('.deb'));
    if (debs.length !== k.parts.length) throw new LabError('E_KERNEL_DOWNLOAD', 'run', `apt-get download of ${names} left ${debs.length} .deb files, not ${k.parts.length}`);
    const root = join(scratch, 'root');
    for (const deb of debs) await run('dpkg-deb', ['-x', join(scratch, deb), root], { what: `dpkg-deb -x ${deb}` });
    const release = k.abi;
    // linux-binary-unsigned-<abi> names its image vmlinuz.unsigned.
    const image = await firstExisting(root, [`boot/vmlinuz-${release}`, `usr/lib/modules/${release}/vmlinuz`, `usr/lib/modules/${release}/vmlinuz.unsigned`]);
    const config = await firstExisting(root, [`boot/config-${release}`, `usr/lib/modules/${release}/config`]);
    const modulesDir = await firstExisting(root, [`lib/modules/${release}`, `usr/lib/modules/${release}`]);
    if (!image || !config || !modulesDir) {
      throw new LabError('E_KERNEL_LAYOUT', 'run', `${names} has no ${!image ? 'vmlinuz' : !config ? 'config' : 'modules directory'} for ${release}`, {
        hint: `looked in boot/ and usr/lib/modules/${release}/ of the unpacked packages; name the kernel's packages with debian:<suite>/<package>`,
      });
    }
    await ensureDepmod(modulesDir, release);
    await writeManifest(scratch, {
      source: `${k.parts.map((p) => p.name).join(' + ')} ${k.image.version} (Debian ${ctx.suite})`,
      release,
      image,
      config,
      modulesDir,
      imageSha256: await sha256File(image),
    });
  });
  const m = (await readJsonIfExists<Omit<ResolvedKernel, 'spec'>>(manifestPath))!;
  return absolutize(dir, { ...m, spec: spec.text });
}
