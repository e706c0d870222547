// mmap() of /dev/mem (drivers/char/mem.c mmap_mem() and x86 PAT), in kernel order:
// R-MMAP-PHYSBITS, R-MMAP-DENY, R-MMAP-PAT-NOSTRICT, R-MMAP-PAT. An arm64
// kernel has its own PA-bits test and no PAT (arm64/mmap.ts).
//
// PAT memtype reservations are not in /proc/iomem: memtypes.ts says what the
// model knows of them (the guest's list, or the lab's own holds) and when
// an answer depends on what it cannot see.

import { PAGE_SIZE, pfnOf } from './facts.js';
import type { ModelContext } from './context.js';
import { firstDeniedPage } from './dia.js';
import { fail, mergeVia, type Expected } from './expected.js';
import { patConflict, patEnabled } from './memtypes.js';
import { predictMmapArm64 } from './arm64/mmap.js';
import { hex } from '../util/hex.js';

export interface MmapOptions {
  /** MAP_PRIVATE; allowed on MMU kernels (private_mapping_ok() is 1). */
  private: boolean;
  /** O_SYNC on the fd: phys_mem_access_prot_allowed() asks for UC- instead of WB. */
  oSync: boolean;
}

export const DEFAULT_MMAP: MmapOptions = { private: false, oSync: false };


export function predictMmap(ctx: ModelContext, addr: number, len: number, opts: MmapOptions = DEFAULT_MMAP): Expected {
  // sys_mmap() rejects an unaligned offset, do_mmap() a zero length.
  if (addr % PAGE_SIZE !== 0) return fail('mmap', 'EINVAL', 'R-MMAP-ARGS', `offset ${hex(addr)} is not page aligned (sys_mmap())`);
  if (len <= 0) return fail('mmap', 'EINVAL', 'R-MMAP-ARGS', 'length 0 (do_mmap())');
  const size = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (ctx.facts.arch === 'arm64') return predictMmapArm64(ctx, addr, size, opts);
  const last = addr + size - 1;
  const physBits = ctx.facts.physBits;
  // valid_mmap_phys_addr_range() → phys_addr_valid(addr + count - 1). No high_memory test for mmap.
  if (last >= 2 ** physBits) {
    return fail('mmap', 'EINVAL', 'R-MMAP-PHYSBITS', `last byte ${hex(last)} needs more than ${physBits} physical address bits`, ['R-MMAP-PHYSBITS']);
  }
  const strict = ctx.facts.config.STRICT_DEVMEM;
  // 6.16+: PAT calls the shared range_is_allowed(), which allows everything
  // without STRICT_DEVMEM, so R-MMAP-PAT-NOSTRICT is gone.
  const patCopy = patEnabled(ctx) && !ctx.features.patRangeFollowsStrictDevmem.enabled;
  if (strict || patCopy) {
    // mmap_mem()'s range_is_allowed() under STRICT_DEVMEM, else the PAT copy
    // in memtype.c; dia = 2 counts as allowed (low-MiB RAM maps with real contents).
    const denied = firstDeniedPage(ctx, pfnOf(addr), pfnOf(last));
    if (denied) {
      const via = mergeVia(denied.dia.via, [strict ? 'R-MMAP-DENY' : 'R-MMAP-PAT-NOSTRICT']);
      return strict
        ? fail('mmap', 'EPERM', 'R-MMAP-DENY', `range_is_allowed(): ${denied.dia.why}`, via)
        : fail('mmap', 'EINVAL', 'R-MMAP-PAT-NOSTRICT', `STRICT_DEVMEM=n but PAT on: phys_mem_access_prot_allowed() refuses, ${denied.dia.why}`, via);
    }
  }
  const pat = patConflict(ctx, addr, addr + size, opts.oSync);
  if (pat.kind === 'conflict') return fail('mmap', 'EAGAIN', 'R-MMAP-PAT', `remap_pfn_range() failed: ${pat.why}`, ['R-MMAP-PAT']);
  const ok: Expected = {
    outcome: 'ok',
    rule: 'R-MMAP-OK',
    via: [],
    why: `every page allowed${strict ? '' : ' (STRICT_DEVMEM=n)'}; ${opts.private ? 'MAP_PRIVATE' : 'MAP_SHARED'} ${opts.oSync ? 'UC-' : 'WB'} mapping, remap_pfn_range() fills all PTEs`,
  };
  return pat.kind === 'unknown' ? { ...ok, rule: 'R-MMAP-PAT', via: ['R-MMAP-PAT'], unknown: pat.missing } : ok;
}
