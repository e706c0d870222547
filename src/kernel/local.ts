// Kernels the user already has: a bzImage with its modules and config
// (`path:`), or a built kernel tree (`tree:`). Both are copied into a cache
// entry keyed by their content, so a later rebuild of the user's files is
// a new entry and never changes what an old report refers to.
//
// A tree's modules are taken from its modules.order (every module the
// build made), copied to lib/modules/<release>/kernel/<path>.ko with the
// tree's modules.builtin*, then depmod-ed: no `make` runs in the user's tree,
// so it may be read-only and needs no toolchain.
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { buildCacheEntry, cacheRoot, sha256 } from '../util/cache.js';
import { inputError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { readBzImageHeader } from './bzimage.js';
import { readKernelImage } from './image-header.js';
import type { Arch } from '../util/arch.js';
import { parseConfigText } from './config.js';
import { dirFingerprint, ensureDepmod, exists, loadCachedKernel, sha256File, writeManifest } from './entry.js';
import type { ResolvedKernel } from './types.js';

const LAYOUT_VERSION = 1;

export interface PathOptions {
  /** Modules: a lib/modules/<release> directory or a root holding lib/modules/<release>. */
  modules?: string;
  /** The kernel's .config. */
  config?: string;
  /** The image's architecture (default x86_64). */
  arch?: Arch;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
}

const isReleaseDir = async (d: string) =>
  (await exists(join(d, 'modules.order'))) || (await exists(join(d, 'modules.dep'))) || (await exists(join(d, 'kernel')));

/** Finds lib/modules/<release> from what the user gave (or the host's, for a host kernel). */
export async function findModulesDir(given: string | undefined, release: string): Promise<string | undefined> {
  if (!given) {
    const host = `/lib/modules/${release}`;
    return (await exists(join(host, 'modules.dep'))) ? host : undefined;
  }
  if (!(await exists(given))) {
    throw inputError('E_KERNEL_FILE', `--modules ${given} does not exist`, `give the directory of the kernel's modules: lib/modules/${release} or the INSTALL_MOD_PATH root that holds it`);
  }
  if (await isReleaseDir(given)) return given;
  const under = join(given, 'lib', 'modules', release);
  if (await exists(under)) return under;
  throw inputError('E_KERNEL_MODULES', `--modules ${given} holds no modules for release ${release}`,
    `give lib/modules/${release} itself or the root it was installed under (make modules_install INSTALL_MOD_PATH=<root>)`);
}

/** The config that sits beside an image: /boot/config-<release>, or .config of the tree it was built in. */
async function findConfig(image: string, release: string | undefined): Promise<string | undefined> {
  const dir = dirname(image);
  const candidates = [
    ...(release ? [join(dir, `config-${release}`)] : []),
    join(dir, '.config'),
    // arch/x86/boot/bzImage → the tree's .config
    ...(image.endsWith('/arch/x86/boot/bzImage') ? [join(image, '..', '..', '..', '..', '.config')] : []),
  ];
  for (const c of candidates) if (await exists(c)) return c;
  return undefined;
}

type ModulesSource =
  | { kind: 'dir'; dir: string }
  /** A built tree: copy what modules.order names. */
  | { kind: 'order'; tree: string }
  /** No modules: everything the guest needs is built in. */
  | { kind: 'none'; builtin: string[] };

async function importKernel(
  specText: string,
  parts: { image: string; config: string; release: string; modules: ModulesSource; source: string },
  opts: PathOptions,
): Promise<ResolvedKernel> {
  const imageSha256 = await sha256File(parts.image);
  const configSha = await sha256File(parts.config);
  const m = parts.modules;
  const modulesKey =
    m.kind === 'dir' ? await dirFingerprint(m.dir, (rel) => rel === 'build' || rel === 'source')
    : m.kind === 'order' ? await orderFingerprint(m.tree)
    : m.builtin.join(',');
  const key = sha256(String(LAYOUT_VERSION), imageSha256, configSha, parts.release, m.kind, modulesKey).slice(0, 24);
  const dir = join(cacheRoot(), 'kernels', 'local', key);
  const cached = await loadCachedKernel(dir, specText);
  if (cached) return cached;

  opts.onProgress?.(`copying ${parts.source} into the cache`);
  await buildCacheEntry(dir, async (scratch) => {
    const boot = join(scratch, 'boot');
    await mkdir(boot, { recursive: true });
    const image = join(boot, `vmlinuz-${parts.release}`);
    const config = join(boot, `config-${parts.release}`);
    await copyFile(parts.image, image);
    await copyFile(parts.config, config);
    const modulesDir = join(scratch, 'lib', 'modules', parts.release);
    await mkdir(modulesDir, { recursive: true });
    if (m.kind === 'dir') {
      // Symlinks (build, source) are copied as links, never followed into a tree.
      await run('cp', ['-a', '--no-preserve=ownership', `${m.dir}/.`, modulesDir], { signal: opts.signal, what: 'copying the modules' });
    } else if (m.kind === 'order') {
      await copyTreeModules(m.tree, modulesDir);
    } else {
      await writeFile(join(modulesDir, 'modules.builtin'), m.builtin.map((n) => `kernel/${n}.ko\n`).join(''));
      await writeFile(join(modulesDir, 'modules.order'), '');
    }
    await ensureDepmod(modulesDir, parts.release);
    await writeManifest(scratch, { source: parts.source, release: parts.release, image, config, modulesDir, imageSha256 });
  });
  return (await loadCachedKernel(dir, specText))!;
}

/**
 * Paths of modules.order as installed: 6.1 lists foo.ko, 6.2+ lists foo.o.
 * Each must stay inside the tree: an absolute path or a `..` part would
 * make the lab read and write outside it (and outside the cache).
 */
export function orderedModules(text: string): string[] {
  const paths = text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.replace(/^kernel\//, '').replace(/\.o$/, '.ko'));
  const outside = paths.find((m) => isAbsolute(m) || normalize(m).split(sep).includes('..'));
  if (outside !== undefined) {
    throw inputError('E_KERNEL_PATH', `modules.order names ${JSON.stringify(outside)}, which leaves the kernel tree`, 'a modules.order lists paths inside the tree (e.g. drivers/virtio/virtio_mem.o); rebuild the tree or fix the file');
  }
  return paths;
}

async function orderFingerprint(tree: string): Promise<string> {
  const order = await readFile(join(tree, 'modules.order'), 'utf8');
  const parts = [order];
  for (const m of orderedModules(order)) {
    const st = await stat(join(tree, m)).catch(() => undefined);
    parts.push(`${m} ${st?.size ?? 'missing'} ${st?.mtimeMs ?? ''}`);
  }
  return sha256(...parts);
}

async function copyTreeModules(tree: string, modulesDir: string): Promise<void> {
  const mods = orderedModules(await readFile(join(tree, 'modules.order'), 'utf8'));
  for (const m of mods) {
    const src = join(tree, m);
    if (!(await exists(src))) {
      throw inputError('E_KERNEL_MODULES', `${tree}: modules.order names ${m}, which is not built`, `finish the build in ${tree} (make modules), then try again`);
    }
    const dst = join(modulesDir, 'kernel', m);
    await mkdir(dirname(dst), { recursive: true });
    await copyFile(src, dst);
  }
  await writeFile(join(modulesDir, 'modules.order'), mods.map((m) => `kernel/${m}\n`).join(''));
  for (const f of ['modules.builtin', 'modules.builtin.modinfo']) {
    if (await exists(join(tree, f))) await copyFile(join(tree, f), join(modulesDir, f));
  }
}

/** Modules the guest needs, when the config builds all of them in: the image then needs no modules directory. */
function allBuiltIn(config: Map<string, string>): string[] | undefined {
  const need = { VIRTIO_PCI: 'virtio_pci', VIRTIO_NET: 'virtio_net', VIRTIO_MEM: 'virtio_mem' };
  if (!Object.keys(need).every((k) => config.get(k) === 'y')) return undefined;
  return Object.values(need);
}

/** `path:<bzImage>` with --modules and --config, or what sits beside the image. */
export async function resolvePathKernel(specText: string, image: string, opts: PathOptions): Promise<ResolvedKernel> {
  const h = await readKernelImage(image, opts.arch ?? 'x86_64');
  const configPath = opts.config ?? (await findConfig(image, h.release));
  if (!configPath) {
    throw inputError('E_KERNEL_CONFIG', `no config for ${image}`,
      `give the kernel's .config with --config FILE${h.release ? ` (e.g. /boot/config-${h.release})` : ''}`);
  }
  if (!(await exists(configPath))) throw inputError('E_KERNEL_FILE', `--config ${configPath} does not exist`, "give the kernel's .config file");
  const config = parseConfigText(await readFile(configPath, 'utf8'));
  const release = h.release ?? (opts.modules ? basename(opts.modules) : undefined);
  if (!release) {
    throw inputError('E_KERNEL_RELEASE', `${image} does not say its release`, 'give --modules as the lib/modules/<release> directory, so the release is its name');
  }
  const modulesDir = await findModulesDir(opts.modules, release);
  let modules: ModulesSource;
  if (modulesDir) modules = { kind: 'dir', dir: modulesDir };
  else {
    const builtin = allBuiltIn(config);
    if (!builtin) {
      throw inputError('E_KERNEL_MODULES', `no modules for ${image} (release ${release})`,
        `give --modules DIR (lib/modules/${release} or the INSTALL_MOD_PATH root holding it); the guest loads virtio_mem (and virtio_pci, virtio_net unless built in) from it`);
    }
    modules = { kind: 'none', builtin };
  }
  return importKernel(specText, { image, config: configPath, release, modules, source: `${image} (${release})` }, opts);
}

/** `tree:<dir>`: a tree where `make bzImage modules` has run. */
export async function resolveTreeKernel(specText: string, tree: string, opts: PathOptions): Promise<ResolvedKernel> {
  const need = async (p: string) => {
    if (!(await exists(join(tree, p)))) {
      throw inputError('E_KERNEL_TREE', `${tree} is not a built kernel tree: no ${p}`,
        `build it first (make bzImage modules in ${tree}), or use build:${tree} to let the lab build a minimal guest kernel from it`);
    }
  };
  if (!(await exists(tree))) throw inputError('E_KERNEL_FILE', `tree ${tree} does not exist`, 'give the top directory of a built kernel tree');
  await need('arch/x86/boot/bzImage');
  await need('.config');
  await need('include/config/kernel.release');
  const image = join(tree, 'arch/x86/boot/bzImage');
  const h = await readBzImageHeader(image);
  const release = (await readFile(join(tree, 'include/config/kernel.release'), 'utf8')).trim();
  if (h.release && h.release !== release) {
    throw inputError('E_KERNEL_TREE', `${tree}: bzImage is ${h.release} but include/config/kernel.release says ${release}`, `rebuild the tree (make bzImage modules) so they agree`);
  }
  const config = parseConfigText(await readFile(join(tree, '.config'), 'utf8'));
  let modules: ModulesSource;
  if (config.get('MODULES') === 'y') {
    if (!(await exists(join(tree, 'modules.order')))) {
      throw inputError('E_KERNEL_TREE', `${tree} has CONFIG_MODULES=y but no modules.order`, `run make modules in ${tree}`);
    }
    modules = { kind: 'order', tree };
  } else {
    const builtin = allBuiltIn(config);
    if (!builtin) throw inputError('E_KERNEL_NO_VIRTIO_MEM', `${tree}: CONFIG_MODULES is off and virtio-pci/net/mem are not all built in`, 'build with CONFIG_MODULES=y and CONFIG_VIRTIO_MEM=m');
    modules = { kind: 'none', builtin };
  }
  return importKernel(specText, { image, config: join(tree, '.config'), release, modules, source: `tree ${tree} (${release})` }, opts);
}
