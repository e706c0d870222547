// One entry point from a --kernel value to a bootable kernel in the cache:
// image, modules, config and release, checked that it can serve a run, with
// the virtio-mem device options its driver needs.
import { inputError } from '../util/errors.js';
import { resolveBuildKernel } from './build.js';
import { checkConfig, checkFiles } from './checks.js';
import { readConfig } from './config.js';
import { fetchDebianKernel } from './debian.js';
import { probeDeviceOptions } from './device.js';
import { resolvePathKernel, resolveTreeKernel } from './local.js';
import { parseKernelSpec } from './spec.js';
import type { ResolvedKernel } from './types.js';

export interface ResolveOptions {
  /** path: only — the kernel's modules (lib/modules/<release> or an INSTALL_MOD_PATH root). */
  modules?: string;
  /** path: only — the kernel's .config. */
  config?: string;
  /** build: only — a fragment file (.config syntax) of extra options. */
  configFragment?: string;
  /** build: only — parallel make jobs (default: the CPUs available). */
  jobs?: number;
  signal?: AbortSignal;
  /** Progress lines (downloads, list refreshes, build phases); the library never prints. */
  onProgress?: (msg: string) => void;
}

export async function resolveKernel(text: string, opts: ResolveOptions = {}): Promise<ResolvedKernel> {
  const spec = parseKernelSpec(text);
  if ((opts.modules || opts.config) && spec.kind !== 'path') {
    throw inputError('E_USAGE', `--modules and --config go with --kernel path:<bzImage>, not ${spec.text.split(':')[0]}:`,
      spec.kind === 'build' ? 'for extra build options use --config-fragment FILE or build:<source>+NAME=value,…' : 'drop --modules/--config: this kind of kernel brings its own');
  }
  if (opts.configFragment && spec.kind !== 'build') {
    throw inputError('E_USAGE', '--config-fragment goes with --kernel build:<source>', 'drop --config-fragment, or build the kernel: build:linux-source-6.1');
  }
  let k: ResolvedKernel;
  switch (spec.kind) {
    case 'debian-suite':
    case 'debian-package':
      k = await fetchDebianKernel(spec, opts);
      break;
    case 'path':
      k = await resolvePathKernel(text, spec.image, opts);
      break;
    case 'tree':
      k = await resolveTreeKernel(text, spec.dir, opts);
      break;
    case 'build':
      k = await resolveBuildKernel(spec, opts);
      break;
  }
  await checkFiles(k);
  checkConfig(await readConfig(k.config), k.config);
  return { ...k, deviceOptions: await probeDeviceOptions(k.modulesDir, k.release) };
}
