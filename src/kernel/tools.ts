// What building a kernel needs on the host, checked before a build starts
// so a missing tool is one clear message instead of a failure minutes in.
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Debian packages for `build:` kernels (bin/setup installs them). */
export const BUILD_PACKAGES = ['make', 'gcc', 'libc6-dev', 'bc', 'bison', 'flex', 'libelf-dev', 'libssl-dev', 'perl', 'xz-utils', 'kmod', 'rsync'];

interface Need {
  what: string;
  /** A program on PATH, or an absolute path that must exist. */
  file: string;
  pkg: string;
}

const NEEDS: Need[] = [
  { what: 'make', file: 'make', pkg: 'make' },
  { what: 'gcc', file: 'gcc', pkg: 'gcc' },
  { what: 'bc', file: 'bc', pkg: 'bc' },
  { what: 'bison', file: 'bison', pkg: 'bison' },
  { what: 'flex', file: 'flex', pkg: 'flex' },
  { what: 'perl', file: 'perl', pkg: 'perl' },
  { what: 'xz', file: 'xz', pkg: 'xz-utils' },
  // objtool (CONFIG_UNWINDER_ORC, CONFIG_STACK_VALIDATION) links libelf.
  { what: 'libelf headers', file: '/usr/include/gelf.h', pkg: 'libelf-dev' },
  // scripts/sign-file and certs/extract-cert include OpenSSL.
  { what: 'OpenSSL headers', file: '/usr/include/openssl/ssl.h', pkg: 'libssl-dev' },
  { what: 'depmod', file: 'depmod', pkg: 'kmod' },
];

async function onPath(file: string): Promise<boolean> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (d && (await access(join(d, file), constants.X_OK).then(() => true, () => false))) return true;
  }
  return false;
}

export async function buildToolsMissing(needRsync: boolean): Promise<{ what: string; pkg: string }[]> {
  const needs = needRsync ? [...NEEDS, { what: 'rsync', file: 'rsync', pkg: 'rsync' }] : NEEDS;
  const missing: { what: string; pkg: string }[] = [];
  for (const n of needs) {
    const ok = n.file.startsWith('/') ? await access(n.file).then(() => true, () => false) : await onPath(n.file);
    if (!ok) missing.push({ what: n.what, pkg: n.pkg });
  }
  return missing;
}
