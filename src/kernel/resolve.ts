// One entry point from a --kernel value to a bootable kernel in the cache:
// image, modules, config and release, checked that it can serve a run, with
// the virtio-mem device options its driver needs.
import { DEFAULT_ARCH, type Arch } from '../util/arch.js';
import { inputError } from '../util/errors.js';
import { checkConfig, checkFiles } from './checks.js';
import { readConfig } from './config.js';
import { probeDeviceOptions } from './device.js';
import { KERNEL_SOURCES, sourceOf } from './schemes/index.js';
import type { ResolveOptions, SourceOption } from './schemes/source.js';
import { parseKernelSpec } from './spec.js';
import type { ResolvedKernel } from './types.js';

export type { ResolveOptions };

/** The schemes that take an option, as a usage line names them. */
const takers = (o: SourceOption): string => KERNEL_SOURCES.filter((s) => (s.takes as SourceOption[] | undefined)?.includes(o)).map((s) => `${s.scheme}:`).join(' or ');

/**
 * What can be known of a kernel spec without fetching anything: its syntax,
 * the source-specific options it was given, and whether its source has
 * kernels of `arch`. The CLI asks before it touches --out; resolveKernel()
 * asks again for every caller.
 */
export function checkKernelInput(text: string, arch: Arch = DEFAULT_ARCH, opts: Pick<ResolveOptions, 'modules' | 'config' | 'configFragment'> = {}): KernelSpecOf {
  const spec = parseKernelSpec(text);
  const scheme = spec.text.trim().split(':')[0];
  const source = sourceOf(scheme)!;
  const takes = source.takes ?? [];
  if ((opts.modules && !takes.includes('modules')) || (opts.config && !takes.includes('config'))) {
    throw inputError('E_USAGE', `--modules and --config go with --kernel ${takers('modules')}, not ${scheme}:`, source.optionHint ?? 'drop --modules/--config: this kind of kernel brings its own');
  }
  if (opts.configFragment && !takes.includes('configFragment')) {
    throw inputError('E_USAGE', `--config-fragment goes with --kernel ${takers('configFragment')}, not ${scheme}:`, 'drop --config-fragment, or build the kernel: build:linux-source-6.1');
  }
  if (!(source.arches ?? [DEFAULT_ARCH]).includes(arch)) {
    throw inputError('E_USAGE', `${scheme}: kernels are ${DEFAULT_ARCH} only, not ${arch}`,
      `for ${arch}, use --kernel ${KERNEL_SOURCES.filter((s) => s.arches?.includes(arch)).map((s) => `${s.scheme}:`).join(' or ')}`);
  }
  return { spec, source };
}

type KernelSpecOf = { spec: ReturnType<typeof parseKernelSpec>; source: NonNullable<ReturnType<typeof sourceOf>> };

export async function resolveKernel(text: string, opts: ResolveOptions = {}): Promise<ResolvedKernel> {
  const arch = opts.arch ?? DEFAULT_ARCH;
  const { spec, source } = checkKernelInput(text, arch, opts);
  const k = await source.resolve(spec, opts);
  await checkFiles(k, arch);
  checkConfig(await readConfig(k.config), k.config, arch);
  return { ...k, arch, deviceOptions: await probeDeviceOptions(k.modulesDir, k.release) };
}
