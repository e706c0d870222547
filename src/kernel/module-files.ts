// A kernel's module files: modules.dep and modules.builtin, a module's
// bytes (unpacked when compressed), and whether it carries a signature.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';

export interface ModuleDep {
  /** Path relative to /lib/modules/<release>, as modules.dep writes it. */
  path: string;
  deps: string[];
}

export const moduleName = (path: string): string =>
  path.replace(/^.*\//, '').replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');

export function parseModulesDep(text: string): Map<string, ModuleDep> {
  const out = new Map<string, ModuleDep>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const path = line.slice(0, i).trim();
    const deps = line.slice(i + 1).trim().split(/\s+/).filter(Boolean);
    out.set(moduleName(path), { path, deps });
  }
  return out;
}

export function parseBuiltin(text: string): Set<string> {
  return new Set(text.split('\n').filter(Boolean).map(moduleName));
}

/**
 * A module file's bytes, unpacked when compressed. Byte-exact: a signed
 * module ends in "~Module signature appended~\n", and module_sig_check()
 * (kernel/module/signing.c) looks for that marker, newline included; without
 * it the module counts as unsigned and lockdown refuses it.
 */
export async function readModuleFile(path: string): Promise<Buffer> {
  const tool = path.endsWith('.zst') ? 'zstd' : path.endsWith('.gz') ? 'gzip' : path.endsWith('.xz') ? 'xz' : undefined;
  if (!tool) return readFile(path);
  const r = await execa(tool, ['-dc', path], { encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(r.stdout);
}

/** What module_sig_check() looks for at a module's end (kernel/module/signing.c, MODULE_SIG_STRING). */
const SIG_MARKER = Buffer.from('~Module signature appended~\n');

/**
 * Whether a module file of the kernel carries an appended signature;
 * undefined when modules.dep does not list it (built in, or no module).
 */
export async function moduleSigned(modulesDir: string, name: string): Promise<boolean | undefined> {
  const dep = parseModulesDep(await readFile(`${modulesDir}/modules.dep`, 'utf8').catch(() => '')).get(name);
  if (!dep) return undefined;
  const bytes = await readModuleFile(`${modulesDir}/${dep.path}`).catch(() => undefined);
  return bytes ? bytes.subarray(-SIG_MARKER.length).equals(SIG_MARKER) : undefined;
}
