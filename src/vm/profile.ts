// Machine profiles from qemu-config/*.json, validated at the edge with zod:
// numbers in range, and no free strings that could carry QEMU options.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ARCH_INFO, ARCHES, DEFAULT_ARCH, type Arch } from '../util/arch.js';
import { inputError } from '../util/errors.js';
import { pkgPath } from '../util/paths.js';

export interface VirtioMemProfile {
  id: string;
  sizeMiB: number;
  blockSizeMiB: number;
  requestedSizeMiB: number;
  /** Older drivers (5.10) refuse the device unless this is 'off'. */
  unpluggedInaccessible?: 'on' | 'off';
}

export interface MachineProfile {
  /** The guest's architecture (absent: x86_64): QEMU's binary, the kernel's flavour, the userland, the model. */
  arch?: Arch;
  machine: string;
  cpu: string;
  smp: number;
  bootMemMiB: number;
  virtioMem: VirtioMemProfile;
  cmdline: string[];
  /**
   * MiB of a pci-testdev's 64-bit prefetchable memory BAR. No 32-bit PCI
   * window holds 2 GiB or more, so SeaBIOS (pciinit.c,
   * pci_region_migrate_64bit_entries()) then moves every 64-bit BAR, the
   * virtio devices' included, above 4 GiB, where the MTRRs leave memory
   * write-back: a driver's claim there revokes /dev/mem mappings of
   * write-back MMIO.
   */
  highBarMiB?: number;
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** One QEMU option value: no comma (QEMU would read the rest as more properties), no space, no '='. */
const qemuWord = (example: string) => z.string().regex(/^[A-Za-z0-9._-]+$/, `letters, digits, '.', '_' or '-' only (e.g. "${example}"): a comma would add QEMU properties`);

const profileSchema = z
  .object({
    $comment: z.string().optional(),
    arch: z.enum(ARCHES).optional(),
    machine: qemuWord('q35'),
    cpu: qemuWord('qemu64'),
    smp: int(1, 64),
    bootMemMiB: int(64, 1 << 20),
    virtioMem: z
      .object({
        id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'an identifier such as "vm0"'),
        sizeMiB: int(1, 1 << 20),
        blockSizeMiB: int(1, 1 << 10).refine((n) => (n & (n - 1)) === 0, 'a power of two'),
        requestedSizeMiB: int(0, 1 << 20),
        unpluggedInaccessible: z.enum(['on', 'off']).optional(),
      })
      .strict()
      .refine((v) => v.sizeMiB % v.blockSizeMiB === 0, { message: 'sizeMiB must be a multiple of the block size', path: ['sizeMiB'] })
      .refine((v) => v.requestedSizeMiB % v.blockSizeMiB === 0 && v.requestedSizeMiB <= v.sizeMiB, { message: 'requestedSizeMiB must be a multiple of the block size, at most sizeMiB', path: ['requestedSizeMiB'] }),
    // Kernel words, one per entry: a space or a quote would split or join them behind the lab's back.
    cmdline: z.array(z.string().regex(/^[^\s"]+$/, 'one kernel parameter per entry, no spaces or quotes')),
    highBarMiB: int(1, 1 << 20).refine((n) => (n & (n - 1)) === 0, 'a power of two (a BAR\'s size)').optional(),
  })
  .strict();

export function validateProfile(raw: unknown, source: string): MachineProfile {
  const r = profileSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw inputError('E_PROFILE', `${source}: ${issues}`, 'see qemu-config/default.json for a valid profile');
  }
  const { $comment: _c, ...p } = r.data;
  return p;
}

export async function loadProfile(name = 'default'): Promise<MachineProfile> {
  const path = name.includes('/') ? name : pkgPath('qemu-config', `${name}.json`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw inputError('E_PROFILE', `no machine profile ${path}`, 'use a name from qemu-config/ (e.g. default) or a path to a JSON file');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw inputError('E_PROFILE', `${path} is not valid JSON: ${(e as Error).message}`, 'fix the JSON syntax');
  }
  return validateProfile(raw, path);
}

/**
 * The profile a run uses: --profile if given, else the scenario's own
 * (e.g. high-bars), else the architecture's default (qemu-config/default.json,
 * qemu-config/arm64.json). With --arch, the profile must be of that
 * architecture: a scenario written for another machine is refused, not run
 * on the wrong one.
 */
export async function pickProfile(opts: { arch?: Arch; profile?: string; scenarioProfile?: string; scenario?: string }): Promise<{ name: string; profile: MachineProfile }> {
  const name = opts.profile ?? opts.scenarioProfile ?? ARCH_INFO[opts.arch ?? DEFAULT_ARCH].defaultProfile;
  const profile = await loadProfile(name);
  const has = profile.arch ?? DEFAULT_ARCH;
  if (opts.arch && has !== opts.arch) {
    const whose = opts.profile ? `--profile ${name}` : `scenario ${opts.scenario ?? ''}'s profile ${name}`.replace('  ', ' ');
    throw inputError('E_PROFILE', `${whose} is an ${has} machine, not ${opts.arch}`,
      opts.profile ? `drop --profile (the ${opts.arch} default is ${ARCH_INFO[opts.arch].defaultProfile}) or give an ${opts.arch} profile` : `this scenario needs its ${has} machine: run it with --arch ${has}`);
  }
  return { name, profile };
}
