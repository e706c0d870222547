// path: a bzImage on disk; its modules and config come from --modules and
// --config or sit beside it (kernel/local.ts).
import { resolve } from 'node:path';
import { resolvePathKernel } from '../local.js';
import { defineSource } from './source.js';

export const path = defineSource<{ kind: 'path'; image: string; text: string }>({
  scheme: 'path',
  forms: ['path:<bzImage> (with --modules DIR and --config FILE unless they sit beside it)'],
  parse: (text, rest) => ({ kind: 'path', image: resolve(rest), text }),
  takes: ['modules', 'config'],
  arches: ['x86_64', 'arm64'],
  resolve: (spec, opts) => resolvePathKernel(spec.text, spec.image, opts),
});
