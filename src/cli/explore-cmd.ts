// devmem-lab explore: random sequences against one kernel, each judged by
// the model and S1–S7, failures shrunk to replayable scenario files.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { explore } from '../explore/run.js';
import { DEFAULT_KERNEL, parseKernelSpec } from '../kernel/spec.js';
import { checkCmdline } from '../lab/prepare.js';
import { LabError, inputError } from '../util/errors.js';
import { pickProfile } from '../vm/profile.js';
import { checkKernelInput, EXIT, ensureOutDir, parseAccel, parseArchOption, withSignals } from './common.js';
import { renderEvent } from './render.js';

export const EXPLORE_USAGE = `usage: devmem-lab explore [--kernel SPEC] [--seed N] [--runs N | --budget DURATION]
                          [--shrink-budget DURATION] [--max-steps N] [--cmdline ARGS] [--out DIR]
                          [--accel auto|tcg|kvm] [--arch x86_64|arm64] [--profile NAME] [--fresh-boot]
                          [--force] [--verbose]

  Runs random sequences of scenario actions (modprobe/rmmod virtio_mem, resizes, /dev/mem holds
  inside and across the device region's edges, releases with and without a VMA split, accesses,
  host patterns), each in its own guest restored from the kernel's saved post-boot state
  (--fresh-boot: booted each time), judged by the model and the safety properties S1-S7.
  A failing sequence is shrunk to a minimal one and written to DIR/finding-N/ as scenario.json
  (replay: devmem-lab run --scenario DIR/finding-N/scenario.json), finding.md and run/.
  --seed         the same seed gives the same sequences (default: from the clock, printed)
  --runs         sequences to try (default 20 unless --budget)
  --budget       wall time for new sequences: 90s, 30m, 1h
  --shrink-budget  extra time to shrink each finding (default 20m)
  --max-steps    actions per sequence after the boot (default 8)
  --out          default ./explore-out; explore.json lists every sequence run
  exit codes: 0 no finding, 1 findings, 2 bad input, 3 no sequence could run`;

export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(s.trim());
  if (!m || Number(m[1]) <= 0) throw inputError('E_USAGE', `${what} ${JSON.stringify(s)} is not a duration`, 'write a number with s, m or h, e.g. 90s, 30m, 1h');
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

function positiveInt(s: string, what: string, min = 1): number {
  if (!/^\d+$/.test(s) || Number(s) < min) throw inputError('E_USAGE', `${what} ${JSON.stringify(s)} is not a whole number of at least ${min}`, EXPLORE_USAGE);
  return Number(s);
}

export async function cmdExplore(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kernel: { type: 'string', default: DEFAULT_KERNEL },
        seed: { type: 'string' },
        runs: { type: 'string' },
        budget: { type: 'string' },
        'shrink-budget': { type: 'string', default: '20m' },
        'max-steps': { type: 'string', default: '8' },
        cmdline: { type: 'string', default: '' },
        out: { type: 'string', default: 'explore-out' },
        accel: { type: 'string', default: 'tcg' },
        profile: { type: 'string' },
        arch: { type: 'string' },
        force: { type: 'boolean', default: false },
        'fresh-boot': { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw inputError('E_USAGE', (e as Error).message, EXPLORE_USAGE);
  }
  if (values.help) {
    process.stdout.write(EXPLORE_USAGE + '\n');
    return EXIT.ok;
  }
  const accel = parseAccel(values.accel, EXPLORE_USAGE);
  if (values.runs !== undefined && values.budget !== undefined) throw inputError('E_USAGE', '--runs and --budget both given', 'give one: a number of sequences or a wall time');
  parseKernelSpec(values.kernel);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : positiveInt(values.seed, '--seed', 0);
  const budgetMs = values.budget === undefined ? undefined : parseDuration(values.budget, '--budget');
  const runs = values.runs !== undefined ? positiveInt(values.runs, '--runs') : budgetMs === undefined ? 20 : undefined;
  const shrinkMs = parseDuration(values['shrink-budget'], '--shrink-budget');
  const maxCommands = positiveInt(values['max-steps'], '--max-steps');
  const { name: profileName, profile } = await pickProfile({ arch: parseArchOption(values.arch), profile: values.profile });
  const cmdline = values.cmdline.split(/\s+/).filter(Boolean);
  checkCmdline(profile, cmdline);
  checkKernelInput(values.kernel, profile.arch);
  // resolve('') is the working directory: an empty --out is a mistake, not a choice.
  if (!values.out) throw inputError('E_USAGE', '--out is empty', 'give a directory, e.g. --out explore-out');
  const out = resolve(values.out);
  await ensureOutDir(out);
  const old = await stat(join(out, 'explore.json')).then(() => true, () => false);
  if (old && !values.force) throw new LabError('E_OUT_EXISTS', 'input', `--out ${out} already holds an exploration (explore.json)`, { hint: 'choose a new --out, or --force to add to it' });

  const say = (line: string) => process.stderr.write(`explore: ${line}\n`);
  say(`kernel ${values.kernel}, seed ${seed}, ${runs !== undefined ? `${runs} sequences` : `budget ${values.budget}`}, up to ${maxCommands} actions each → ${out}`);
  const r = await withSignals((signal) =>
    explore({
      kernel: values.kernel, seed, runs, budgetMs, shrinkMs, maxCommands, cmdline, accel, profile: profileName, freshBoot: values['fresh-boot'],
      device: profile.virtioMem, out, signal, say,
      onEvent: values.verbose ? (e) => renderEvent(e, (s) => process.stderr.write(`  ${s}\n`), false) : undefined,
    }),
  );
  const ran = r.sequences.length;
  const perHour = ran ? Math.round((ran * 3_600_000) / r.ms) : 0;
  process.stdout.write(`explore: ${ran} sequences (${r.sequences.filter((s) => s.shrinking).length} while shrinking) in ${(r.ms / 60000).toFixed(1)} min, ${perHour}/hour; ${r.findings.length} findings; ${r.labFailures} runs failed without a finding\n`);
  for (const f of r.findings) process.stdout.write(`  finding ${f.n}: ${f.signature} (${f.steps} steps): ${f.dir}/finding.md\n`);
  if (r.findings.length) return EXIT.findings;
  return ran > 0 && r.labFailures === ran ? EXIT.runFailed : EXIT.ok;
}
