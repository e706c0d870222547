// tree: a built kernel tree: arch/x86/boot/bzImage, .config, modules.order
// (kernel/local.ts).
import { resolve } from 'node:path';
import { resolveTreeKernel } from '../local.js';
import { defineSource } from './source.js';

export const tree = defineSource<{ kind: 'tree'; dir: string; text: string }>({
  scheme: 'tree',
  forms: ['tree:<dir> (a built kernel tree: arch/x86/boot/bzImage, .config, modules.order)'],
  parse: (text, rest) => ({ kind: 'tree', dir: resolve(rest), text }),
  resolve: (spec, opts) => resolveTreeKernel(spec.text, spec.dir, opts),
});
