// build: a minimal guest kernel built from a Debian linux-source package or
// a source tree, with extra config options (kernel/build.ts).
import { resolve } from 'node:path';
import { inputError } from '../../util/errors.js';
import { resolveBuildKernel } from '../build.js';
import { parseOptionList } from '../fragment.js';
import type { BuildSpec, ConfigOption } from '../types.js';
import { defineSource } from './source.js';

export const build = defineSource<BuildSpec>({
  scheme: 'build',
  forms: ['build:[<suite>/]linux-source-<x.y>[+NAME=value,…] or build:<source dir>[+NAME=value,…] (a minimal guest kernel built from source)'],
  parse: (text, rest, bad) => {
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
  },
  takes: ['configFragment'],
  optionHint: 'for extra build options use --config-fragment FILE or build:<source>+NAME=value,…',
  resolve: (spec, opts) => resolveBuildKernel(spec, opts),
});
