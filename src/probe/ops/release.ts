// The end of a hold (guest-image/ops/release.c); the release action
// records it, and S6 checks that its PAT reservation went with it.
import { defineOp } from './def.js';

const release = { ok: 'done', held: true, align: 'page', accessesMemory: false, predict: null } as const;

export const releaseOps = [
  // munmap a held mapping (its PAT reservation must go with it)
  defineOp({ names: ['release-shared', 'release-private'], syscalls: ['hold', 'munmap'], ...release }),
  // mprotect the held mapping's last page PROT_NONE (a VMA split), then munmap it all
  defineOp({ names: ['release-split-shared', 'release-split-private'], syscalls: ['hold', 'mprotect', 'munmap'], ...release }),
] as const;
