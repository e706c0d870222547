// Kernels from Debian's archive: the host's suite through the host's own apt
// set-up, any other suite through private apt state (apt.ts). `apt-get
// download` needs no root, and `dpkg-deb -x` unpacks without installing
// anything on the host.
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot, buildCacheEntry, readJsonIfExists, writeFileAtomic } from '../util/cache.js';
import { inputError, LabError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { aptCache, aptGet, listsStamp, privateApt, type AptContext } from './apt.js';
import { absolutize, ensureDepmod, sha256File, writeManifest } from './entry.js';
import type { KernelSpec, ResolvedKernel } from './types.js';

type DebianSpec = Extract<KernelSpec, { kind: 'debian-suite' | 'debian-package' }>;

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

/** Package names of the plain amd64 flavour (not cloud, not rt) of a series. */
export function pickFlavour(names: string[], series?: string): string[] {
  const prefix = series ? `linux-image-${series}` : 'linux-image-';
  return names.filter(
    (n) =>
      n.startsWith(prefix) &&
      /^linux-image-[0-9]/.test(n) &&
      /-amd64-unsigned$/.test(n) &&
      !/-(cloud|rt)-amd64-unsigned$/.test(n) &&
      // "6.1" must not match "6.12": the series ends at a '.', '-' or '+'.
      (!series || /^[.+-]/.test(n.slice(prefix.length))),
  );
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
export async function aptContextFor(
  spec: DebianSpec,
  opts: { signal?: AbortSignal; onProgress?: (msg: string) => void } = {},
): Promise<AptContext> {
  const host = await hostSuite();
  const suite = spec.suite ?? host;
  if (suite === host) return { kind: 'host', suite };
  return privateApt(suite, host, opts);
}

const listsHint = (ctx: AptContext) =>
  ctx.kind === 'host' ? 'run `apt-get update` as root' : `the private lists of ${ctx.suite} are in ${ctx.dir}; delete its "updated" file to refetch them`;

/** Resolves a spec to one package of the suite's apt lists. */
export async function resolveDebianPackage(spec: DebianSpec, ctx: AptContext): Promise<DebianPackage> {
  const where = ctx.kind === 'host' ? `the host's apt lists (${ctx.suite})` : `Debian ${ctx.suite}`;
  if (spec.kind === 'debian-package') {
    const pkgs = await aptShow(ctx, [spec.pkg]).catch(() => []);
    if (pkgs.length === 0) {
      throw inputError('E_KERNEL_NOT_FOUND', `no package ${spec.pkg} in ${where}`,
        `check the name with \`apt-cache search --names-only linux-image\`; a package of another suite is debian:<suite>/<package>; or ${listsHint(ctx)}`);
    }
    return { name: pkgs[0].name, version: pkgs[0].version };
  }
  if (!spec.series) {
    // The suite's default kernel is the one its metapackage points at.
    const [meta] = await aptShow(ctx, ['linux-image-amd64']).catch(() => []);
    const dep = /linux-image-[^\s,(]+/.exec(meta?.depends ?? '')?.[0];
    if (!dep) throw new LabError('E_KERNEL_NOT_FOUND', 'run', `linux-image-amd64 names no kernel package in ${where}`, { hint: listsHint(ctx) });
    return resolveDebianPackage({ kind: 'debian-package', pkg: `${dep}-unsigned`, text: spec.text }, ctx);
  }
  const { stdout } = await aptCache(ctx, ['search', '--names-only', '^linux-image-.*-amd64-unsigned$']);
  const names = pickFlavour(stdout.split('\n').map((l) => l.split(' ')[0]), spec.series);
  if (names.length === 0) {
    throw inputError('E_KERNEL_NOT_FOUND', `no ${spec.series} kernel in ${where}`,
      `list them with \`apt-cache search --names-only "^linux-image-.*-amd64-unsigned$"\`${ctx.kind === 'private' ? ` (private state: ${ctx.dir})` : ''}`);
  }
  const pkgs = await aptShow(ctx, names);
  let best = pkgs[0];
  for (const p of pkgs.slice(1)) if ((await compareDebVersions(best.version, p.version)) < 0) best = p;
  return { name: best.name, version: best.version };
}

async function firstMatch(dir: string, re: RegExp): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.find((n) => re.test(n));
}

/**
 * resolveDebianPackage() with a memo in the cache, keyed by the spec and the
 * apt lists' state: a run on a cached kernel then spends no time in apt-cache.
 */
async function resolveCached(spec: DebianSpec, ctx: AptContext): Promise<DebianPackage> {
  const path = join(cacheRoot(), 'kernels', 'debian', 'resolved.json');
  const memo = (await readJsonIfExists<Record<string, DebianPackage & { stamp: string }>>(path)) ?? {};
  const stamp = `${ctx.kind}:${ctx.suite}:${await listsStamp(ctx)}`;
  const hit = memo[spec.text];
  if (hit && hit.stamp === stamp) return { name: hit.name, version: hit.version };
  const pkg = await resolveDebianPackage(spec, ctx);
  memo[spec.text] = { ...pkg, stamp };
  await mkdir(join(cacheRoot(), 'kernels', 'debian'), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(memo, null, 2));
  return pkg;
}

/** Downloads and unpacks a kernel package into the cache, once. */
export async function fetchDebianKernel(spec: DebianSpec, opts: { signal?: AbortSignal; onProgress?: (msg: string) => void } = {}): Promise<ResolvedKernel> {
  const ctx = await aptContextFor(spec, opts);
  const pkg = await resolveCached(spec, ctx);
  const dir = join(cacheRoot(), 'kernels', 'debian', `${pkg.name}_${pkg.version}`.replace(/[^A-Za-z0-9._+-]/g, '_'));
  const manifestPath = join(dir, 'kernel.json');
  const cached = await readJsonIfExists<ResolvedKernel>(manifestPath);
  if (cached) {
    const k = absolutize(dir, { ...cached, spec: spec.text });
    await ensureDepmod(k.modulesDir, k.release);
    return k;
  }

  opts.onProgress?.(`downloading ${pkg.name} ${pkg.version}`);
  await buildCacheEntry(dir, async (scratch) => {
    await aptGet(ctx, ['download', `${pkg.name}=${pkg.version}`], { cwd: scratch, signal: opts.signal, what: `apt-get download ${pkg.name}` });
    const deb = await firstMatch(scratch, /\.deb$/);
    if (!deb) throw new LabError('E_KERNEL_DOWNLOAD', 'run', `apt-get download left no .deb for ${pkg.name}`);
    const root = join(scratch, 'root');
    await run('dpkg-deb', ['-x', join(scratch, deb), root], { what: 'dpkg-deb -x' });
    const boot = join(root, 'boot');
    const vmlinuz = await firstMatch(boot, /^vmlinuz-/);
    const config = await firstMatch(boot, /^config-/);
    if (!vmlinuz || !config) throw new LabError('E_KERNEL_LAYOUT', 'run', `${pkg.name} has no boot/vmlinuz-* or boot/config-*`);
    const release = vmlinuz.slice('vmlinuz-'.length);
    let modulesDir = join(root, 'lib', 'modules', release);
    if (!(await stat(modulesDir).catch(() => undefined))) modulesDir = join(root, 'usr', 'lib', 'modules', release);
    await ensureDepmod(modulesDir, release);
    await writeManifest(scratch, {
      source: `${pkg.name} ${pkg.version}`,
      release,
      image: join(boot, vmlinuz),
      config: join(boot, config),
      modulesDir,
      imageSha256: await sha256File(join(boot, vmlinuz)),
    });
  });
  const m = (await readJsonIfExists<Omit<ResolvedKernel, 'spec'>>(manifestPath))!;
  return absolutize(dir, { ...m, spec: spec.text });
}
