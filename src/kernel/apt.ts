// apt for kernels of any Debian suite. The host's own suite uses the host's
// apt as configured. Any other suite gets PRIVATE apt state under the cache
// (sources list, lists, package cache, an empty dpkg status): every path apt
// would read or write is redirected with -o options, so nothing of the host
// is edited, and it works without root. Private lists are refreshed when
// older than a day.
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot, writeFileAtomic } from '../util/cache.js';
import { aptSandboxUser, UNSANDBOXED, withAptStage } from './apt-sandbox.js';
import { inputError, LabError } from '../util/errors.js';
import { run, type RunResult } from '../util/exec.js';
import { debianArchives, DEFAULT_KEYRING, privateSourcesList, readHostSources } from './sources.js';

export type AptContext =
  | { kind: 'host'; suite: string }
  | { kind: 'private'; suite: string; dir: string; options: string[] };

export const LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

/**
 * Host configuration that must not run for private state: update hooks
 * (e.g. PackageKit's cache-update notification) belong to the host's lists.
 */
export const PRIVATE_APT_CONF = [
  '#clear APT::Update::Pre-Invoke;',
  '#clear APT::Update::Post-Invoke;',
  '#clear APT::Update::Post-Invoke-Success;',
  '',
].join('\n');

/** The -c/-o options that point every piece of apt's state into `dir`. */
export function privateAptOptions(dir: string, debianArch: string = 'amd64'): string[] {
  const o = (kv: string) => ['-o', kv];
  return [
    '-c', join(dir, 'apt.conf'),
    ...o(`Dir::Etc::SourceList=${join(dir, 'sources.list')}`),
    // Empty directories: the host's sources.list.d and pinning must not mix in.
    ...o(`Dir::Etc::SourceParts=${join(dir, 'empty')}`),
    ...o(`Dir::Etc::Preferences=${join(dir, 'preferences')}`),
    ...o(`Dir::Etc::PreferencesParts=${join(dir, 'empty')}`),
    ...o(`Dir::State=${dir}`),
    ...o(`Dir::State::Lists=${join(dir, 'lists')}`),
    // Nothing is installed in this view: kernels resolve without the host's dpkg status.
    ...o(`Dir::State::status=${join(dir, 'status')}`),
    ...o(`Dir::Cache=${join(dir, 'cache')}`),
    // Some images disable the binary caches (pkgcache ""); private state keeps them: apt-cache is much faster with them.
    ...o('Dir::Cache::pkgcache=pkgcache.bin'),
    ...o('Dir::Cache::srcpkgcache=srcpkgcache.bin'),
    ...o('APT::Get::List-Cleanup=0'),
    // The guest's architecture, whatever the host's: arm64 kernels and userland come from arm64 lists.
    ...o(`APT::Architecture=${debianArch}`),
    ...o(`APT::Architectures=${debianArch}`),
    ...o('Acquire::Languages=none'),
    // No APT::Sandbox::User override: as root, downloads are staged where
    // apt's _apt user can write (apt-sandbox.ts), so apt keeps its sandbox.
  ];
}

export function aptArgv(ctx: AptContext, args: string[]): string[] {
  return ctx.kind === 'private' ? [...ctx.options, ...args] : args;
}

export const aptCache = (ctx: AptContext, args: string[], what?: string): Promise<RunResult> =>
  run('apt-cache', aptArgv(ctx, args), { what: what ?? `apt-cache ${args[0]}` });

export const aptGet = (ctx: AptContext, args: string[], opts: { cwd?: string; signal?: AbortSignal; what?: string } = {}): Promise<RunResult> =>
  run('apt-get', aptArgv(ctx, args), { ...opts, what: opts.what ?? `apt-get ${args[0]}` });

/**
 * `apt-get download` of `pkgs` into `dest`, through a directory apt's
 * sandbox user can write when running as root (apt-sandbox.ts).
 */
export async function aptDownload(ctx: AptContext, pkgs: string[], dest: string, opts: { signal?: AbortSignal; what?: string } = {}): Promise<RunResult> {
  const user = await aptSandboxUser();
  return withAptStage(dest, user, async (dir) => checkSandboxed(await aptGet(ctx, ['download', ...pkgs], { cwd: dir, signal: opts.signal, what: opts.what })));
}

/** `apt-get update` of private lists; as root the lists are fetched into a staging directory and moved in. */
async function updatePrivateLists(ctx: AptContext & { kind: 'private' }, signal?: AbortSignal): Promise<void> {
  const lists = join(ctx.dir, 'lists');
  const user = await aptSandboxUser();
  const what = `apt-get update for ${ctx.suite}`;
  if (!user) {
    await aptGet(ctx, ['update', '-q'], { signal, what });
    return;
  }
  await withAptStage(lists, user, async (stage) => {
    // A later -o wins: the lists (and their partial/ directory) go to the stage.
    checkSandboxed(await aptGet(ctx, ['-o', `Dir::State::Lists=${stage}`, 'update', '-q'], { signal, what }));
    await rm(join(stage, 'lock'), { force: true });
  });
}

function checkSandboxed(r: RunResult): RunResult {
  if (UNSANDBOXED.test(r.stderr)) {
    throw new LabError('E_APT_UNSANDBOXED', 'environment', 'apt downloaded as root outside its sandbox', {
      hint: "check that apt's _apt user can reach the system temp directory (TMPDIR)",
      context: { stderr: r.stderr.slice(-1500) },
    });
  }
  return r;
}

/** amd64 state keeps the directory it always had; another architecture's lists live beside it. */
export const privateAptDir = (suite: string, debianArch: string = 'amd64'): string =>
  join(cacheRoot(), 'apt', debianArch === 'amd64' ? suite : `${suite}_${debianArch}`);

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/**
 * Private apt state for `suite`, with lists at most a day old. A failed
 * refresh keeps older lists (and says so); with no lists at all it fails.
 */
export async function privateApt(
  suite: string,
  hostSuite: string,
  opts: { signal?: AbortSignal; onProgress?: (msg: string) => void; now?: number; etcApt?: string; debianArch?: string } = {},
): Promise<AptContext> {
  const debianArch = opts.debianArch ?? 'amd64';
  const archives = debianArchives(await readHostSources(opts.etcApt), hostSuite);
  if (archives.main.length === 0) {
    throw new LabError('E_APT_NO_DEBIAN_SOURCE', 'environment', `the host's apt sources name no Debian archive for ${hostSuite} (main)`, {
      hint: `configure the Debian archive in /etc/apt/sources.list.d/debian.sources (Suites: ${hostSuite}, Components: main), then try again`,
    });
  }
  const dir = privateAptDir(suite, debianArch);
  const ctx: AptContext & { kind: 'private' } = { kind: 'private', suite, dir, options: privateAptOptions(dir, debianArch) };
  for (const d of ['lists/partial', 'cache/archives/partial', 'empty']) await mkdir(join(dir, d), { recursive: true });
  for (const f of ['status', 'preferences']) if (!(await exists(join(dir, f)))) await writeFile(join(dir, f), '');
  await writeFileAtomic(join(dir, 'apt.conf'), PRIVATE_APT_CONF);

  const sources = privateSourcesList(archives, suite, await exists(DEFAULT_KEYRING), debianArch);
  const old = await readFile(join(dir, 'sources.list'), 'utf8').catch(() => '');
  if (old !== sources) await writeFileAtomic(join(dir, 'sources.list'), sources);
  const stampPath = join(dir, 'updated');
  const stamp = await stat(stampPath).catch(() => undefined);
  const now = opts.now ?? Date.now();
  if (stamp && old === sources && now - stamp.mtimeMs < LISTS_MAX_AGE_MS) return ctx;

  opts.onProgress?.(`fetching Debian ${suite}${debianArch === 'amd64' ? '' : ` ${debianArch}`} package lists (private apt state in ${dir})`);
  try {
    await updatePrivateLists(ctx, opts.signal);
    await writeFile(stampPath, new Date(now).toISOString() + '\n');
    await utimes(stampPath, now / 1000, now / 1000);
  } catch (e) {
    if (stamp && old === sources) {
      opts.onProgress?.(`could not refresh the ${suite} lists; using the ones from ${stamp.mtime.toISOString()}`);
      return ctx;
    }
    const stderr = e instanceof LabError ? String(e.context.stderr ?? '') : '';
    // A first fetch that failed leaves nothing behind to be mistaken for a suite.
    if (!stamp) await rm(dir, { recursive: true, force: true });
    if (stderr.includes(` ${suite} Release' does not have a Release file`)) {
      throw inputError('E_KERNEL_SUITE', `Debian's archive (${archives.main[0].uri}) has no suite ${suite}`,
        'write a suite name the archive has: a codename (bullseye, bookworm, trixie, sid), an alias (oldstable, stable, testing) or a pocket (bookworm-backports)',
        { suite, stderr: stderr.slice(-1500) });
    }
    throw new LabError('E_APT_UPDATE', 'environment', `apt-get update for Debian ${suite} failed`, {
      hint: `check that the host reaches its Debian archive (${archives.main[0].uri}); the private sources list is in the error context`,
      cause: e,
      context: { suite, sources, stderr: stderr.slice(-1500) },
    });
  }
  return ctx;
}

/** A value that changes whenever the lists a context reads change. */
export async function listsStamp(ctx: AptContext): Promise<string> {
  const p = ctx.kind === 'host' ? '/var/lib/apt/lists' : join(ctx.dir, 'updated');
  const st = await stat(p).catch(() => undefined);
  return st ? `${st.mtimeMs}` : 'none';
}

/**
 * The codename a private suite's Release file gives (sid for unstable,
 * trixie-backports for stable-backports), or undefined. Mirrors may serve
 * an alias from an older snapshot than its codename (seen: stable-backports
 * a month behind trixie-backports), so aliases are resolved by codename.
 */
export async function suiteCodename(ctx: AptContext): Promise<string | undefined> {
  if (ctx.kind !== 'private') return undefined;
  const lists = join(ctx.dir, 'lists');
  const release = (await readdir(lists).catch(() => [] as string[])).find((n) => n.endsWith(`_dists_${ctx.suite}_InRelease`) || n.endsWith(`_dists_${ctx.suite}_Release`));
  if (!release) return undefined;
  return /^Codename: (\S+)$/m.exec(await readFile(join(lists, release), 'utf8').catch(() => ''))?.[1];
}
