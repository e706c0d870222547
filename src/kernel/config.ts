// A kernel's .config as a map of CONFIG_ names (without the prefix) to
// values; "is not set" lines map to 'n'.
import { readFile } from 'node:fs/promises';

export function parseConfigText(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) out.set(set[1], set[2].replace(/^"(.*)"$/, '$1'));
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) out.set(unset[1], 'n');
  }
  return out;
}

/** The options the /dev/mem model depends on, as the report records them. */
export const MODEL_CONFIG_KEYS = ['DEVMEM', 'STRICT_DEVMEM', 'IO_STRICT_DEVMEM', 'X86_PAT', 'VIRTIO_MEM', 'MEMORY_HOTPLUG', 'MEMORY_HOTREMOVE', 'SECURITY_LOCKDOWN_LSM'];

export async function readConfig(path: string): Promise<Map<string, string>> {
  return parseConfigText(await readFile(path, 'utf8'));
}

export function pick(config: Map<string, string>, keys = MODEL_CONFIG_KEYS): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, config.get(k) ?? 'n']));
}
