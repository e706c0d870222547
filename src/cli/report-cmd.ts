// devmem-lab report DIR and devmem-lab compare A B.
import { access, constants, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compareReports, hasRegressions, renderCompareText } from '../compare/index.js';
import { bundle } from '../report/bundle.js';
import { RENDERERS } from '../report/renderers.js';
import { rebuildReport } from '../report/rebuild.js';
import { reportExitCode } from '../format/findings.js';
import type { Report } from '../format/types.js';
import { readJsonIfExists, writeFileAtomic } from '../util/cache.js';
import { inputError } from '../util/errors.js';
import { EXIT } from './common.js';
import { renderSummary } from './summary.js';

const RENDER_OPTIONS = RENDERERS.map((r) => `[--${r.option} FILE]`).join(' ');

export const REPORT_USAGE = `usage: devmem-lab report DIR ${RENDER_OPTIONS}
       devmem-lab compare A B [--json]
       devmem-lab bundle DIR [--out FILE.tar.gz]

  report: prints a run's summary; a run that was killed is rebuilt from
  events.jsonl into a valid report.json.
${RENDERERS.map((r) => `  --${r.option}: ${r.describe}.`).join('\n')}
  compare: the behaviour diff of two runs (report files or run directories),
  regressions first; exit 1 when there are regressions.
  bundle: one .tar.gz of a run's or a matrix's reports, events, console
  logs, JUnit and HTML, for a bug report.`;

async function loadReport(path: string): Promise<Report> {
  const p = resolve(path);
  const isDir = (await stat(p).catch(() => undefined))?.isDirectory();
  if (isDir) return (await rebuildReport(p)).report;
  const r = await readJsonIfExists<Report>(p).catch(() => undefined);
  if (!r || typeof r !== 'object' || (r as { schema?: string }).schema !== 'devmem-lab/report@1' || !Array.isArray(r.steps)) {
    throw inputError('E_NO_REPORT', `${path} is not a devmem-lab report (missing, cut short or another file)`, 'give a report.json or a run directory (a run directory is rebuilt from events.jsonl)');
  }
  return r;
}

/** compare needs something to compare: a report with no probes would make every difference vanish. */
function comparable(r: Report, path: string): Report {
  if (r.steps.length === 0 || r.steps.every((s) => s.probes.length === 0)) {
    throw inputError('E_NO_REPORT', `${path} has no probes to compare (${r.steps.length} steps, status ${r.status})`, 'compare two runs that got past their boot step');
  }
  return r;
}

/**
 * An output file the user named: in a directory that exists and that this
 * user can write to, and not a directory itself. Checked before anything is
 * written: a path that cannot be written is bad input, not a stack, and
 * leaves nothing behind.
 */
async function checkOutputFile(option: string, path: string): Promise<void> {
  const p = resolve(path);
  const why = !(await stat(dirname(p)).catch(() => undefined))?.isDirectory() ? 'its directory does not exist'
    : (await stat(p).catch(() => undefined))?.isDirectory() ? 'it is a directory'
    : await access(dirname(p), constants.W_OK).then(() => undefined, () => 'no write permission');
  if (why) throw inputError('E_OUT_UNWRITABLE', `cannot write ${option} ${path}: ${why}`, 'give a file in a directory that exists and that you can write to');
}

/** Writes an output file the user named; a path that cannot be written is bad input, not a stack. */
async function writeOutput(option: string, path: string, text: string): Promise<void> {
  await writeFileAtomic(resolve(path), text).catch((e: NodeJS.ErrnoException) => {
    throw inputError('E_OUT_UNWRITABLE', `cannot write ${option} ${path}: ${e.code === 'ENOENT' ? 'its directory does not exist' : (e.code ?? e.message)}`, 'give a file in a directory that exists and that you can write to');
  });
}

export async function cmdReport(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: Object.fromEntries(RENDERERS.map((r) => [r.option, { type: 'string' as const }])), strict: true, allowPositionals: true });
  } catch (e) {
    throw inputError('E_USAGE', (e as Error).message, REPORT_USAGE);
  }
  const [dir] = parsed.positionals;
  if (!dir || parsed.positionals.length > 1) throw inputError('E_USAGE', 'report takes one run directory', REPORT_USAGE);
  for (const r of RENDERERS) {
    const file = parsed.values[r.option];
    if (typeof file === 'string') await checkOutputFile(`--${r.option}`, file);
  }
  const { report, rebuilt } = await rebuildReport(resolve(dir));
  if (rebuilt) await writeFileAtomic(join(resolve(dir), 'report.json'), JSON.stringify(report, null, 2) + '\n');
  for (const r of RENDERERS) {
    const file = parsed.values[r.option];
    if (typeof file === 'string') await writeOutput(`--${r.option}`, file, r.render(report));
  }
  process.stdout.write(`${rebuilt ? 'rebuilt from events.jsonl: ' : ''}${report.status}\n${renderSummary(report)}\n`);
  return reportExitCode(report);
}

export async function cmdCompare(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw inputError('E_USAGE', (e as Error).message, REPORT_USAGE);
  }
  if (parsed.positionals.length !== 2) throw inputError('E_USAGE', 'compare takes two reports or run directories', REPORT_USAGE);
  const [a, b] = await Promise.all(parsed.positionals.map(async (p) => comparable(await loadReport(p), p)));
  const diff = compareReports(a, b);
  process.stdout.write(parsed.values.json ? JSON.stringify(diff, null, 2) + '\n' : renderCompareText(diff) + '\n');
  return hasRegressions(diff) ? EXIT.findings : EXIT.ok;
}

export async function cmdBundle(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { out: { type: 'string' } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw inputError('E_USAGE', (e as Error).message, REPORT_USAGE);
  }
  const [dir] = parsed.positionals;
  if (!dir || !(await stat(resolve(dir)).catch(() => undefined))?.isDirectory()) throw inputError('E_USAGE', 'bundle takes a run or matrix directory', REPORT_USAGE);
  if (parsed.values.out === '') throw inputError('E_USAGE', '--out is empty', 'give a file, e.g. --out run.tar.gz, or drop --out for DIR.tar.gz');
  const dest = parsed.values.out ? resolve(parsed.values.out) : undefined;
  if (dest) await checkOutputFile('--out', parsed.values.out!);
  const b = await bundle(resolve(dir), dest);
  process.stdout.write(`${b.path}: ${b.files} files, ${b.bytes} bytes\n`);
  return EXIT.ok;
}
