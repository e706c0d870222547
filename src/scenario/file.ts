// Scenario files: JSON a kernel developer writes to run a new sequence
// without touching the code. Validated with zod at the edge; an error names
// the field and says what to write. The built-in scenarios are files in
// src/scenario/builtin/ in this same format. docs/scenarios.md documents it.
import { readFile, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { inputError } from '../util/errors.js';
import { pkgPath } from '../util/paths.js';
import type { MachineProfile } from '../vm/profile.js';
import type { Scenario } from './types.js';

const moduleName = z.string().regex(/^[a-z0-9_]+$/, 'a module name such as virtio_mem');
const heldTarget = z.union([
  z.object({ deviceOffsetMiB: z.number().int().nonnegative() }).strict(),
  z
    .object({ addr: z.string().regex(/^0x[0-9a-f]+$/, 'a hex address such as "0x100000"') })
    .strict()
    // mmap() takes page-aligned offsets only; refused here, before anything boots.
    .refine((t) => parseInt(t.addr, 16) % 4096 === 0, 'a page-aligned address (a multiple of 0x1000)'),
  z.object({ mmioHole: z.literal(true) }).strict(),
  z.object({ deviceEdge: z.enum(['first', 'last']) }).strict(),
]);

const action = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('boot') }).strict(),
  z.object({ kind: z.literal('modprobe'), module: moduleName }).strict(),
  z.object({ kind: z.literal('rmmod'), module: moduleName }).strict(),
  z.object({ kind: z.literal('resize'), sizeMiB: z.number().int().nonnegative() }).strict(),
  z
    .object({
      kind: z.literal('access'),
      op: z.enum(['read', 'write', 'mmap-shared', 'mmap-private', 'mmap-sync-shared', 'mmap-sync-private', 'touch-shared', 'touch-private', 'cow-procmem', 'cow-write', 'kcore']),
      deviceOffsetMiB: z.number().int().nonnegative().optional(),
      addr: z.string().regex(/^0x[0-9a-f]+$/, 'a hex address such as "0x1000"').optional(),
      /** The first unclaimed page of a PCI window (as for a hold). */
      mmioHole: z.literal(true).optional(),
      /** Run the agent without CAP_SYS_RAWIO (root otherwise). */
      withoutRawio: z.boolean().optional(),
    })
    .strict()
    .refine((a) => [a.deviceOffsetMiB, a.addr, a.mmioHole].filter((x) => x !== undefined).length === 1, 'give exactly one of deviceOffsetMiB (into the device region), addr (a physical address) and mmioHole'),
  z.object({ kind: z.literal('guest-command'), command: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('host-pattern'), deviceOffsetMiB: z.number().int().nonnegative() }).strict(),
  z
    .object({
      kind: z.literal('hold'),
      mappings: z
        .array(z.object({ name: z.string().regex(/^[a-z][a-z0-9-]*$/), target: heldTarget, pages: z.number().int().min(1).max(16).optional(), private: z.boolean().optional(), ptraceWrite: z.boolean().optional() }).strict())
        .min(1),
    })
    .strict(),
  z.object({ kind: z.literal('release'), mappings: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/)).min(1), split: z.boolean().optional() }).strict(),
]);

/** A release must name mappings an earlier step holds and no step released yet. */
function releasesHeld(steps: { action: z.infer<typeof action> }[]): boolean {
  const held = new Set<string>();
  for (const { action: a } of steps) {
    if (a.kind === 'hold') a.mappings.forEach((m) => held.add(m.name));
    if (a.kind === 'release' && !a.mappings.every((n) => held.delete(n))) return false;
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
    steps: z
      .array(z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'letters and digits joined by "-" (e.g. plug-512M)'), action }).strict())
      .min(1)
      .refine((s) => s[0].action.kind === 'boot', 'the first step must be { "kind": "boot" }')
      .refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'step names must be unique')
      .refine(releasesHeld, 'a release must name mappings an earlier hold step made and no step released yet'),
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

/**
 * Checks a scenario against the machine it will run on: resize sizes must
 * be whole device blocks and fit the device, device offsets must lie inside
 * it. Bad input, caught before anything boots.
 */
export function checkScenarioFits(s: Scenario, profile: MachineProfile): void {
  const v = profile.virtioMem;
  for (const step of s.steps) {
    const a = step.action;
    const where = `step ${step.name}`;
    if (a.kind === 'resize' && (a.sizeMiB % v.blockSizeMiB !== 0 || a.sizeMiB > v.sizeMiB)) {
      throw inputError('E_SCENARIO_SIZE', `${where}: ${a.sizeMiB} MiB is not a multiple of the ${v.blockSizeMiB} MiB block size or exceeds the ${v.sizeMiB} MiB device`,
        `use a multiple of ${v.blockSizeMiB} between 0 and ${v.sizeMiB}`);
    }
    const offsets = a.kind === 'host-pattern' ? [a.deviceOffsetMiB] : a.kind === 'access' ? (a.deviceOffsetMiB === undefined ? [] : [a.deviceOffsetMiB]) : a.kind === 'hold' ? a.mappings.flatMap((m) => ('deviceOffsetMiB' in m.target ? [m.target.deviceOffsetMiB] : [])) : [];
    for (const off of offsets) {
      if (off >= v.sizeMiB) throw inputError('E_SCENARIO_SIZE', `${where}: device offset ${off} MiB is beyond the ${v.sizeMiB} MiB device`, `use an offset below ${v.sizeMiB}`);
    }
  }
}
