// The shape the code keeps (docs/architecture.md): no import cycle between
// modules or between folders of src/, and no source file over 300 lines.
// madge reads the TypeScript imports, type-only ones included.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

const graph = async () => (await madge(SRC, { fileExtensions: ['ts'], tsConfig: join(ROOT, 'tsconfig.json') })).obj();

/** Cycles of a directed graph, each as the path that closes it. */
export function cycles(g: Record<string, string[]>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of g[n] ?? []) {
      if (state.get(m) === 'open') out.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of Object.keys(g)) if (!state.has(n)) visit(n);
  return out;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  it('finds a cycle when there is one (the check itself)', () => {
    expect(cycles({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] })).toEqual([['a', 'b', 'c', 'a']]);
    expect(cycles({ a: ['b'], b: [] })).toEqual([]);
  });

  it('src/ has no import cycle between modules', async () => {
    expect(cycles(await graph())).toEqual([]);
  });

  it('src/ has no import cycle between folders', async () => {
    const g = await graph();
    const folders: Record<string, string[]> = {};
    const folder = (f: string) => (f.includes('/') ? f.split('/')[0] : '.');
    for (const [f, deps] of Object.entries(g)) {
      for (const d of deps) if (folder(d) !== folder(f)) (folders[folder(f)] ??= []).push(folder(d));
    }
    expect(Object.keys(folders).length).toBeGreaterThan(10);
    expect(cycles(folders)).toEqual([]);
  });

  it('no source file in src/ or bench/ is over 300 lines', () => {
    const long = [...files(SRC), ...files(join(ROOT, 'bench'))]
      .map((f) => ({ f: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.lines > 300);
    expect(long).toEqual([]);
  });
});
