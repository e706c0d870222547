// Which virtio-mem device the kernel's driver accepts. QEMU (7.0+, x86)
// offers VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE and refuses FEATURES_OK from a
// driver that does not accept it; drivers before Linux 5.16 ("virtio-mem:
// support VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE") do not know the bit, and the
// device then fails to probe ("device refuses features"). So the device is
// given unplugged-inaccessible=off exactly when the driver does not know it.
//
// The probe: the driver's feature table — the `virtio_mem_features[]` array
// it hands to the virtio core as `feature_table` — read from the symbol
// table of virtio_mem.ko (Debian strips debug info, not symbols). If the
// module cannot be read that way (built in, or stripped), the kernel
// release decides: 5.16 and later know the feature.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseBuiltin, parseModulesDep } from './module-files.js';
import { readElfSymbol } from './elf.js';
import type { DeviceOptions } from './types.js';

/** include/uapi/linux/virtio_mem.h */
export const VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE = 1;
const FEATURE_TABLE = 'virtio_mem_features';
const FIRST_RELEASE_WITH_FEATURE: [number, number] = [5, 16];

/** Feature bits listed in a driver's feature table (an array of unsigned int). */
export function featureTable(ko: Buffer): number[] | undefined {
  const sym = readElfSymbol(ko, FEATURE_TABLE);
  if (!sym || sym.data.length % 4 !== 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < sym.data.length; i += 4) out.push(sym.data.readUInt32LE(i));
  return out;
}

export function optionsFromFeatureTable(features: number[], file: string): DeviceOptions {
  const knows = features.includes(VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
  return {
    unpluggedInaccessible: knows ? 'on' : 'off',
    why: `${file}: ${FEATURE_TABLE}[] = {${features.join(', ')}} ${knows ? 'includes' : 'lacks'} VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE (${VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE})`,
  };
}

export function optionsFromRelease(release: string, because: string): DeviceOptions {
  const m = /^(\d+)\.(\d+)/.exec(release);
  const [maj, min] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  const [fm, fn] = FIRST_RELEASE_WITH_FEATURE;
  const knows = maj > fm || (maj === fm && min >= fn);
  return {
    unpluggedInaccessible: knows ? 'on' : 'off',
    why: `${because}; by release ${release}: the feature arrived in ${fm}.${fn}, so this driver ${knows ? 'knows' : 'does not know'} it`,
  };
}

async function readModule(path: string): Promise<Buffer> {
  if (!/\.(xz|zst|gz)$/.test(path)) return readFile(path);
  const tool = path.endsWith('.zst') ? 'zstd' : path.endsWith('.gz') ? 'gzip' : 'xz';
  return Buffer.from((await execa(tool, ['-dc', path], { encoding: 'buffer' })).stdout);
}

/** Probes the kernel's virtio_mem driver for the device option it needs. */
export async function probeDeviceOptions(modulesDir: string, release: string): Promise<DeviceOptions> {
  const dep = parseModulesDep(await readFile(join(modulesDir, 'modules.dep'), 'utf8').catch(() => ''));
  const mod = dep.get('virtio_mem');
  if (!mod) {
    const builtin = parseBuiltin(await readFile(join(modulesDir, 'modules.builtin'), 'utf8').catch(() => ''));
    return optionsFromRelease(release, builtin.has('virtio_mem') ? 'virtio_mem is built in' : 'no virtio_mem module in modules.dep');
  }
  const path = join(modulesDir, mod.path);
  try {
    const features = featureTable(await readModule(path));
    if (features) return optionsFromFeatureTable(features, mod.path);
    return optionsFromRelease(release, `${mod.path} has no ${FEATURE_TABLE} symbol (stripped?)`);
  } catch (e) {
    return optionsFromRelease(release, `${mod.path} could not be read as ELF (${(e as Error).message})`);
  }
}
