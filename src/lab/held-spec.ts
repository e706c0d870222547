// A held mapping as a scenario asks for it: the `hold` action's entries,
// their schema (scenario files) and their type (the lab and explore).
import { z } from 'zod';
import { PCI_BDF } from '../model/index.js';

export const heldName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case words joined by "-"');

const heldTarget = z.union([
  z.object({ deviceOffsetMiB: z.number().int().nonnegative() }).strict(),
  z
    .object({ addr: z.string().regex(/^0x[0-9a-f]+$/, 'a hex address such as "0x100000"') })
    .strict()
    // mmap() takes page-aligned offsets only; refused here, before anything boots.
    .refine((t) => parseInt(t.addr, 16) % 4096 === 0, 'a page-aligned address (a multiple of 0x1000)'),
  z.object({ mmioHole: z.literal(true) }).strict(),
  z.object({ deviceEdge: z.enum(['first', 'last']) }).strict(),
  z
    .object({
      pciBar: z.string().regex(PCI_BDF, 'a PCI function as /proc/iomem names it, e.g. "0000:00:03.0"'),
      edge: z.enum(['first', 'last']).optional(),
    })
    .strict(),
]);

export const heldSpecSchema = z
  .object({
    name: heldName,
    /**
     * A device-region offset, an absolute physical address, the first unclaimed
     * page of a PCI window, or an edge of the device region: `last` starts at
     * its last page (more pages run past its end), `first` ends at its first
     * page (more pages start below it); or an edge (default `last`, the same
     * way) of the highest memory BAR of a PCI function, such as a virtio
     * device's BAR 4, which a driver's bind then claims.
     */
    target: heldTarget,
    /** Pages mapped (default 1); an mmio hole is then the first run of that many unclaimed pages. */
    pages: z.number().int().min(1).max(16).optional(),
    private: z.boolean().optional(),
    /**
     * Also write the held (read-only) mapping through /proc/self/mem at every
     * later step (R-PTRACE-RO; the kernel must refuse). The long-lived agent
     * then runs with -w.
     */
    ptraceWrite: z.boolean().optional(),
  })
  .strict();

export type HeldSpec = z.infer<typeof heldSpecSchema>;

/**
 * How a release unmaps a held mapping (guest-image/ops/release.c), each a
 * different path through the VM_PAT bookkeeping: plain munmap; `split`, its
 * last page mprotect()ed PROT_NONE first (two VMAs); `move`, the whole
 * mapping mremap()ed to a free address first; `move-head` | `move-tail`, only
 * its first | last page moved (the old VMA keeps the rest); `grow`, an
 * mremap() to one page more first (vma_to_resize() refuses a VM_PFNMAP
 * VMA: EFAULT is recorded), then munmap; `fork`, a child inherits it and
 * keeps it until the parent has unmapped its own.
 */
export const RELEASE_HOWS = ['munmap', 'split', 'move', 'move-head', 'move-tail', 'grow', 'fork'] as const;
export type ReleaseHow = (typeof RELEASE_HOWS)[number];

/** What a how does to a one-page mapping: nothing to split, and moving part of it moves it all. */
export const releaseHowFor = (how: ReleaseHow, pages: number): ReleaseHow =>
  pages > 1 ? how : how === 'split' ? 'munmap' : how === 'move-head' || how === 'move-tail' ? 'move' : how;
