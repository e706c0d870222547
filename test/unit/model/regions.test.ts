// kernel/resource.c region_intersects() before and after "resource: fix
// region_intersects() vs add_memory_driver_managed()", and walk_mem_res().
import { describe, expect, it } from 'vitest';
import { parseIomem } from '../../../src/guest/iomem.js';
import { annotateIomem, pageIntersectsSystemRam, resolveFeatures, walkMemRes } from '../../../src/model/index.js';
import { facts, IOMEM } from './q35.js';

const tree = (text: string) => annotateIomem(parseIomem(text), resolveFeatures(facts('6.1')));

// Memory a driver added under a non-RAM top-level resource, as dax/kmem and
// CXL do; the situation the fix was written for.
const NESTED = `00100000-3ffdffff : System RAM
140000000-17fffffff : Soft Reserved
  140000000-15fffffff : System RAM (kmem)
  160000000-1600007ff : System RAM (kmem)
`;

describe('region_intersects(page, IORESOURCE_SYSTEM_RAM)', () => {
  const t = tree(IOMEM.plugged512);

  it('top-level System RAM intersects in both versions', () => {
    expect(pageIntersectsSystemRam(t, 0x200000, false)).toBe('intersects');
    expect(pageIntersectsSystemRam(t, 0x200000, true)).toBe('intersects');
  });

  it('a page shared by System RAM and Reserved (0x9f000) is mixed in both versions', () => {
    expect(pageIntersectsSystemRam(t, 0x9f000, false)).toBe('mixed');
    expect(pageIntersectsSystemRam(t, 0x9f000, true)).toBe('mixed');
  });

  it('an empty hole and a non-RAM resource are disjoint', () => {
    expect(pageIntersectsSystemRam(t, 0xfe000000, true)).toBe('disjoint');
    expect(pageIntersectsSystemRam(t, 0x3fffe000, true)).toBe('disjoint');
    expect(pageIntersectsSystemRam(t, 0x2000000000, true)).toBe('disjoint');
  });

  it('the virtio-mem parent matches at the top level: the whole region intersects, plugged or not', () => {
    expect(pageIntersectsSystemRam(t, 0x100000000, false)).toBe('intersects');
    expect(pageIntersectsSystemRam(t, 0x130000000, false)).toBe('intersects');
    expect(pageIntersectsSystemRam(tree(IOMEM.boundUnplugged), 0x130000000, false)).toBe('intersects');
  });

  const n = tree(NESTED);

  it('nested RAM under a non-RAM parent: invisible before the fix, seen after it', () => {
    expect(pageIntersectsSystemRam(n, 0x140000000, false)).toBe('disjoint');
    expect(pageIntersectsSystemRam(n, 0x140000000, true)).toBe('intersects');
  });

  it('after the fix, a page only partly covered by nested RAM is mixed; an uncovered one disjoint', () => {
    expect(pageIntersectsSystemRam(n, 0x160000000, true)).toBe('mixed');
    expect(pageIntersectsSystemRam(n, 0x170000000, true)).toBe('disjoint');
  });
});

describe('walk_mem_res() as ioremap() sees it', () => {
  const n = tree(NESTED);

  it('finds busy RAM nested in a non-busy parent only when it descends (5.13+)', () => {
    expect(walkMemRes(n, 0x140000000, 0x140000fff, true).map((r) => r.name)).toEqual(['System RAM (kmem)']);
    expect(walkMemRes(n, 0x140000000, 0x140000fff, false)).toEqual([]);
  });

  it('stops at the outermost busy resource: its children are never visited', () => {
    const t = tree(IOMEM.plugged512);
    expect(walkMemRes(t, 0xf0000, 0xf0fff, true).map((r) => r.name)).toEqual(['Reserved']);
    expect(walkMemRes(t, 0x100000000, 0x100000fff, true).map((r) => r.name)).toEqual(['System RAM (virtio_mem)']);
  });
});
