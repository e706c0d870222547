// A matrix: kernels × boot command lines × scenarios, each combination a
// cell with a stable id, so a re-run skips finished cells and shards of one
// matrix on many machines never overlap.
import { DEFAULT_ARCH, type Arch } from '../util/arch.js';
import { inputError } from '../util/errors.js';

export interface Cell {
  id: string;
  /** The guest's architecture; absent for x86_64 (cells of matrices before arm64 have none). */
  arch?: Arch;
  kernel: string;
  /** Extra kernel command line ('' for none). */
  cmdline: string;
  scenario: string;
  /** Position in the full matrix (the shard key). */
  index: number;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9.@+-]+/g, '_').replace(/^_+|_+$/g, '') || 'default';

/** x86_64 cells keep the ids they always had; another architecture's cells start with its name. */
export function cellId(kernel: string, cmdline: string, scenario: string, arch: Arch = DEFAULT_ARCH): string {
  const id = `${slug(kernel)}__${slug(cmdline)}__${slug(scenario)}`;
  return arch === DEFAULT_ARCH ? id : `${arch}__${id}`;
}

/** Every combination, in the order given: architectures outermost, then kernels; scenarios innermost. */
export function matrixCells(kernels: string[], cmdlines: string[], scenarios: string[], arches: Arch[] = [DEFAULT_ARCH]): Cell[] {
  if (kernels.length === 0 || scenarios.length === 0 || arches.length === 0) {
    throw inputError('E_MATRIX', 'a matrix needs at least one kernel, one scenario and one architecture', 'give --kernels A,B and --scenarios lifecycle,…');
  }
  const lines = cmdlines.length ? cmdlines : [''];
  const cells: Cell[] = [];
  for (const arch of arches) for (const kernel of kernels) for (const cmdline of lines) for (const scenario of scenarios) {
    cells.push({ id: cellId(kernel, cmdline, scenario, arch), ...(arch === DEFAULT_ARCH ? {} : { arch }), kernel, cmdline, scenario, index: cells.length });
  }
  const ids = new Set(cells.map((c) => c.id));
  if (ids.size !== cells.length) throw inputError('E_MATRIX', 'two cells of the matrix are the same', 'remove duplicate kernels, command lines or scenarios');
  return cells;
}

export interface Shard {
  index: number; // 1-based
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
  if (!shard || shard.count < 1 || shard.index < 1 || shard.index > shard.count) {
    throw inputError('E_SHARD', `--shard ${text} is not i/n with 1 ≤ i ≤ n`, 'write e.g. --shard 1/4 (the first of four shards)');
  }
  return shard;
}

/** A deterministic slice: cell k belongs to shard (k mod n) + 1. */
export function shardCells(cells: Cell[], shard?: Shard): Cell[] {
  return shard ? cells.filter((c) => c.index % shard.count === shard.index - 1) : cells;
}
