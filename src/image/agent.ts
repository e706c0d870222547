// The probe agent's C files: guest-image/agent.c and the parts it is made
// of, and one file per op family in guest-image/ops/ (listed in
// guest-image/ops/list.h). Every .c file in those folders is compiled in;
// the image's key counts the headers too.
import { readdirSync } from 'node:fs';
import { pkgPath } from '../util/paths.js';

const AGENT_DIRS = ['guest-image', 'guest-image/ops'];

/** How the image compiles the agent (the busybox initramfs has no libc: static). */
export const AGENT_CFLAGS: readonly string[] = ['-static', '-O2', '-Wall'];

/** The agent's sources and headers, as paths in the package, sorted. */
export function agentFiles(): string[] {
  return AGENT_DIRS.flatMap((dir) =>
    readdirSync(pkgPath(dir))
      .filter((n) => /\.[ch]$/.test(n))
      .sort()
      .map((n) => `${dir}/${n}`),
  );
}

/** The agent's translation units, as absolute paths for cc. */
export const agentSources = (): string[] => agentFiles().filter((f) => f.endsWith('.c')).map((f) => pkgPath(f));
