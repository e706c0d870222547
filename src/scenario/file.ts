// Scenario files: JSON a kernel developer writes to run a new sequence
// without touching the code. Validated with zod at the edge; an error names
// the field and says what to write. The built-in scenarios are files in
// src/scenario/builtin/ in this same format. docs/scenarios.md documents it.
import { readFile, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { inputError } from '../util/errors.js';
import { pkgPath } from '../util/paths.js';
import { actionSchema, type StepAction } from '../lab/actions/index.js';
import type { Scenario } from '../lab/scenario.js';

/** A release must name mappings an earlier step holds and no step released yet. */
function releasesHeld(steps: { action: StepAction }[]): boolean {
  const held = new Set<string>();
  for (const { action: a } of steps) {
    if (a.kind === 'hold') a.mappings.forEach((m) => held.add(m.name));
    if (a.kind === 'release' && !a.mappings.every((n) => held.delete(n))) return false;
  }
  return true;
}

/** No two live holds of one target, page count and kind (the agent keeps one mapping per address, length and kind). */
function holdsDistinct(steps: { action: StepAction }[]): boolean {
  const live = new Map<string, string>();
  for (const { action: a } of steps) {
    if (a.kind === 'release') for (const [k, n] of live) if (a.mappings.includes(n)) live.delete(k);
    if (a.kind !== 'hold') continue;
    for (const m of a.mappings) {
      const k = JSON.stringify([m.target, m.pages ?? 1, !!m.private]);
      if (live.has(k)) return false;
      live.set(k, m.name);
    }
  }
  return true;
}

export const scenarioSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case words joined by "-"'),
    description: z.string(),
    /** Extra kernel command line the scenario needs (e.g. ["iomem=relaxed"]). */
    cmdline: z.array(z.string().regex(/^[^\s]+$/, 'one word per entry')).optional(),
    /** Probe /proc/kcore at every step (plugged, unplugged-but-added, never-added device memory). */
    kcore: z.boolean().optional(),
    /** The machine profile it needs (a qemu-config/ name) when the run names none (--profile). */
    profile: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a profile name from qemu-config/, e.g. "high-bars"').optional(),
    steps: z
      .array(z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'letters and digits joined by "-" (e.g. plug-512M)'), action: actionSchema }).strict())
      .min(1)
      .refine((s) => s[0].action.kind === 'boot', 'the first step must be { "kind": "boot" }')
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'step names must be unique')
      .refine(releasesHeld, 'a release must name mappings an earlier hold step made and no step released yet')
      .refine(holdsDistinct, 'a hold must not map the same target, pages and kind as a mapping still held: release that one first'),
  })
  .strict();

/** Validates parsed JSON as a scenario; `source` names the file in errors. */
export function parseScenario(raw: unknown, source: string): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n');
    throw inputError('E_SCENARIO', `${source} is not a valid scenario:\n${issues}`, 'see docs/scenarios.md and src/scenario/builtin/*.json for the format');
  }
  return r.data as Scenario;
}

export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw inputError('E_SCENARIO', `cannot read scenario file ${path}: ${(e as Error).message}`, 'give a path to a JSON scenario file or a built-in name');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw inputError('E_SCENARIO', `${path} is not valid JSON: ${(e as Error).message}`, 'fix the JSON syntax (see docs/scenarios.md)');
  }
  return parseScenario(raw, path);
}

const BUILTIN_DIR = pkgPath('src', 'scenario', 'builtin');

export async function builtinScenarioNames(): Promise<string[]> {
  return (await readdir(BUILTIN_DIR)).filter((f) => f.endsWith('.json')).map((f) => basename(f, '.json')).sort();
}

/** A built-in name (lifecycle, revoke, …) or a path to a scenario file. */
export async function resolveScenario(nameOrPath: string): Promise<Scenario> {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.json')) return loadScenarioFile(nameOrPath);
  const names = await builtinScenarioNames();
  if (!names.includes(nameOrPath)) {
    throw inputError('E_SCENARIO', `unknown scenario ${JSON.stringify(nameOrPath)}`, `use one of: ${names.join(', ')}, or a path to a scenario file`);
  }
  return loadScenarioFile(pkgPath('src', 'scenario', 'builtin', `${nameOrPath}.json`));
}
