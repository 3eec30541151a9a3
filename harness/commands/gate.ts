// What `bench compare` and `bench run --baseline` share: the gate's options, its outputs
// (the table, Markdown or JSON on stdout; --html to a file) and its verdict, thrown for
// cli.ts to map to an exit code: 1 a decided regression or a lost measurement, 5 undecided
// rows and nothing regressed (0 with --undecided pass), 0 every row decided and none regressed.
import { Option, type Command } from 'commander';
import { InputError, RegressionFound, UndecidedFound } from '../core/errors.js';
import { COMPARE_DEFAULTS, type Comparison } from '../results/compare.js';
import { writeFileAtomic } from '../results/result-file.js';
import { renderCompareHtml } from '../../reports/compare-html.js';
import { renderJson, renderMarkdown, renderText, type CompareFiles } from '../../reports/compare-text.js';

export interface GateCliOptions {
  threshold: string;
  alpha: string;
  undecided: 'pass' | 'fail';
  markdown?: boolean;
  json?: boolean;
  html?: string;
}

/** "5", "5%" or "5 %" -> 5. */
function parseThreshold(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(v);
  if (!m) throw new InputError(`--threshold ${JSON.stringify(v)} is not a percentage`, 'write it as 5 or 5% (percent of the baseline)');
  const t = Number(m[1]);
  if (!(t < 100)) throw new InputError(`--threshold ${JSON.stringify(v)} must be below 100 %`, 'write it as 5 or 5% (percent of the baseline)');
  return t;
}

function parseAlpha(v: string): number {
  const a = Number(v);
  if (!/^\s*[\d.]+(e-?\d+)?\s*$/i.test(v) || !(a > 0 && a < 1)) {
    throw new InputError(`--alpha ${JSON.stringify(v)} is not a significance level`, 'use a number between 0 and 1, e.g. 0.05');
  }
  return a;
}

/** The gate's options, checked before anything runs. */
export function gateOptions(o: GateCliOptions): { thresholdPct: number; alpha: number } {
  if (o.json && o.markdown) throw new InputError('--json and --markdown both write to stdout; choose one', 'use --html <file> for a second format');
  return { thresholdPct: parseThreshold(o.threshold), alpha: parseAlpha(o.alpha) };
}

/** Adds the gate's options to a command. */
export function addGateOptions(cmd: Command): Command {
  return cmd
    .option('--threshold <pct>', 'a decided change counts as a regression or improvement only beyond this, percent; also the margin of "same"', String(COMPARE_DEFAULTS.thresholdPct))
    .option('--alpha <p>', 'chance that an unchanged candidate fails the gate, over all its rows (each row is judged at alpha / rows)', String(COMPARE_DEFAULTS.alpha))
    .addOption(new Option('--undecided <what>', 'what undecided rows do when nothing regressed: fail (exit 5) or pass (exit 0)').choices(['pass', 'fail']).default('fail'))
    .option('--markdown', 'print Markdown (for $GITHUB_STEP_SUMMARY or a PR comment) instead of the table')
    .option('--json', 'print the comparison as JSON instead of the table')
    .option('--html <file>', 'also write a self-contained HTML comparison report to <file>');
}

/** Print the comparison, write --html, and throw the gate's verdict (nothing when it passes). */
export async function emitGate(c: Comparison, files: CompareFiles, o: GateCliOptions): Promise<void> {
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
  throwVerdict(c, o.undecided);
}

export function throwVerdict(c: Comparison, undecided: 'pass' | 'fail'): void {
  if (c.outcome === 'regression') throw new RegressionFound(c.summary.regression, c.options.thresholdPct, c.lost.length);
  if (c.outcome === 'undecided' && undecided === 'fail') {
    const open = c.groups.flatMap((g) => g.metrics).filter((m) => m.verdict === 'undecided');
    const more = open.reduce<number | null>((m, x) => (m === null || x.decision.moreRepsNeeded === null ? null : Math.max(m, x.decision.moreRepsNeeded)), 0);
    throw new UndecidedFound(c.summary.undecided, c.family.rows, open.length ? more : null);
  }
}

/** The exit codes the gate's help text states. */
export const GATE_EXIT_HELP = `Exit codes: 0 every row decided and none regressed, 1 a decided regression beyond
--threshold or a measurement the baseline had that the candidate lost (missing, no ok
repetition, or failures where the baseline had none), 5 nothing regressed but some rows
stayed undecided (0 with --undecided pass), 2 refused, unreadable file or bad flags.`;
