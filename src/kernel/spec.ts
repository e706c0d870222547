// Parses the user's --kernel value. Validation at the edge: every error names
// the forms that are accepted.
import { resolve } from 'node:path';
import { inputError } from '../util/errors.js';
import { parseOptionList } from './fragment.js';
import type { ConfigOption, KernelSpec } from './types.js';

export const DEFAULT_KERNEL = 'debian:bookworm';

export const KERNEL_FORMS = [
  'debian:<suite> (the suite\'s default kernel, e.g. debian:bookworm, debian:bullseye, debian:trixie, debian:bookworm-backports)',
  'debian:<suite>@<series> (newest of a series, e.g. debian:bookworm@6.12)',
  'debian:newest[@<series>] (the newest released Debian kernel: unstable, testing or stable-backports, whichever is ahead)',
  'debian:<package> (from the host\'s apt sources, e.g. debian:linux-image-6.1.0-47-amd64-unsigned)',
  'debian:<suite>/<package> (a package of another suite)',
  'path:<bzImage> (with --modules DIR and --config FILE unless they sit beside it)',
  'tree:<dir> (a built kernel tree: arch/x86/boot/bzImage, .config, modules.order)',
  'build:[<suite>/]linux-source-<x.y>[+NAME=value,…] or build:<source dir>[+NAME=value,…] (a minimal guest kernel built from source)',
];
const FORMS = KERNEL_FORMS.join('; ');

const bad = (what: string) => inputError('E_KERNEL_SPEC', what, `write one of: ${FORMS}`);

const SUITE = /^[a-z]+(?:-[a-z]+)*$/;
const PACKAGE = /^linux-(image|binary)-[0-9a-z.+~-]+$/;

function parseDebian(text: string, rest: string): KernelSpec {
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const suite = rest.slice(0, slash);
    const pkg = rest.slice(slash + 1);
    if (!SUITE.test(suite) || !PACKAGE.test(pkg)) throw bad(`not debian:<suite>/<package>: ${JSON.stringify(rest)}`);
    return { kind: 'debian-package', pkg, suite, text };
  }
  if (rest.startsWith('linux-image-') || rest.startsWith('linux-binary-')) {
    if (!PACKAGE.test(rest)) throw bad(`not a Debian package name: ${JSON.stringify(rest)}`);
    return { kind: 'debian-package', pkg: rest, text };
  }
  const s = /^([a-z-]+?)(?:@([0-9]+\.[0-9]+))?$/.exec(rest);
  if (!s || !SUITE.test(s[1])) throw bad(`not a Debian suite: ${JSON.stringify(rest)}`);
  return { kind: 'debian-suite', suite: s[1], series: s[2], text };
}

function parseBuild(text: string, rest: string): KernelSpec {
  // Options follow the last '+' whose tail reads as NAME=…; a '+' inside a
  // path (linux-6.1+fix/) is left alone.
  let source = rest;
  let options: ConfigOption[] = [];
  const plus = rest.lastIndexOf('+');
  if (plus >= 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest.slice(plus + 1))) {
    source = rest.slice(0, plus);
    options = parseOptionList(rest.slice(plus + 1), `options of ${text}`);
  }
  if (source === '') throw bad(`no source in ${JSON.stringify(text)}`);
  const deb = /^linux-source-([0-9]+\.[0-9]+)$/.exec(source);
  if (deb) return { kind: 'build', source: { kind: 'debian', pkg: source, series: deb[1] }, options, text };
  // A source package of another Debian suite, as debian:<suite>/<package> (a
  // relative directory of that shape is written ./<dir>).
  const other = /^([a-z][a-z0-9-]*)\/(linux-source-([0-9]+\.[0-9]+))$/.exec(source);
  if (other) return { kind: 'build', source: { kind: 'debian', pkg: other[2], series: other[3], suite: other[1] }, options, text };
  if (!source.includes('/') && !source.startsWith('.')) {
    throw inputError('E_KERNEL_SPEC', `build:${source}: not a Debian source package nor a path`,
      'write build:linux-source-<x.y> (e.g. build:linux-source-6.1) or a path to a kernel source tree (e.g. build:./linux or build:/usr/src/linux)');
  }
  return { kind: 'build', source: { kind: 'dir', dir: resolve(source) }, options, text };
}

export function parseKernelSpec(text: string): KernelSpec {
  const t = text.trim();
  const colon = t.indexOf(':');
  const scheme = colon > 0 ? t.slice(0, colon) : '';
  const rest = t.slice(colon + 1);
  if (colon > 0 && rest === '') throw bad(`nothing after ${scheme}: in ${JSON.stringify(text)}`);
  switch (scheme) {
    case 'debian':
      return parseDebian(text, rest);
    case 'path':
      return { kind: 'path', image: resolve(rest), text };
    case 'tree':
      return { kind: 'tree', dir: resolve(rest), text };
    case 'build':
      return parseBuild(text, rest);
    default:
      throw bad(`unknown kernel spec ${JSON.stringify(text)}`);
  }
}
