// The end of a hold (guest-image/ops/release.c), by each of the paths of
// lab/held-spec.ts RELEASE_HOWS; the release action records it, and S6
// checks that its PAT reservation went with it.
import { defineOp } from './def.js';

const release = { ok: 'done', held: true, align: 'page', accessesMemory: false, predict: null } as const;

export const releaseOps = [
  // munmap a held mapping (its PAT reservation must go with it)
  defineOp({ names: ['release-shared', 'release-private'], syscalls: ['hold', 'munmap'], ...release }),
  // mprotect the held mapping's last page PROT_NONE (a VMA split), then munmap it all
  defineOp({ names: ['release-split-shared', 'release-split-private'], syscalls: ['hold', 'mprotect', 'munmap'], ...release }),
  // mremap all of it, its first page or its last page to a free address, then munmap everything
  defineOp({
    names: ['release-move-shared', 'release-move-private', 'release-move-head-shared', 'release-move-head-private', 'release-move-tail-shared', 'release-move-tail-private'],
    syscalls: ['hold', 'mmap', 'mremap', 'munmap'],
    ...release,
  }),
  // mremap it one page larger (a VM_PFNMAP VMA cannot grow: the errno is the answer), then munmap it
  defineOp({ names: ['release-grow-shared', 'release-grow-private'], syscalls: ['hold', 'mremap', 'munmap'], ...release }),
  // fork: the child keeps the mapping while the parent munmaps its own, then exits
  defineOp({ names: ['release-fork-shared', 'release-fork-private'], syscalls: ['hold', 'pipe', 'fork', 'munmap'], ...release }),
] as const;
