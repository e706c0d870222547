// Before a guest boots: the machine profile, the kernel (resolved, checked,
// with the device options its driver needs) and the guest image, each
// recorded in the report's environment as soon as it is known.
import { readFile } from 'node:fs/promises';
import { buildGuestImage, type GuestImage } from '../image/build.js';
import { parseConfigText, pick } from '../kernel/config.js';
import { resolveKernel } from '../kernel/resolve.js';
import type { ResolvedKernel } from '../kernel/types.js';
import type { Report } from '../format/types.js';
import { checkScenarioFits } from './scenario.js';
import { inputError } from '../util/errors.js';
import { cmdlineConflicts } from '../vm/args.js';
import { loadProfile, type MachineProfile } from '../vm/profile.js';
import type { RunOptions } from './options.js';

export interface Prepared {
  profile: MachineProfile;
  kernel: ResolvedKernel;
  /** The kernel's config file: the report's config summary and the model's facts both come from it. */
  configText: string;
  image: GuestImage;
}

/** User command-line words may add to the lab's, never replace them (vm/args.ts cmdlineConflicts()). */
export function checkCmdline(profile: MachineProfile, words: string[]): void {
  const bad = cmdlineConflicts(profile.cmdline, words);
  if (bad.length) {
    throw inputError('E_CMDLINE_OWNED', `${bad.join(' ')} would override the lab's own kernel parameters (${profile.cmdline.join(' ')})`,
      'drop these words: the lab needs its init, console, panic=-1 and memory onlining; to change them, write a profile (--profile FILE) whose cmdline says so, and the report records it');
  }
}

export async function prepareRun(opts: RunOptions, report: Report): Promise<Prepared> {
  const profile = await loadProfile(opts.profile ?? opts.scenario.profile);
  checkScenarioFits(opts.scenario, profile);
  checkCmdline(profile, opts.extraCmdline ?? []);
  const progress = (message: string) => opts.events.emit({ type: 'progress', message });
  const kernel = await resolveKernel(opts.kernel, { ...opts.kernelOptions, arch: profile.arch, signal: opts.signal, onProgress: progress });
  const configText = await readFile(kernel.config, 'utf8');
  // The kernel's virtio-mem driver decides unplugged-inaccessible (5.10's
  // refuses the device with it on); a profile that sets it explicitly wins.
  const { deviceOptions } = kernel;
  // aarch64 QEMU has no such property (its device always offers the feature).
  if (deviceOptions && profile.virtioMem.unpluggedInaccessible === undefined && (profile.arch ?? 'x86_64') === 'x86_64') {
    profile.virtioMem.unpluggedInaccessible = deviceOptions.unpluggedInaccessible;
  }
  report.environment.kernel = { spec: kernel.spec, source: kernel.source, release: kernel.release, imageSha256: kernel.imageSha256, config: pick(parseConfigText(configText)), deviceOptions };
  report.environment.profile = profile;
  const image = await buildGuestImage(kernel, { onProgress: progress });
  report.environment.image = { key: image.key, size: image.size };
  return { profile, kernel, configText, image };
}
