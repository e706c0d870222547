// The module closure a guest needs, from the kernel's modules.dep; modules
// built into the kernel (modules.builtin) need no file.
import { moduleName, type ModuleDep } from '../kernel/module-files.js';

export { moduleName, moduleSigned, parseBuiltin, parseModulesDep, readModuleFile, type ModuleDep } from '../kernel/module-files.js';

export class MissingModuleError extends Error {
  readonly code = 'E_MODULE_MISSING';
  constructor(readonly module: string) {
    super(`the kernel has no module ${module} (neither a .ko in modules.dep nor built in)`);
  }
}

/**
 * Every module file needed to load `wanted`, dependencies first (the order
 * modprobe would load them). Built-in modules are skipped.
 */
export function moduleClosure(wanted: string[], dep: Map<string, ModuleDep>, builtin: Set<string>): ModuleDep[] {
  const out: ModuleDep[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const n = name.replace(/-/g, '_');
    if (seen.has(n)) return;
    seen.add(n);
    const m = dep.get(n);
    if (!m) {
      if (builtin.has(n)) return;
      throw new MissingModuleError(n);
    }
    m.deps.forEach((d) => visit(moduleName(d)));
    out.push(m);
  };
  wanted.forEach(visit);
  return out;
}

/** The path a module has once unpacked in the image (busybox cannot read .xz). */
export const unpackedPath = (path: string): string => path.replace(/\.ko\.(xz|zst|gz)$/, '.ko');

/** modules.dep for the image: only the closure, with unpacked paths. */
export function formatModulesDep(mods: ModuleDep[]): string {
  return mods.map((m) => `${unpackedPath(m.path)}: ${m.deps.map(unpackedPath).join(' ')}`.trimEnd() + '\n').join('');
}
