// Parses the user's --kernel value. Validation at the edge: every error names
// the forms that are accepted.
import { inputError } from '../util/errors.js';
import type { KernelSpec } from './types.js';

export const DEFAULT_KERNEL = 'debian:bookworm';

const FORMS = [
  'debian:<suite> (e.g. debian:bookworm)',
  'debian:<suite>@<series> (newest of a series, e.g. debian:bookworm@6.12)',
  'debian:<package> (e.g. debian:linux-image-6.1.0-47-amd64-unsigned)',
].join('; ');

export function parseKernelSpec(text: string): KernelSpec {
  const m = /^debian:(.+)$/.exec(text.trim());
  if (!m) {
    throw inputError('E_KERNEL_SPEC', `unknown kernel spec ${JSON.stringify(text)}`, `write one of: ${FORMS}`);
  }
  const rest = m[1];
  if (rest.startsWith('linux-image-')) {
    if (!/^linux-image-[0-9a-z.+~-]+$/.test(rest)) {
      throw inputError('E_KERNEL_SPEC', `not a Debian package name: ${JSON.stringify(rest)}`, `write one of: ${FORMS}`);
    }
    return { kind: 'debian-package', pkg: rest, text };
  }
  const s = /^([a-z]+)(?:@([0-9]+\.[0-9]+))?$/.exec(rest);
  if (!s) {
    throw inputError('E_KERNEL_SPEC', `not a Debian suite: ${JSON.stringify(rest)}`, `write one of: ${FORMS}`);
  }
  return { kind: 'debian-suite', suite: s[1], series: s[2], text };
}
