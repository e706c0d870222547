// Kernel config options given by the user for a build: inline after a '+'
// in the spec (`build:linux-source-6.1+IO_STRICT_DEVMEM=n,PROC_KCORE=n`) or
// as a fragment file (`--config-fragment FILE`, .config syntax). Both are
// validated here and normalized to one form, so the cache key of a build
// does not depend on how the options were spelled.
import { inputError } from '../util/errors.js';
import type { ConfigOption } from './types.js';

const NAME = /^(?:CONFIG_)?([A-Z0-9_]+)$/;
// Values a Kconfig symbol can take that survive a command line: tristate,
// decimal, hex, or a string without commas or quotes inside.
const VALUE = /^(?:[ynm]|-?[0-9]+|0x[0-9a-fA-F]+|"[^",]*")$/;

export const OPTION_SYNTAX =
  'NAME=value[,NAME=value…] with NAME a Kconfig symbol in capitals (CONFIG_ prefix optional) and value y, n, m, a number, 0x-hex or a "string" — e.g. +IO_STRICT_DEVMEM=n,PROC_KCORE=n; put anything longer in a file for --config-fragment';

function parseOne(item: string, where: string): ConfigOption {
  const eq = item.indexOf('=');
  if (eq <= 0) throw inputError('E_KERNEL_OPTION', `${where}: ${JSON.stringify(item)} is not NAME=value`, `write ${OPTION_SYNTAX}`);
  const rawName = item.slice(0, eq).trim();
  const value = item.slice(eq + 1).trim();
  const m = NAME.exec(rawName);
  if (!m) {
    const fixed = rawName.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    throw inputError('E_KERNEL_OPTION', `${where}: ${JSON.stringify(rawName)} is not a Kconfig symbol name`, `write ${fixed}=${value || 'y'} (${OPTION_SYNTAX})`);
  }
  if (!VALUE.test(value)) {
    throw inputError('E_KERNEL_OPTION', `${where}: ${m[1]}=${value} has a value Kconfig cannot take from here`, `write ${OPTION_SYNTAX}`);
  }
  return { name: m[1], value };
}

/** `IO_STRICT_DEVMEM=n,FOO=y` → options; later assignments of a name win. */
export function parseOptionList(text: string, where = 'kernel options'): ConfigOption[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw inputError('E_KERNEL_OPTION', `${where}: empty item in ${JSON.stringify(text)}`, `write ${OPTION_SYNTAX}`);
  return dedupe(items.map((i) => parseOne(i, where)));
}

/** A fragment file in .config syntax: `CONFIG_X=v`, `# CONFIG_X is not set`, comments, blank lines. */
export function parseFragmentText(text: string, where: string): ConfigOption[] {
  const out: ConfigOption[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    const unset = /^#\s*CONFIG_([A-Z0-9_]+) is not set$/.exec(line);
    if (unset) out.push({ name: unset[1], value: 'n' });
    else if (line === '' || line.startsWith('#')) continue;
    else if (!line.startsWith('CONFIG_')) {
      throw inputError('E_KERNEL_OPTION', `${where}:${i + 1}: ${JSON.stringify(line)} is not a config line`,
        'write CONFIG_NAME=value or "# CONFIG_NAME is not set", one per line, as in a kernel .config');
    } else {
      const eq = line.indexOf('=');
      const value = eq < 0 ? '' : line.slice(eq + 1);
      // A fragment file may hold any string value, commas included.
      if (eq > 0 && /^"[^"]*"$/.test(value) && NAME.test(line.slice(0, eq))) out.push({ name: line.slice(7, eq), value });
      else out.push(parseOne(line, `${where}:${i + 1}`));
    }
  }
  return dedupe(out);
}

function dedupe(opts: ConfigOption[]): ConfigOption[] {
  const m = new Map<string, string>();
  for (const o of opts) {
    m.delete(o.name);
    m.set(o.name, o.value);
  }
  return [...m].map(([name, value]) => ({ name, value }));
}

/** Merges option lists; later lists win. */
export const mergeOptions = (...lists: ConfigOption[][]): ConfigOption[] => dedupe(lists.flat());

/** The .config line of an option. */
export const configLine = (o: ConfigOption): string => (o.value === 'n' ? `# CONFIG_${o.name} is not set` : `CONFIG_${o.name}=${o.value}`);

export const formatFragment = (opts: ConfigOption[]): string => opts.map((o) => configLine(o) + '\n').join('');

/** Options whose value in the final .config differs from the one asked for. */
export function unmetOptions(wanted: ConfigOption[], final: Map<string, string>): { option: ConfigOption; got: string }[] {
  return wanted
    .map((option) => ({ option, got: final.get(option.name) ?? 'n' }))
    .filter(({ option, got }) => got !== option.value.replace(/^"(.*)"$/, '$1'));
}
