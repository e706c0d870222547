// devmem-lab's command line. Options are validated here, at the edge; every
// error says what to write instead. Exit codes: 0 all good, 1 the kernel
// disagreed with the model, 2 bad input, 3 the run itself failed.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_KERNEL } from '../kernel/spec.js';
import { runLab } from '../lab/run.js';
import { EventLog } from '../format/events.js';
import { reportExitCode } from '../format/findings.js';
import { resolveScenario } from '../scenario/file.js';
import { LabError, inputError } from '../util/errors.js';
import { RunView } from './run-view.js';
import { renderSummary } from './summary.js';
import { writeRunArtifacts } from '../report/artifacts.js';
import { rendererFiles, RUN_FILES } from '../report/renderers.js';
import { checkScenarioFits } from '../lab/scenario.js';
import { pickProfile } from '../vm/profile.js';
import { checkCmdline } from '../lab/prepare.js';
import { parseKernelSpec } from '../kernel/spec.js';
import { checkKernelInput, claimRunDir, EXIT, ensureOutDir, parseAccel, parseArchOption, parseRepeat, withSignals } from './common.js';
import { runRepeated } from '../lab/repeat.js';
import { cmdExplore, EXPLORE_USAGE } from './explore-cmd.js';
import { cmdMatrix, cmdMerge, MATRIX_USAGE } from './matrix-cmd.js';
import { cmdBundle, cmdCompare, cmdReport, REPORT_USAGE } from './report-cmd.js';

export { EXIT } from './common.js';


const USAGE = `usage: devmem-lab run [--kernel SPEC] [--scenario NAME|FILE] [--out DIR] [--accel auto|tcg|kvm]
                      [--arch x86_64|arm64] [--cmdline ARGS] [--profile NAME] [--modules DIR] [--config FILE]
                      [--config-fragment FILE] [--fresh-boot] [--repeat N [--repeat-boots]]
                      [--bisect] [--force] [--verbose]

  --kernel    debian:<suite> (default ${DEFAULT_KERNEL}), debian:<suite>@<x.y>, debian:newest, debian:<package>,
              debian:<suite>/<package>, path:<bzImage> (with --modules/--config),
              tree:<built kernel tree>, build:linux-source-<x.y>[+NAME=value,...] or build:<dir>[+...]
  --modules   path: kernels: the modules directory (lib/modules/<release> or a root holding it)
  --config    path: kernels: the kernel's config file
  --config-fragment  build: kernels: extra options in .config syntax
  --scenario  a built-in (lifecycle (default), revoke, unclean-unload, touch-unplugged, capabilities,
              pat-leak, pat-leak-plugged, pat-split, pat-move, pat-move-head, pat-move-tail,
              pat-grow, pat-fork, pat-cow, cow-ptrace)
              or a path to a scenario file (docs/scenarios.md)
  --out       output directory for ${RUN_FILES.join(', ')}
              (a directory that already holds a run is refused: choose another, or --force to replace it)
              (default ./lab-out)
  --accel     tcg (default), kvm, or auto (KVM only if it proves it boots)
  --cmdline   extra kernel command line, e.g. "iomem=relaxed"
  --arch      the guest's architecture: x86_64 (default) or arm64 (QEMU virt, Debian's arm64 kernels,
              the arm64 model); the default profile of arm64 is qemu-config/arm64.json
  --profile   machine profile from qemu-config/ (default: the scenario's "profile", else default,
              or arm64 under --arch arm64)
  --fresh-boot  boot the guest even when a saved one exists, and save none (by default the first
              boot of a kernel, command line and profile is saved in the cache and later runs restore it)
  --repeat N  run the scenario N times (each restored from the same saved guest; --repeat-boots: each
              boots afresh), in DIR/repeat-<k>/; DIR/report.json merges them, and a result that
              varied between repeats is flaky: counted apart, never a finding
  --bisect    exit codes for git bisect run: 0 good, 1 bad, 125 the run failed (skip), 255 bad input (stop)`;

/**
 * git bisect run's meaning: 0 good, 1 bad, 125 "cannot test this commit"
 * (the run itself failed: the kernel did not boot, QEMU died, …), and above
 * 127 to stop the bisection (bad input: fix the command first).
 */
/** 0 all matched, 1 findings (even in a run that failed later), 2 bad input or set-up, 3 the run failed. */
export const runExitCode = reportExitCode;

export function bisectCode(code: number): number {
  if (code === EXIT.ok || code === EXIT.findings) return code;
  return code === EXIT.input ? 255 : 125;
}

async function cmdRun(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kernel: { type: 'string', default: DEFAULT_KERNEL },
        scenario: { type: 'string', default: 'lifecycle' },
        out: { type: 'string', default: 'lab-out' },
        accel: { type: 'string', default: 'tcg' },
        cmdline: { type: 'string', default: '' },
        profile: { type: 'string' },
        arch: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        bisect: { type: 'boolean', default: false },
        modules: { type: 'string' },
        config: { type: 'string' },
        'config-fragment': { type: 'string' },
        force: { type: 'boolean', default: false },
        'fresh-boot': { type: 'boolean', default: false },
        repeat: { type: 'string', default: '1' },
        'repeat-boots': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw inputError('E_USAGE', (e as Error).message, USAGE);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return EXIT.ok;
  }
  const accel = parseAccel(values.accel, USAGE);
  const repeats = parseRepeat(values.repeat, USAGE);
  if (values['repeat-boots'] && repeats === 1) throw inputError('E_USAGE', '--repeat-boots goes with --repeat N (N > 1)', 'add --repeat 3, or drop --repeat-boots');
  // Every input is checked before --out is touched: a typo loses nothing.
  parseKernelSpec(values.kernel);
  const scenario = await resolveScenario(values.scenario);
  const cmdline = [...(scenario.cmdline ?? []), ...values.cmdline.split(/\s+/).filter(Boolean)];
  const { name: profileName, profile } = await pickProfile({ arch: parseArchOption(values.arch), profile: values.profile, scenarioProfile: scenario.profile, scenario: scenario.name });
  checkScenarioFits(scenario, profile);
  checkCmdline(profile, cmdline);
  checkKernelInput(values.kernel, profile.arch, { modules: values.modules, config: values.config, configFragment: values['config-fragment'] });
  if (!values.out) throw inputError('E_USAGE', '--out is empty', 'give a directory, e.g. --out lab-out');
  const out = resolve(values.out);
  await ensureOutDir(out);
  await claimRunDir(out, values.force);

  const view = new RunView(values.verbose);
  const run = {
    kernel: values.kernel,
    scenario,
    accel,
    profile: profileName,
    kernelOptions: {
      modules: values.modules && resolve(values.modules),
      config: values.config && resolve(values.config),
      configFragment: values['config-fragment'] && resolve(values['config-fragment']),
    },
    extraCmdline: cmdline,
    freshBoot: values['fresh-boot'],
  };
  // A repeated run writes each repeat in repeat-<k>/ and the merged report here.
  const events = repeats === 1 ? new EventLog(`${out}/events.jsonl`) : undefined;
  events?.on((e) => view.event(e));
  try {
    const report = await withSignals((signal) =>
      events
        ? runLab({ ...run, out, signal, events })
        : runRepeated({
            ...run,
            out,
            signal,
            repeats,
            freshBoots: values['repeat-boots'],
            onEvents: (ev) => ev.on((e) => view.event(e)),
            onMerged: (merged) => writeRunArtifacts(out, merged),
          }),
    );
    view.close();
    // A repeated run wrote the merged report's files after its last repeat (onMerged).
    if (events) await writeRunArtifacts(out, report);
    process.stdout.write(renderSummary(report) + '\n');
    process.stdout.write(`${out}/report.json: ${report.status} (also ${rendererFiles().join(', ')})\n`);
    const f = report.fault;
    if (f) process.stderr.write(`devmem-lab: ${f.kind}${f.step ? ` in step ${f.step}` : ''} [${f.code}]: ${f.message}\n`);
    if (report.error?.hint) process.stderr.write(`hint: ${report.error.hint}\n`);
    const code = runExitCode(report);
    const flaky = (report.summary.flaky ?? 0) + (report.summary.checks?.flaky ?? 0) + report.safety.filter((s) => s.status === 'flaky').length;
    if (flaky > 0) {
      process.stderr.write(`devmem-lab: ${flaky} result${flaky === 1 ? '' : 's'} varied between the ${repeats} repeats (flaky): not findings${values.bisect && code === EXIT.ok ? '; --bisect counts this run good' : ''}\n`);
    }
    return values.bisect ? bisectCode(code) : code;
  } finally {
    view.close();
    events?.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run':
        return await cmdRun(rest);
      case 'matrix':
        return await cmdMatrix(rest);
      case 'explore':
        return await cmdExplore(rest);
      case 'merge':
        return await cmdMerge(rest);
      case 'report':
        return await cmdReport(rest);
      case 'compare':
        return await cmdCompare(rest);
      case 'bundle':
        return await cmdBundle(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${USAGE}\n\n${MATRIX_USAGE}\n\n${EXPLORE_USAGE}\n\n${REPORT_USAGE}\n`);
        return cmd === undefined ? EXIT.input : EXIT.ok;
      default:
        throw inputError('E_USAGE', `unknown command ${JSON.stringify(cmd)}`, USAGE);
    }
  } catch (e) {
    if (e instanceof LabError) {
      process.stderr.write(`devmem-lab [${e.code}]: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      // A missing tool or an unusable accelerator is fixed like bad input: by the user, before a rerun.
      const code = e.kind === 'input' || e.kind === 'environment' ? EXIT.input : EXIT.runFailed;
      // git bisect run reads 2 as "bad": under --bisect bad input must stop the bisection (255).
      return cmd === 'run' && rest.includes('--bisect') ? bisectCode(code) : code;
    }
    process.stderr.write(`devmem-lab: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.runFailed;
  }
}
