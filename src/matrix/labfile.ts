// devmem-lab.json: a matrix kept in the repository that runs it. `devmem-lab
// matrix` with no arguments reads it from the current directory (or
// `--lab FILE`). The same fields as the matrix's options; errors name the
// field and what to write, and exit 2 before anything runs.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { inputError } from '../util/errors.js';

export const LAB_FILE = 'devmem-lab.json';

const nonEmpty = z.string().min(1, 'write a non-empty string');

export const labFileSchema = z
  .object({
    /** Guest architectures, as --arches takes them. */
    arches: z.array(z.enum(['x86_64', 'arm64'], 'write "x86_64" or "arm64"')).min(1, 'list at least one architecture, e.g. ["x86_64"]').default(['x86_64']),
    /** Kernel specs, as --kernel takes them. */
    kernels: z.array(nonEmpty).min(1, 'list at least one kernel, e.g. ["debian:bookworm"]'),
    /** Extra kernel command lines; "" is the default one. */
    cmdlines: z.array(z.string()).min(1, 'list at least one command line ("" for the default)').default(['']),
    scenarios: z.array(nonEmpty).min(1, 'list at least one scenario, e.g. ["lifecycle"]').default(['lifecycle']),
    /** Output directory, relative to the lab file's directory. */
    out: nonEmpty,
    jobs: z.number().int('a whole number of guests').min(1, 'at least 1').optional(),
    shard: z.string().regex(/^\d+\/\d+$/, 'write "i/n", e.g. "1/4"').optional(),
    accel: z.enum(['tcg', 'kvm', 'auto']).default('tcg'),
    freshBoot: z.boolean().default(false),
    /** Each cell's scenario this many times (--repeat): a result that varied between repeats is flaky. */
    repeats: z.number().int('a whole number of repeats').min(1, 'at least 1').max(100, 'at most 100').default(1),
    /** Boot every repeat afresh instead of restoring the saved guest (--repeat-boots). */
    repeatBoots: z.boolean().default(false),
  })
  .strict();

export type LabFile = z.infer<typeof labFileSchema>;

/** Validates parsed JSON as a lab file; `source` names the file in errors. */
export function parseLabFile(raw: unknown, source: string): LabFile {
  const r = labFileSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`).join('\n');
    throw inputError('E_LAB_FILE', `${source} is not a valid lab file:\n${issues}`, 'see the README ("A matrix in a file") for the fields');
  }
  return r.data;
}

export async function loadLabFile(path: string): Promise<LabFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw inputError('E_LAB_FILE', `cannot read ${path}: ${(e as Error).message}`, `write a ${LAB_FILE} (see the README), or give the matrix on the command line with --out DIR`);
  }
  try {
    return parseLabFile(JSON.parse(text), path);
  } catch (e) {
    if (e instanceof SyntaxError) throw inputError('E_LAB_FILE', `${path} is not valid JSON: ${e.message}`, 'fix the JSON syntax');
    throw e;
  }
}
