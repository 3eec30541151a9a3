// `bench compare <baseline.json> <candidate.json>`: the CI gate between releases.
// stdout carries the table (or --markdown / --json); the verdict reaches cli.ts as a thrown
// GateVerdict (commands/gate.ts), because cli.ts is the only place that sets exit codes.
import type { Command } from 'commander';
import { compareResults } from '../results/compare.js';
import { readResultFile } from '../results/result-file.js';
import { addGateOptions, emitGate, gateOptions, GATE_EXIT_HELP, type GateCliOptions } from './gate.js';

interface CompareCliOptions extends GateCliOptions {
  force?: boolean;
}

async function runCompare(baselinePath: string, candidatePath: string, o: CompareCliOptions): Promise<void> {
  const { thresholdPct, alpha } = gateOptions(o);
  const [base, cand] = await Promise.all([readResultFile(baselinePath), readResultFile(candidatePath)]);
  const c = compareResults(base, cand, { thresholdPct, alpha, force: o.force === true });
  await emitGate(c, { baseline: baselinePath, candidate: candidatePath }, o);
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command('compare')
    .description('compare two result files: each headline metric of each measurement decided faster, slower, same or undecided; exit 1 on a decided regression beyond the threshold, 5 when rows stay undecided')
    .argument('<baseline>', 'result.json of the baseline run (e.g. the main branch)')
    .argument('<candidate>', 'result.json of the candidate run (e.g. the pull request)')
    .option('--force', 'compare even when the scenario hash or the measured links differ, or one run was on an emulated link and the other on a real path');
  addGateOptions(cmd).addHelpText('after', `
Cells match by link point (swept values and configured link), transport, and workload id
with its parameters. Runs whose scenario hash or calibrated link differ (RTT p50 beyond
max(1 ms, 10 %), loss beyond its 99 % binomial noise) are refused unless --force.
${GATE_EXIT_HELP}
Example: bench compare results/base/result.json results/pr/result.json --html compare.html`)
    .action(async (baseline: string, candidate: string, opts: CompareCliOptions) => {
      await runCompare(baseline, candidate, opts);
    });
}
