// The files people read, written next to report.json: one per renderer
// (report/renderers.ts). A matrix's are in matrix/artifacts.ts.
import { join } from 'node:path';
import { writeFileAtomic } from '../util/cache.js';
import { RENDERERS } from './renderers.js';
import type { Report } from '../format/types.js';

export async function writeRunArtifacts(dir: string, report: Report): Promise<void> {
  for (const r of RENDERERS) await writeFileAtomic(join(dir, r.file), r.render(report));
}
