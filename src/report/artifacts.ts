// The files people read, written next to report.json: JUnit XML for CI
// dashboards and the self-contained HTML report (a matrix's are in
// matrix/artifacts.ts).
import { join } from 'node:path';
import { writeFileAtomic } from '../util/cache.js';
import { toHtml } from './html.js';
import { toJUnit } from './junit.js';
import type { Report } from '../format/types.js';

export async function writeRunArtifacts(dir: string, report: Report): Promise<void> {
  await writeFileAtomic(join(dir, 'junit.xml'), toJUnit(report));
  await writeFileAtomic(join(dir, 'report.html'), toHtml(report));
}
