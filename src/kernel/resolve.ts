// One entry point from a --kernel value to a bootable kernel in the cache.
import { fetchDebianKernel } from './debian.js';
import { parseKernelSpec } from './spec.js';
import type { ResolvedKernel } from './types.js';

export async function resolveKernel(
  text: string,
  opts: { signal?: AbortSignal; onProgress?: (msg: string) => void } = {},
): Promise<ResolvedKernel> {
  const spec = parseKernelSpec(text);
  return fetchDebianKernel(spec, opts);
}
