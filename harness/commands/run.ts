// `bench run <scenario>`: validate, preflight, run, write result.json + report.html +
// summary.md. Progress goes to stderr (a live line on a TTY, one plain line per cell
// otherwise); stdout only gets the result path. With --baseline <result.json> it is the CI
// gate: the rounds go on until every row against the baseline is decided or the budget is
// spent, then the comparison goes to stdout (and compare.md / compare.html beside the
// result) and the exit code is bench compare's.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { generateCredentials } from '../core/certs.js';
import { BenchError, EnvironmentError, EXIT, InputError, InterruptedError } from '../core/errors.js';
import { hostFacts } from '../core/host.js';
import { loadScenario, scenarioSha256 } from '../scenario/load.js';
import { parseOverrides, type Override } from '../scenario/overrides.js';
import { compareResults } from '../results/compare.js';
import { readResultFile, writeFileAtomic } from '../results/result-file.js';
import { renderCompareHtml } from '../../reports/compare-html.js';
import { renderMarkdown } from '../../reports/compare-text.js';
import { addGateOptions, emitGate, gateOptions, GATE_EXIT_HELP, type GateCliOptions } from './gate.js';
import type { GateSpec } from '../run/rounds.js';
import { ruleText } from '../../reports/verdict.js';
import { isImpaired } from '../core/link.js';
import { RunEngine } from '../run/engine.js';
import { withUndo, type UndoOutcome } from '../core/undo.js';
import { prepareOutDir } from '../results/out-dir.js';
import type { ResultFile } from '../results/types.js';
import { gitDescribe, TOOL_VERSION } from '../core/version.js';
import { isRoot, resolveBackend } from '../../netem/lab.js';
import type { BackendName, Warning } from '../core/types.js';
import { run } from '../core/exec.js';
import type { TransportSpec } from '../subjects/index.js';
import { attachProgress, printSummary } from './run-progress.js';
import { writeReports } from './run-reports.js';

interface RunFlags extends GateCliOptions {
  backend: BackendName | 'auto';
  out?: string;
  label?: string;
  calibrationProbes: string;
  force?: boolean;
  set: string[];
  transports?: string;
  baseline?: string;
  forceCompare?: boolean;
}

/** The gate of --baseline, read and checked before anything privileged happens. */
async function baselineGate(flags: RunFlags, sha: string): Promise<GateSpec | undefined> {
  if (!flags.baseline) {
    if (flags.forceCompare || flags.markdown || flags.json || flags.html) throw new InputError('--force-compare, --markdown, --json and --html go with --baseline <result.json>', 'give the baseline result file to compare against');
    return undefined;
  }
  const { thresholdPct, alpha } = gateOptions(flags);
  const baseline = await readResultFile(flags.baseline);
  // The measured links are compared when the run ends, as bench compare does; a different
  // scenario can be refused now, before any measuring.
  if (baseline.scenarioSha256 !== sha && !flags.forceCompare) {
    throw new InputError(
      `refusing to compare: the baseline ${flags.baseline} ran another scenario (scenarioSha256 ${baseline.scenarioSha256.slice(0, 12)} (${baseline.scenario.name}), this one ${sha.slice(0, 12)})`,
      'run the scenario the baseline ran, or pass --force-compare to compare anyway (as bench compare --force)',
    );
  }
  return { baseline, thresholdPct, alpha, force: flags.forceCompare === true };
}

function sudoOwner(): { uid: number; gid: number } | null {
  const uid = Number(process.env.SUDO_UID);
  const gid = Number(process.env.SUDO_GID);
  return Number.isInteger(uid) && Number.isInteger(gid) && uid > 0 && process.getuid?.() === 0 ? { uid, gid } : null;
}

/**
 * Command transports run a scenario's commands: refuse a `user:` this machine lacks before
 * anything is set up, and warn when they would run as root.
 */
async function commandTransportChecks(transports: readonly TransportSpec[]): Promise<Warning[]> {
  const warnings: Warning[] = [];
  for (const t of transports) {
    if (t.kind !== 'command') continue;
    if (t.user) {
      const id = await run('id', ['-u', t.user], { reject: false });
      if (id.exitCode !== 0) throw new EnvironmentError(`transport ${t.name}: user "${t.user}" does not exist on this machine`, 'create the user, or change `user:` in the scenario');
    } else if (isRoot()) {
      warnings.push({
        code: 'command-as-root',
        message: `transport ${t.name} runs its server and client commands as root`,
        remedy: `add \`user: <name>\` to the transport (e.g. user: nobody) to run them unprivileged`,
      });
    }
  }
  return warnings;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('run a scenario: build the lab, calibrate it, run every cell, write result.json, report.html and summary.md')
    .argument('<scenario>', 'scenario YAML file')
    .addOption(new Option('--backend <name>', 'link emulation backend').choices(['auto', 'netem', 'userspace', 'loopback']).default('auto'))
    .option('--out <dir>', 'output directory (default: results/<scenario>-<utc>/, made unique)')
    .option('--force', 'write into an --out directory that already holds a result.json')
    .option('--set <field=value>', 'override a scenario field, the value read as YAML (repeatable): --set repetitions=5 --set link.loss=1% --set workloads[0].echo.count=500', (v: string, acc: string[]) => [...acc, v], [])
    .option('--transports <list>', 'run only these transports (comma-separated), e.g. --transports tcp,quic')
    .option('--label <text>', 'label stored in the result, e.g. the release under test (default: git describe of the current directory, else the bench version)')
    .option('--calibration-probes <n>', 'UDP echo probes per lab point before any workload', '500')
    .option('--baseline <result.json>', 'the CI gate: add repetitions until every row against this baseline run is decided (or the budget is spent), then compare as bench compare does')
    .option('--force-compare', 'with --baseline: compare even when the scenario hash or the measured links differ (bench compare --force)');
  addGateOptions(cmd)
    .addHelpText('after', `
Exit codes: 0 all cells ok or unsupported, 2 bad scenario or flags, 3 environment not
usable (e.g. not root for a namespace backend), 4 some cells failed or timed out,
130 interrupted (everything set up was removed; the partial result is kept).
With --baseline, bench compare's codes instead of 0 and 4:
${GATE_EXIT_HELP}
The gate options (--threshold, --alpha, --undecided, --markdown, --json, --html) apply with --baseline.
Example: sudo bench run scenarios/loss-5pct.yaml`)
    .action(async (file: string, flags: RunFlags) => {
      let overrides: Override[];
      try {
        overrides = parseOverrides(flags.set, flags.transports);
      } catch (err) {
        throw new InputError((err as Error).message);
      }
      const scenario = await loadScenario(file, overrides);
      const gate = await baselineGate(flags, scenarioSha256(scenario));
      const probes = Number(flags.calibrationProbes);
      if (!Number.isInteger(probes) || probes < 10) throw new InputError(`--calibration-probes ${flags.calibrationProbes}: must be a whole number >= 10`);
      const { backend, reason } = await resolveBackend(flags.backend);
      if (backend === 'loopback' && scenario.points.some((p) => isImpaired(p.link))) {
        throw new InputError(`scenario ${scenario.name} asks for link impairment, which the loopback backend cannot emulate`, 'use --backend auto (as root) or a scenario without impairment, e.g. scenarios/baseline.yaml');
      }
      if (backend !== 'loopback' && !isRoot()) {
        throw new EnvironmentError(`the ${backend} backend needs root to create network namespaces`, `run it with sudo (see README: "sudo bench run ..."), or use --backend loopback for an unimpaired scenario`);
      }
      const owner = sudoOwner();
      const runId = randomBytes(3).toString('hex');
      const outDir = await prepareOutDir({ out: flags.out, scenario: scenario.name, runId, owner, force: flags.force === true });
      const label = flags.label ?? gitDescribe(process.cwd()) ?? `bench ${TOOL_VERSION}`;
      const engine = new RunEngine(scenario, {
        runId,
        backend,
        resultPath: join(outDir, 'result.json'),
        label,
        owner,
        creds: await generateCredentials(),
        calibrationProbes: probes,
        host: await hostFacts(),
        scenarioSource: await readFile(file, 'utf8'),
        gate,
      });
      const cells = scenario.adaptive
        ? `${engine.total} cells for the first look, more while comparisons are undecided (${ruleText(engine.rule)})`
        : `${engine.total} cells`;
      const against = gate ? `; judged against ${flags.baseline} (${gate.baseline.label})` : '';
      process.stderr.write(`bench: ${scenario.name}: backend ${backend} (${reason}); ${cells} over ${scenario.points.length} link point(s)${against}; writing ${outDir}\n`);
      const detach = attachProgress(engine, process.stderr);
      for (const w of await commandTransportChecks(scenario.transports)) engine.warn(w);
      let outcome: UndoOutcome<ResultFile>;
      try {
        // On a signal the engine stops starting cells before cleanup tears the lab down under it.
        outcome = await withUndo((undo) => engine.run(undo), { onSignal: () => engine.abort() });
      } catch (err) {
        await engine.finish('failed').catch(() => undefined);
        throw err instanceof BenchError ? err : new EnvironmentError(`run failed: ${(err as Error).message}`, `the partial result is in ${outDir}`);
      } finally {
        detach();
      }
      if (outcome.interrupted) {
        // Everything set up was removed; the cells measured so far are kept, status interrupted.
        await engine.finish('interrupted').catch(() => undefined);
        await writeReports(engine.result, outDir, owner).catch(() => undefined);
        throw new InterruptedError(outcome.interrupted, `everything the run had set up was removed; partial result in ${join(outDir, 'result.json')}`);
      }
      await writeReports(engine.result, outDir, owner);
      printSummary(engine.result, process.stderr);
      const resultPath = join(outDir, 'result.json');
      if (gate && flags.baseline) {
        const c = compareResults(gate.baseline, engine.result, { thresholdPct: gate.thresholdPct, alpha: gate.alpha, force: gate.force });
        const files = { baseline: flags.baseline, candidate: resultPath };
        await writeFileAtomic(join(outDir, 'compare.md'), renderMarkdown(c, files), { owner });
        await writeFileAtomic(join(outDir, 'compare.html'), renderCompareHtml(c, files), { owner });
        process.stderr.write(`bench: result ${resultPath}; comparison also in ${join(outDir, 'compare.md')} and compare.html\n`);
        await emitGate(c, files, flags);
        return;
      }
      process.stdout.write(`${resultPath}\n`);
      const bad = engine.result.cells.filter((c) => c.status === 'failed' || c.status === 'timeout');
      if (bad.length) throw new BenchError(`${bad.length} of ${engine.result.cells.length} cells failed or timed out (see the summary above and report.html)`, EXIT.cellsFailed);
    });
}
