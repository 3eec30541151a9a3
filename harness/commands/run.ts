// `bench run <scenario>`: validate, preflight, run, write result.json + report.html +
// summary.md. Progress goes to stderr (run-progress.ts: lines named by the point's link,
// plus a live line on a TTY); stdout only gets the result path. With --baseline
// <result.json> it is the CI gate: the rounds go on until every row against the baseline is
// decided or the budget is spent, then the comparison goes to stdout (and compare.md /
// compare.html beside the result) and the exit code is bench compare's.
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
import { isRoot, refuseForNetem, resolveBackend } from '../../netem/lab.js';
import type { BackendName, Warning } from '../core/types.js';
import { run } from '../core/exec.js';
import type { TransportSpec } from '../subjects/index.js';
import { prepareRemoteHosts, type RemoteHosts } from '../remote/hosts.js';
import { parseImpairFlag, prepareImpairment, type ImpairRequest, type ImpairTarget } from '../remote/impair.js';
import { destination, isSshInventory, resolveInventory, type SshInventory } from '../remote/inventory.js';
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
  client?: string;
  server?: string;
  hosts?: string;
  router?: string;
  impair: string[];
  impairSshInterface?: boolean;
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
async function commandTransportChecks(transports: readonly TransportSpec[], remote: boolean): Promise<Warning[]> {
  const warnings: Warning[] = [];
  for (const t of transports) {
    // On remote hosts the ssh user runs the commands (a `user:` makes the transport unsupported there).
    if (t.kind !== 'command' || remote) continue;
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

/** Reach and check both hosts: the first failure is a host-named error, and whatever was done is undone. */
async function prepareHosts(inv: SshInventory, undo: Parameters<typeof prepareRemoteHosts>[1], impair: ImpairRequest[]): Promise<RemoteHosts> {
  process.stderr.write(`bench: reaching ${destination(inv.client)} and ${destination(inv.server)} over ssh...\n`);
  // An endpoint to be impaired must allow it before anything is pushed there.
  const privileged = impair.flatMap((r) => (r.where === 'router' ? [] : [{ role: r.where, why: `netem on ${r.dev}` }]));
  return prepareRemoteHosts(inv, undo, { privileged });
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
    .option('--calibration-probes <n>', 'UDP echo probes per lab point before any workload; auto: enough to resolve the configured loss to ±30 % at 95 % (at least 500, at most 30 s of probing)', 'auto')
    .option('--client <endpoint>', 'where the client endpoint runs: local (the lab) or ssh://[user@]host[:port]?addr=<test address> (see README "Two hosts")')
    .option('--server <endpoint>', 'where the server endpoint runs, like --client')
    .option('--hosts <file>', 'a hosts file with client: and server: entries (and an optional router:), instead of --client/--server')
    .option('--router <host>', 'a middle hop between the two hosts, ssh://[user@]host[:port], reached only to impair the path there')
    .option('--impair <host:dev>', 'two hosts only: put the scenario link on interface dev of host client, server or router with netem (repeatable, one per direction); needs root or sudo=yes there', (v: string, acc: string[]) => [...acc, v], [])
    .option('--impair-ssh-interface', 'allow --impair on the interface that carries bench\'s own SSH session')
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
Example: sudo bench run scenarios/loss-5pct.yaml
Two hosts: bench run scenarios/baseline.yaml --client 'ssh://root@a?addr=10.0.0.1' --server 'ssh://root@b?addr=10.0.0.2'`)
    .action(async (file: string, flags: RunFlags) => {
      let overrides: Override[];
      try {
        overrides = parseOverrides(flags.set, flags.transports);
      } catch (err) {
        throw new InputError((err as Error).message);
      }
      const scenario = await loadScenario(file, overrides);
      const gate = await baselineGate(flags, scenarioSha256(scenario));
      const probes = flags.calibrationProbes === 'auto' ? undefined : Number(flags.calibrationProbes);
      if (probes !== undefined && (!Number.isInteger(probes) || probes < 10)) throw new InputError(`--calibration-probes ${flags.calibrationProbes}: must be auto or a whole number >= 10`);
      const inventory = await resolveInventory(flags);
      const remote = isSshInventory(inventory) ? inventory : null;
      const impair = flags.impair.map((v) => parseImpairFlag(v, flags.impairSshInterface === true));
      if (impair.length && !remote) throw new InputError('--impair applies to a run between two hosts (--client/--server ssh://... or --hosts); the local lab emulates the scenario\'s link itself', 'drop --impair, or give the hosts');
      let backend: ResultFile['backend'];
      let reason: string;
      if (remote) {
        if (flags.backend !== 'auto') throw new InputError(`--backend ${flags.backend} applies to the local lab; with --client/--server ssh://... the link is the real path between the hosts`, 'drop --backend');
        backend = 'real-path';
        reason = `client ${destination(remote.client)}, server ${destination(remote.server)}`;
      } else {
        const b = await resolveBackend(flags.backend);
        backend = b.backend;
        reason = b.reason;
        if (b.backend === 'netem') refuseForNetem(scenario.points);
        if (b.backend === 'loopback' && scenario.points.some((p) => isImpaired(p.link))) {
          throw new InputError(`scenario ${scenario.name} asks for link impairment, which the loopback backend cannot emulate`, 'use --backend auto (as root) or a scenario without impairment, e.g. scenarios/baseline.yaml');
        }
        if (b.backend !== 'loopback' && !isRoot()) {
          throw new EnvironmentError(`the ${b.backend} backend needs root to create network namespaces`, `run it with sudo (see README: "sudo bench run ..."), or use --backend loopback for an unimpaired scenario`);
        }
      }
      const owner = sudoOwner();
      const runId = randomBytes(3).toString('hex');
      const label = flags.label ?? gitDescribe(process.cwd()) ?? `bench ${TOOL_VERSION}`;
      const creds = await generateCredentials();
      const host = await hostFacts();
      const scenarioSource = await readFile(file, 'utf8');
      let engine: RunEngine | null = null;
      let outDir = '';
      let detach = (): void => undefined;
      let outcome: UndoOutcome<ResultFile>;
      try {
        // On a signal the engine stops starting cells before cleanup tears the lab down under it.
        outcome = await withUndo(
          async (undo) => {
            // Remote hosts are reached and checked before anything is written: a host that
            // cannot run the scenario leaves no output directory behind.
            const hosts: RemoteHosts | undefined = remote ? await prepareHosts(remote, undo, impair) : undefined;
            const targets: ImpairTarget[] = [];
            for (const r of impair) targets.push(await prepareImpairment(r, hosts!, inventory.router, undo));
            const twice = targets.find((t, i) => targets.findIndex((u) => u.direction === t.direction) !== i);
            if (twice) throw new InputError(`--impair: two interfaces would shape the ${twice.direction} (client→server is uplink) direction`, 'give at most one interface per direction');
            outDir = await prepareOutDir({ out: flags.out, scenario: scenario.name, runId, owner, force: flags.force === true });
            const e = new RunEngine(scenario, { runId, backend, remote: hosts, impair: targets, resultPath: join(outDir, 'result.json'), label, owner, creds, calibrationProbes: probes, host, scenarioSource, gate });
            engine = e;
            const cells = scenario.adaptive
              ? `${e.total} cells for the first look, more while comparisons are undecided (${ruleText(e.rule)})`
              : `${e.total} cells`;
            const against = gate ? `; judged against ${flags.baseline} (${gate.baseline.label})` : '';
            process.stderr.write(`bench: ${scenario.name}: ${remote ? 'real path' : `backend ${backend}`} (${reason}); ${cells} over ${scenario.points.length} link point(s)${against}; writing ${outDir}\n`);
            detach = attachProgress(e, process.stderr);
            for (const w of await commandTransportChecks(scenario.transports, remote !== null)) e.warn(w);
            return e.run(undo);
          },
          { onSignal: () => engine?.abort() },
        );
      } catch (err) {
        const e = engine as RunEngine | null;
        await e?.finish('failed').catch(() => undefined);
        throw err instanceof BenchError ? err : new EnvironmentError(`run failed: ${(err as Error).message}`, outDir ? `the partial result is in ${outDir}` : 'nothing was written');
      } finally {
        detach();
      }
      if (!engine) throw new InterruptedError(outcome.interrupted ?? 'interrupted', 'interrupted before the run started; nothing was written');
      const engineDone = engine as RunEngine;
      if (outcome.interrupted) {
        // Everything set up was removed; the cells measured so far are kept, status interrupted.
        await engineDone.finish('interrupted').catch(() => undefined);
        await writeReports(engineDone.result, outDir, owner).catch(() => undefined);
        throw new InterruptedError(outcome.interrupted, `everything the run had set up was removed; partial result in ${join(outDir, 'result.json')}`);
      }
      await writeReports(engineDone.result, outDir, owner);
      printSummary(engineDone.result, process.stderr);
      const resultPath = join(outDir, 'result.json');
      if (gate && flags.baseline) {
        const c = compareResults(gate.baseline, engineDone.result, { thresholdPct: gate.thresholdPct, alpha: gate.alpha, force: gate.force });
        const files = { baseline: flags.baseline, candidate: resultPath };
        await writeFileAtomic(join(outDir, 'compare.md'), renderMarkdown(c, files), { owner });
        await writeFileAtomic(join(outDir, 'compare.html'), renderCompareHtml(c, files), { owner });
        process.stderr.write(`bench: result ${resultPath}; comparison also in ${join(outDir, 'compare.md')} and compare.html\n`);
        await emitGate(c, files, flags);
        return;
      }
      process.stdout.write(`${resultPath}\n`);
      const bad = engineDone.result.cells.filter((c) => c.status === 'failed' || c.status === 'timeout');
      if (bad.length) throw new BenchError(`${bad.length} of ${engineDone.result.cells.length} cells failed or timed out (see the summary above and report.html)`, EXIT.cellsFailed);
    });
}
