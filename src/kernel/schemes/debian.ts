// debian: kernels from Debian's archive, by suite, series or package, in
// either package layout (kernel/debian.ts).
import { fetchDebianKernel } from '../debian.js';
import type { DebianPackageSpec, DebianSuiteSpec } from '../types.js';
import { defineSource } from './source.js';

const SUITE = /^[a-z]+(?:-[a-z]+)*$/;
const PACKAGE = /^linux-(image|binary)-[0-9a-z.+~-]+$/;

export const debian = defineSource<DebianSuiteSpec | DebianPackageSpec>({
  scheme: 'debian',
  forms: [
    'debian:<suite> (the suite\'s default kernel, e.g. debian:bookworm, debian:bullseye, debian:trixie, debian:bookworm-backports)',
    'debian:<suite>@<series> (newest of a series, e.g. debian:bookworm@6.12)',
    'debian:newest[@<series>] (the newest released Debian kernel: unstable, testing or stable-backports, whichever is ahead)',
    'debian:<package> (from the host\'s apt sources, e.g. debian:linux-image-6.1.0-47-amd64-unsigned)',
    'debian:<suite>/<package> (a package of another suite)',
  ],
  parse: (text, rest, bad) => {
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
  },
  arches: ['x86_64', 'arm64'],
  resolve: (spec, opts) => fetchDebianKernel(spec, opts),
});
