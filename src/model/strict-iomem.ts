// strict_iomem_checks (kernel/resource.c): how strict iomem_is_exclusive()
// is, from STRICT_DEVMEM and the iomem= options.
import type { KernelFacts } from './facts.js';

export interface StrictIomem {
  strict: boolean;
  why: string;
}

/**
 * strict_iomem_checks starts at 1 with STRICT_DEVMEM, else 0; strict_iomem()
 * (the iomem= __setup handler) runs once per occurrence in command-line order,
 * and within one value tests "relaxed" before "strict", so "iomem=relaxed,strict"
 * ends strict. Both are strstr() tests: any value containing the word counts.
 */
export function strictIomemChecks(facts: Pick<KernelFacts, 'config' | 'cmdline'>): StrictIomem {
  let strict = facts.config.STRICT_DEVMEM;
  const steps: string[] = [`STRICT_DEVMEM=${strict ? 'y' : 'n'} → ${strict ? 1 : 0}`];
  for (const v of facts.cmdline.iomem) {
    if (v.includes('relaxed')) strict = false;
    if (v.includes('strict')) strict = true;
    steps.push(`iomem=${v} → ${strict ? 1 : 0}`);
  }
  return { strict, why: `strict_iomem_checks: ${steps.join(', ')}` };
}
