// Machine profiles from qemu-config/*.json, validated at the edge.
import { readFile } from 'node:fs/promises';
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
  machine: string;
  cpu: string;
  smp: number;
  bootMemMiB: number;
  virtioMem: VirtioMemProfile;
  cmdline: string[];
}

const isPosInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

export function validateProfile(raw: unknown, source: string): MachineProfile {
  const bad = (what: string) =>
    inputError('E_PROFILE', `${source}: ${what}`, 'see qemu-config/default.json for a valid profile');
  const p = raw as Partial<MachineProfile>;
  if (!p || typeof p !== 'object') throw bad('not a JSON object');
  if (typeof p.machine !== 'string') throw bad('"machine" must be a string such as "q35"');
  if (typeof p.cpu !== 'string') throw bad('"cpu" must be a string such as "qemu64"');
  if (!isPosInt(p.smp)) throw bad('"smp" must be a positive integer');
  if (!isPosInt(p.bootMemMiB)) throw bad('"bootMemMiB" must be a positive integer');
  const v = p.virtioMem as Partial<VirtioMemProfile> | undefined;
  if (!v || typeof v.id !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(v.id)) throw bad('"virtioMem.id" must be an identifier');
  if (!isPosInt(v.blockSizeMiB) || (v.blockSizeMiB! & (v.blockSizeMiB! - 1)) !== 0) throw bad('"virtioMem.blockSizeMiB" must be a power of two');
  if (!isPosInt(v.sizeMiB) || v.sizeMiB! % v.blockSizeMiB! !== 0) throw bad('"virtioMem.sizeMiB" must be a multiple of the block size');
  if (typeof v.requestedSizeMiB !== 'number' || v.requestedSizeMiB % v.blockSizeMiB! !== 0 || v.requestedSizeMiB > v.sizeMiB!) {
    throw bad('"virtioMem.requestedSizeMiB" must be a multiple of the block size, at most sizeMiB');
  }
  if (!Array.isArray(p.cmdline) || !p.cmdline.every((s) => typeof s === 'string')) throw bad('"cmdline" must be a list of strings');
  return p as MachineProfile;
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
