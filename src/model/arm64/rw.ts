// read() and write() on /dev/mem on arm64 (drivers/char/mem.c
// read_mem()/write_mem()), in kernel order: R-A64-RW-MEMBLOCK for the whole
// call, then R-RW-DENY / R-A64-RW-COPY per page chunk.
//
// With STRICT_DEVMEM every page of memblock.memory is System RAM to
// devmem_is_allowed() (request_standard_resources() names every boot region
// "System RAM", and hot-added blocks are "System RAM (…)" for their whole
// size), and everything else fails the range check: read() and write() of
// /dev/mem never succeed with a byte on such a kernel.

import { PAGE_SIZE, pfnOf } from '../facts.js';
import type { ModelContext } from '../context.js';
import { devmemIsAllowed, pageRuns } from '../dia.js';
import { fail, mergeVia, type Expected } from '../expected.js';
import type { RuleId } from '../rules.js';
import { validPhysAddrRangeArm64 } from './memblock.js';

export function predictReadWriteArm64(ctx: ModelContext, op: 'read' | 'write', addr: number, len: number): Expected {
  const syscall = op === 'read' ? 'pread' : 'pwrite';
  const range = validPhysAddrRangeArm64(ctx.tree, addr, len);
  if (!range.ok) return fail(syscall, 'EFAULT', 'R-A64-RW-MEMBLOCK', range.why, ['R-A64-RW-MEMBLOCK']);
  if (len === 0) {
    return { outcome: op === 'read' ? 'data' : 'ok', bytes: 0, rule: 'R-A64-RW-MEMBLOCK', via: ['R-A64-RW-MEMBLOCK'], why: `count 0 ${range.why}: the range check passes and no chunk is copied` };
  }
  let via: RuleId[] = ['R-A64-RW-MEMBLOCK'];
  let done = 0;
  const end = addr + len;
  for (const run of pageRuns(ctx, pfnOf(addr), pfnOf(end - 1))) {
    // page_is_allowed(): devmem_is_allowed() under STRICT_DEVMEM, else 1.
    if (ctx.facts.config.STRICT_DEVMEM) {
      const a = devmemIsAllowed(ctx, run.from);
      via = mergeVia(via, a.via);
      if (a.value === 0) {
        const lost = done > 0 ? (op === 'read' ? `; the ${done} bytes already copied are dropped` : `; the ${done} bytes already written stay written`) : '';
        return fail(syscall, 'EPERM', 'R-RW-DENY', `${a.why}${lost}`, mergeVia(via, ['R-RW-DENY']));
      }
    }
    done += Math.min(end, (run.to + 1) * PAGE_SIZE) - Math.max(addr, run.from * PAGE_SIZE);
  }
  // xlate_dev_mem_ptr() is __va() (include/asm-generic/io.h; arm64's io.h
  // defines none): the linear map, which covers every non-NOMAP memblock
  // page, boot (map_mem()) and hot-added (arch_add_memory()) alike.
  // copy_from_kernel_nofault() could still fault on a page taken out of the
  // linear map (KFENCE, secretmem); the model cannot see those.
  via = mergeVia(via, ['R-A64-RW-COPY']);
  const why = `${range.why}; every chunk allowed${ctx.facts.config.STRICT_DEVMEM ? '' : ' (STRICT_DEVMEM=n: page_is_allowed() is 1)'}, copied through the linear map (xlate_dev_mem_ptr() is __va())`;
  return { outcome: op === 'read' ? 'data' : 'ok', bytes: len, rule: 'R-A64-RW-COPY', via, why };
}
