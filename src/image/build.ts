// Builds the guest's initramfs: busybox, the probe agent, dropbear with its
// libraries and a pinned host key, the module closure, and guest-image/init.sh
// as /init. Cached by content; the per-run part (the run's SSH key and id) is
// a second small archive appended at launch (the kernel unpacks concatenated
// archives in order).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCacheEntry, cacheRoot, readJsonIfExists, sha256, writeFileAtomic } from '../util/cache.js';
import { LabError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { pkgPath } from '../util/paths.js';
import type { ResolvedKernel } from '../kernel/types.js';
import { ARCH_INFO, DEFAULT_ARCH, type Arch } from '../util/arch.js';
import { AGENT_CFLAGS, agentFiles, agentSources } from './agent.js';
import { guestUserland, type Userland } from './userland.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { formatModulesDep, moduleClosure, parseBuiltin, parseModulesDep, readModuleFile, unpackedPath } from './modules.js';

/** Bump when the image layout changes, so old cache entries are not reused. */
const LAYOUT_VERSION = 2;
export const GUEST_MODULES = ['virtio_pci', 'virtio_net', 'virtio_mem'];
/** Taken when the kernel has them: virtio_rng seeds the guest's CRNG (see rngArgs()). */
export const OPTIONAL_GUEST_MODULES = ['virtio_rng'];

/** The module files the image carries: the guest's modules and the optional ones the kernel has. */
function guestClosure(dep: ReturnType<typeof parseModulesDep>, builtin: Set<string>) {
  const optional = OPTIONAL_GUEST_MODULES.filter((m) => dep.has(m) || builtin.has(m));
  return moduleClosure([...GUEST_MODULES, ...optional], dep, builtin);
}
export interface GuestImage {
  /** The cached base archive. */
  cpio: string;
  /** The guest's SSH host key as an OpenSSH public key line (pinned by the host). */
  hostKey: string;
  /** Content key of the image. */
  key: string;
  /** Bytes of the base archive. */
  size: number;
}

async function readKernelModules(kernel: ResolvedKernel): Promise<CpioEntry[]> {
  const depText = await readFile(join(kernel.modulesDir, 'modules.dep'), 'utf8').catch(() => {
    throw new LabError('E_KERNEL_MODULES', 'input', `no modules.dep in ${kernel.modulesDir}`, {
      hint: 'the modules directory must be depmod-ed (depmod -b <root> <release>)',
    });
  });
  const builtin = parseBuiltin(await readFile(join(kernel.modulesDir, 'modules.builtin'), 'utf8').catch(() => ''));
  const closure = guestClosure(parseModulesDep(depText), builtin);
  const base = `lib/modules/${kernel.release}`;
  const entries: CpioEntry[] = [];
  for (const m of closure) {
    const src = join(kernel.modulesDir, m.path);
    const data = await readModuleFile(src);
    entries.push({ type: 'file', path: `${base}/${unpackedPath(m.path)}`, data });
  }
  entries.push({ type: 'file', path: `${base}/modules.dep`, data: Buffer.from(formatModulesDep(closure)) });
  return entries;
}

function dirsOf(paths: string[]): CpioEntry[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort().map((path) => ({ type: 'dir', path }));
}

/**
 * The image's content key: everything copied into it. The module files
 * count too (their modules.dep and the files of the closure), so a kernel
 * given with other modules never reuses an image built with the old ones.
 */
async function imageKey(kernel: ResolvedKernel, arch: Arch, userland: Userland): Promise<string> {
  // The lab's own files by their name in the package, so every checkout of
  // the same sources shares one image; the userland by where it came from.
  const own = ['guest-image/init.sh', ...agentFiles()];
  const host = [userland.busybox, userland.dropbear, ...userland.libs.map((l) => l.hostPath)];
  const files = [...own.map((f) => pkgPath(f)), ...host];
  const depText = await readFile(join(kernel.modulesDir, 'modules.dep'), 'utf8').catch(() => '');
  const builtin = parseBuiltin(await readFile(join(kernel.modulesDir, 'modules.builtin'), 'utf8').catch(() => ''));
  let closure: string[] = [];
  try {
    closure = guestClosure(parseModulesDep(depText), builtin).map((m) => join(kernel.modulesDir, m.path));
  } catch {
    // A missing module is reported by the build itself, with its name.
  }
  const contents = await Promise.all([...files, ...closure].map((f) => readFile(f)));
  // amd64 images keep the key they always had.
  const archParts = arch === DEFAULT_ARCH ? [] : [arch, ...userland.origin];
  return sha256(String(LAYOUT_VERSION), ...archParts, kernel.imageSha256, kernel.release, depText, ...own, ...host, ...closure, ...contents).slice(0, 24);
}

export async function buildGuestImage(kernel: ResolvedKernel, opts: { onProgress?: (msg: string) => void } = {}): Promise<GuestImage> {
  const arch = kernel.arch ?? DEFAULT_ARCH;
  const userland = await guestUserland(arch, opts);
  const key = await imageKey(kernel, arch, userland);
  const dir = join(cacheRoot(), 'images', key);
  const cached = await readJsonIfExists<Omit<GuestImage, 'cpio'>>(join(dir, 'image.json'));
  if (cached) return { ...cached, cpio: join(dir, 'base.cpio') };

  opts.onProgress?.(`building guest image ${key}`);
  await buildCacheEntry(dir, async (scratch) => {
    const agent = join(scratch, 'agent');
    const cc = ARCH_INFO[arch].cc ?? 'cc';
    await run(cc, [...AGENT_CFLAGS, '-o', agent, ...agentSources()], { what: `building the probe agent (${cc})` }).catch((e) => {
      if ((e as LabError).code !== 'E_TOOL_MISSING') throw e;
      throw new LabError('E_TOOL_MISSING', 'environment', `${cc} is missing: the ${arch} probe agent is compiled with it`, { hint: `install ${ARCH_INFO[arch].ccPackage ?? 'gcc'} (bin/setup does, as root)` });
    });
    await run('dropbearkey', ['-t', 'ed25519', '-f', join(scratch, 'hostkey')], { what: 'dropbearkey' });
    const pub = (await run('dropbearkey', ['-y', '-f', join(scratch, 'hostkey')])).stdout;
    const hostKey = /^(ssh-ed25519 \S+)/m.exec(pub)?.[1];
    if (!hostKey) throw new LabError('E_IMAGE_HOSTKEY', 'run', 'dropbearkey printed no ed25519 public key', { context: { pub } });

    const files: CpioEntry[] = [
      { type: 'file', path: 'init', data: await readFile(pkgPath('guest-image/init.sh')), mode: 0o755 },
      { type: 'file', path: 'bin/busybox', data: await readFile(userland.busybox), mode: 0o755 },
      { type: 'file', path: 'sbin/devmem-agent', data: await readFile(agent), mode: 0o755 },
      { type: 'file', path: 'usr/sbin/dropbear', data: await readFile(userland.dropbear), mode: 0o755 },
      { type: 'file', path: 'etc/dropbear/hostkey', data: await readFile(join(scratch, 'hostkey')), mode: 0o600 },
      { type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') },
      { type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\n') },
      // dropbear refuses users whose shell is not listed here.
      { type: 'file', path: 'etc/shells', data: Buffer.from('/bin/sh\n') },
      ...(await Promise.all(userland.libs.map(async (l) => ({ type: 'file' as const, path: l.guestPath, data: await readFile(l.hostPath), mode: 0o755 })))),
      ...(await readKernelModules(kernel)),
    ];
    const entries: CpioEntry[] = [
      ...dirsOf(files.map((f) => f.path)),
      ...['proc', 'sys', 'dev', 'run', 'tmp', 'root'].map((path): CpioEntry => ({ type: 'dir', path })),
      { type: 'symlink', path: 'bin/sh', target: 'busybox' },
      ...files,
    ];
    const cpio = writeCpio(entries);
    await writeFile(join(scratch, 'base.cpio'), cpio);
    await writeFileAtomic(join(scratch, 'image.json'), JSON.stringify({ hostKey, key, size: cpio.length }, null, 2));
  });
  const meta = (await readJsonIfExists<Omit<GuestImage, 'cpio'>>(join(dir, 'image.json')))!;
  return { ...meta, cpio: join(dir, 'base.cpio') };
}

/** The per-run archive: the run's authorized key and id. */
export function runCpio(runId: string, authorizedKey: string): Buffer {
  return writeCpio([
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'root/.ssh', mode: 0o700 },
    { type: 'file', path: 'root/.ssh/authorized_keys', data: Buffer.from(authorizedKey.trim() + '\n'), mode: 0o600 },
    { type: 'dir', path: 'etc' },
    { type: 'dir', path: 'etc/devmem-lab' },
    { type: 'file', path: 'etc/devmem-lab/run-id', data: Buffer.from(runId + '\n') },
  ]);
}
