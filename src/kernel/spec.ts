// Parses the user's --kernel value. Validation at the edge: every error names
// the forms that are accepted. The forms and parsers are the kernel sources'
// (schemes/).
import { inputError } from '../util/errors.js';
import { KERNEL_SOURCES, sourceOf, type KernelSpec } from './schemes/index.js';

export type { KernelSpec };

export const DEFAULT_KERNEL = 'debian:bookworm';

export const KERNEL_FORMS: string[] = KERNEL_SOURCES.flatMap((s) => s.forms);
const FORMS = KERNEL_FORMS.join('; ');

const bad = (what: string) => inputError('E_KERNEL_SPEC', what, `write one of: ${FORMS}`);

export function parseKernelSpec(text: string): KernelSpec {
  const t = text.trim();
  const colon = t.indexOf(':');
  const scheme = colon > 0 ? t.slice(0, colon) : '';
  const rest = t.slice(colon + 1);
  if (colon > 0 && rest === '') throw bad(`nothing after ${scheme}: in ${JSON.stringify(text)}`);
  const source = sourceOf(scheme);
  if (!source) throw bad(`unknown kernel spec ${JSON.stringify(text)}`);
  return source.parse(text, rest, bad) as KernelSpec;
}
