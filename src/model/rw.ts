// read() and write() on /dev/mem (drivers/char/mem.c read_mem()/write_mem()):
// R-RW-RANGE for the whole call, then R-RW-DENY / R-RW-ZERO / R-RW-COPY per
// page chunk. An arm64 kernel checks memblock instead (arm64/rw.ts).

import { PAGE_SIZE, pfnOf } from './facts.js';
import type { ModelContext } from './context.js';
import { devmemIsAllowed, pageRuns, type DiaValue } from './dia.js';
import { fail, mergeVia, type Expected } from './expected.js';
import { isSystemRam } from './flags.js';
import { pageIntersectsSystemRam, walkMemRes } from './regions.js';
import type { RuleId } from './rules.js';
import { predictReadWriteArm64 } from './arm64/rw.js';
import { hex } from '../util/hex.js';


/**
 * x86 valid_phys_addr_range() (arch/x86/mm/mmap.c): addr + count - 1 <=
 * __pa(high_memory - 1). highMemoryEnd is measured as the first address a
 * 1-byte pread refuses, so the test is last < highMemoryEnd. The sum is
 * unsigned: count 0 at offset 0 wraps to ~0 and fails.
 */
export function validPhysAddrRange(addr: number, count: number, highMemoryEnd: number): boolean {
  if (count === 0 && addr === 0) return false;
  return addr + count - 1 < highMemoryEnd;
}

export interface ChunkMapping {
  ok: boolean;
  how: 'direct map' | 'ioremap_cache' | 'none';
  why: string;
}

/**
 * xlate_dev_mem_ptr() on x86 is memremap(page, PAGE_SIZE, MEMREMAP_WB)
 * (kernel/iomem.c): REGION_MIXED → WARN and NULL; REGION_INTERSECTS → the
 * direct map when pfn_valid(); otherwise ioremap_cache(), which refuses
 * ("ioremap on RAM") when walk_mem_res() finds busy System RAM covering the page.
 *
 * Model assumptions (not visible in /proc/iomem): pfn_valid() holds exactly
 * for pages inside busy System RAM resources, and such resources contain at
 * least one page that is not PageReserved (__ioremap_check_ram()).
 */
export function mapChunk(ctx: ModelContext, page: number): ChunkMapping {
  const descend = ctx.features.regionIntersectsDescendants.enabled;
  const ri = pageIntersectsSystemRam(ctx.tree, page, descend);
  if (ri === 'mixed') {
    return { ok: false, how: 'none', why: `memremap(): page ${hex(page)} is a mixed range (System RAM and another resource)` };
  }
  const busyRam = walkMemRes(ctx.tree, page, page + PAGE_SIZE - 1, true).filter(
    (n) => isSystemRam(n.flags) && n.start <= page && n.end >= page + PAGE_SIZE - 1,
  );
  if (ri === 'intersects' && busyRam.length > 0) {
    return { ok: true, how: 'direct map', why: `memremap(): page ${hex(page)} is System RAM, read through the direct map` };
  }
  const seen = walkMemRes(ctx.tree, page, page + PAGE_SIZE - 1, ctx.features.walkMemResDescends.enabled).filter(
    (n) => isSystemRam(n.flags) && n.start <= page && n.end >= page + PAGE_SIZE - 1,
  );
  if (seen.length > 0) {
    return { ok: false, how: 'none', why: `ioremap_cache(): "ioremap on RAM" refusal, page ${hex(page)} lies in busy "${seen[0].name}"` };
  }
  return { ok: true, how: 'ioremap_cache', why: `memremap(): page ${hex(page)} is not RAM the direct map covers, ioremap_cache() maps it` };
}

/** devmem_is_allowed() when STRICT_DEVMEM, else 1 (page_is_allowed() in drivers/char/mem.c). */
function pageIsAllowed(ctx: ModelContext, pfn: number): { value: DiaValue; via: RuleId[]; why: string } {
  if (!ctx.facts.config.STRICT_DEVMEM) return { value: 1, via: [], why: 'STRICT_DEVMEM=n: page_is_allowed() is 1' };
  return devmemIsAllowed(ctx, pfn);
}

export function predictReadWrite(ctx: ModelContext, op: 'read' | 'write', addr: number, len: number): Expected {
  if (ctx.facts.arch === 'arm64') return predictReadWriteArm64(ctx, op, addr, len);
  const syscall = op === 'read' ? 'pread' : 'pwrite';
  const hm = ctx.state.highMemoryEnd;
  if (!validPhysAddrRange(addr, len, hm)) {
    const why =
      len === 0 && addr === 0
        ? 'valid_phys_addr_range(): 0 + 0 - 1 wraps, so a 0-byte access at 0 is refused'
        : `valid_phys_addr_range(): last byte ${hex(addr + Math.max(len, 1) - 1)} is not below high_memory end ${hex(hm)}`;
    return fail(syscall, 'EFAULT', 'R-RW-RANGE', why, ['R-RW-RANGE']);
  }
  if (len === 0) {
    return { outcome: op === 'read' ? 'data' : 'ok', bytes: 0, rule: 'R-RW-RANGE', via: ['R-RW-RANGE'], why: 'count 0: the range check passes and no chunk is copied' };
  }
  let via: RuleId[] = [];
  let done = 0;
  let zeroChunks = 0;
  let copyChunks = 0;
  const whys: string[] = [];
  const end = addr + len;
  // read_mem() walks page chunks (size_inside_page()); pages of one run behave alike.
  for (const run of pageRuns(ctx, pfnOf(addr), pfnOf(end - 1))) {
    const bytes = Math.min(end, (run.to + 1) * PAGE_SIZE) - Math.max(addr, run.from * PAGE_SIZE);
    const chunks = run.to - run.from + 1;
    const a = pageIsAllowed(ctx, run.from);
    via = mergeVia(via, a.via);
    if (a.value === 0) {
      const lost = done > 0 ? (op === 'read' ? `; the ${done} bytes already copied are dropped` : `; the ${done} bytes already written stay written`) : '';
      return fail(syscall, 'EPERM', 'R-RW-DENY', `${a.why}${lost}`, mergeVia(via, ['R-RW-DENY']));
    }
    if (a.value === 2) {
      zeroChunks += chunks;
      via = mergeVia(via, ['R-RW-ZERO']);
      if (whys.length < 2) whys.push(`${a.why}: ${op === 'read' ? 'clear_user()' : 'write skipped but counted'}`);
    } else {
      // xlate_dev_mem_ptr() maps the whole page: memremap(p & PAGE_MASK, PAGE_SIZE).
      const m = mapChunk(ctx, run.from * PAGE_SIZE);
      via = mergeVia(via, ['R-RW-COPY']);
      if (!m.ok) {
        if (op === 'write' && done > 0) {
          return { outcome: 'ok', bytes: done, rule: 'R-RW-COPY', via, why: `${m.why}; write_mem() returns the ${done} bytes written so far` };
        }
        return fail(syscall, 'EFAULT', 'R-RW-COPY', `xlate_dev_mem_ptr() failed: ${m.why}`, via);
      }
      copyChunks += chunks;
      if (whys.length < 2) whys.push(m.why);
    }
    done += bytes;
  }
  const why = whys.join('; ') + (zeroChunks + copyChunks > 2 ? ` (+${zeroChunks + copyChunks - 2} more chunks)` : '');
  if (op === 'write') return { outcome: 'ok', bytes: len, rule: copyChunks > 0 ? 'R-RW-COPY' : 'R-RW-ZERO', via, why };
  if (copyChunks === 0) return { outcome: 'zeros', bytes: len, rule: 'R-RW-ZERO', via, why };
  return { outcome: 'data', bytes: len, rule: 'R-RW-COPY', via, why };
}
