// `bench compare <baseline.json> <candidate.json>`: the CI gate between releases.
// stdout carries the table (or --markdown / --json); the verdict reaches cli.ts as a thrown
// RegressionFound, because cli.ts is the only place that sets exit codes.
import type { Command } from 'commander';
import { COMPARE_DEFAULTS, compareResults } from '../results/compare.js';
import { InputError, RegressionFound } from '../core/errors.js';
import { readResultFile, writeFileAtomic } from '../results/result-file.js';
import { renderCompareHtml } from '../../reports/compare-html.js';
import { renderJson, renderMarkdown, renderText } from '../../reports/compare-text.js';

interface CompareCliOptions {
  threshold: string;
  alpha: string;
  force?: boolean;
  markdown?: boolean;
  json?: boolean;
  html?: string;
}

/** "5", "5%" or "5 %" -> 5. */
function parseThreshold(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(v);
  if (!m) throw new InputError(`--threshold ${JSON.stringify(v)} is not a percentage`, 'write it as 5 or 5% (percent of the baseline median)');
  return Number(m[1]);
}

function parseAlpha(v: string): number {
  const a = Number(v);
  if (!/^\s*[\d.]+(e-?\d+)?\s*$/i.test(v) || !(a > 0 && a < 1)) {
    throw new InputError(`--alpha ${JSON.stringify(v)} is not a significance level`, 'use a number between 0 and 1, e.g. 0.05');
  }
  return a;
}

// ------------------------------------------------------------------ the command

async function runCompare(baselinePath: string, candidatePath: string, o: CompareCliOptions): Promise<void> {
  if (o.json && o.markdown) throw new InputError('--json and --markdown both write to stdout; choose one', 'use --html <file> for a second format');
  const thresholdPct = parseThreshold(o.threshold);
  const alpha = parseAlpha(o.alpha);
  const [base, cand] = await Promise.all([readResultFile(baselinePath), readResultFile(candidatePath)]);
  const c = compareResults(base, cand, { thresholdPct, alpha, force: o.force === true });
  const files = { baseline: baselinePath, candidate: candidatePath };
  const render = o.json ? renderJson : o.markdown ? renderMarkdown : renderText;
  process.stdout.write(render(c, files));
  if (o.html) {
    try {
      await writeFileAtomic(o.html, renderCompareHtml(c, files));
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot write --html ${o.html}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (c.summary.regression > 0) throw new RegressionFound(c.summary.regression, thresholdPct);
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two result files as benchstat does (median delta, 95% CI, Mann-Whitney U); exit 1 on a significant regression beyond the threshold')
    .argument('<baseline>', 'result.json of the baseline run (e.g. the main branch)')
    .argument('<candidate>', 'result.json of the candidate run (e.g. the pull request)')
    .option('--threshold <pct>', 'a significant change counts only beyond this, percent of the baseline median', String(COMPARE_DEFAULTS.thresholdPct))
    .option('--alpha <p>', 'significance level of the Mann-Whitney U test', String(COMPARE_DEFAULTS.alpha))
    .option('--force', 'compare even when the scenario hash or the measured links differ, or one run was on an emulated link and the other on a real path')
    .option('--markdown', 'print Markdown (for $GITHUB_STEP_SUMMARY or a PR comment) instead of the table')
    .option('--json', 'print the comparison as JSON instead of the table')
    .option('--html <file>', 'also write a self-contained HTML comparison report to <file>')
    .addHelpText('after', `
Cells match by link point (swept values and configured link), transport, and workload id
with its parameters. Runs whose scenario hash or calibrated link differ (RTT p50 beyond
max(1 ms, 10 %), loss beyond its 99 % binomial noise) are refused unless --force.
Exit codes: 0 no significant regression, 1 significant regression beyond --threshold,
2 refused, unreadable file or bad flags.
Example: bench compare results/base/result.json results/pr/result.json --html compare.html`)
    .action(async (baseline: string, candidate: string, opts: CompareCliOptions) => {
      await runCompare(baseline, candidate, opts);
    });
}
