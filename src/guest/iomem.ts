// Parser for /proc/iomem: names, inclusive ranges and nesting (two spaces of
// indent per level, see r_show() in kernel/resource.c). Flags are not shown
// there; src/model/flags.ts infers them from names.

export interface IomemNode {
  name: string;
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (as /proc/iomem prints it). */
  end: number;
  depth: number;
  children: IomemNode[];
}

export class IomemParseError extends Error {
  readonly code = 'E_IOMEM_PARSE';
  constructor(
    message: string,
    readonly line: number,
    readonly text: string,
  ) {
    super(`${message} at line ${line}: ${JSON.stringify(text)}`);
  }
}

const LINE = /^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;

/** Parses /proc/iomem text into a forest of top-level resources. */
export function parseIomem(text: string): IomemNode[] {
  const roots: IomemNode[] = [];
  const stack: IomemNode[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const m = LINE.exec(raw);
    if (!m) throw new IomemParseError('not an iomem line', i + 1, raw);
    const indent = m[1].length;
    if (indent % 2 !== 0) throw new IomemParseError('odd indentation', i + 1, raw);
    const depth = indent / 2;
    const node: IomemNode = {
      name: m[4],
      start: parseInt(m[2], 16),
      end: parseInt(m[3], 16),
      depth,
      children: [],
    };
    if (node.end < node.start) throw new IomemParseError('end before start', i + 1, raw);
    if (depth > stack.length) throw new IomemParseError('nesting skips a level', i + 1, raw);
    stack.length = depth;
    if (depth === 0) roots.push(node);
    else stack[depth - 1].children.push(node);
    stack.push(node);
  });
  if (roots.length > 0 && roots.every((r) => r.start === 0 && r.end === 0)) {
    // Without CAP_SYS_ADMIN the kernel prints zeros for every range.
    throw new IomemParseError('all ranges are zero (read /proc/iomem as root)', 1, lines[0]);
  }
  return roots;
}

/** Every node, parents before children, in address order. */
/**
 * The one walk of a resource tree: every node, parents first, in the order
 * /proc/iomem lists them; `enter` false skips a node and its children.
 */
export function* preorder<T extends { children: T[] }>(roots: T[], enter: (n: T) => boolean = () => true): Generator<T> {
  for (const n of roots) {
    if (!enter(n)) continue;
    yield n;
    yield* preorder(n.children, enter);
  }
}

export const flattenIomem = (roots: IomemNode[]): IomemNode[] => [...preorder(roots)];

/** Nodes whose range overlaps [start, end] (inclusive), at any depth. */
export function overlapping(roots: IomemNode[], start: number, end: number): IomemNode[] {
  return flattenIomem(roots).filter((n) => n.start <= end && n.end >= start);
}

/** Prints a tree back in /proc/iomem's format (fixtures, reports). */
export function formatIomem(roots: IomemNode[]): string {
  return flattenIomem(roots)
    .map((n) => `${'  '.repeat(n.depth)}${n.start.toString(16).padStart(8, '0')}-${n.end.toString(16).padStart(8, '0')} : ${n.name}`)
    .join('\n');
}
