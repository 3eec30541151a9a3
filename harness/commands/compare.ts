// `bench compare <baseline.json> <candidate.json>`: the CI gate between releases.
// stdout carries the table (or --markdown / --json); the verdict reaches cli.ts as a thrown
// RegressionFound, because cli.ts is the only place that sets exit codes.
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { compareResults, regressionCount, type Comparison } from '../compare.js';
import { InputError, RegressionFound } from '../errors.js';
import { readResultFile } from '../result-file.js';
import {
  COLUMNS, NUMERIC_COLUMNS, groupName, implementationLines, legend, notOkLine, renderCompareHtml, rowsOf, runLine, summaryLine, type Row,
} from '../../reports/compare-html.js';

export interface CompareCliOptions {
  threshold: string;
  alpha: string;
  force?: boolean;
  markdown?: boolean;
  json?: boolean;
  html?: string;
}

interface Files {
  baseline: string;
  candidate: string;
}

/** "5", "5%" or "5 %" -> 5. */
export function parseThreshold(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(v);
  if (!m) throw new InputError(`--threshold ${JSON.stringify(v)} is not a percentage`, 'write it as 5 or 5% (percent of the baseline median)');
  return Number(m[1]);
}

export function parseAlpha(v: string): number {
  const a = Number(v);
  if (!/^\s*[\d.]+(e-?\d+)?\s*$/i.test(v) || !(a > 0 && a < 1)) {
    throw new InputError(`--alpha ${JSON.stringify(v)} is not a significance level`, 'use a number between 0 and 1, e.g. 0.05');
  }
  return a;
}

// ------------------------------------------------------------------ terminal table

function pad(s: string, w: number, right: boolean): string {
  const len = [...s].length;
  return right ? ' '.repeat(w - len) + s : s + ' '.repeat(w - len);
}

export function renderText(c: Comparison, files: Files): string {
  const rows = rowsOf(c);
  const cols = COLUMNS.filter(([k]) => k !== 'ci' || rows.some((r) => r.ci !== ''));
  const width = cols.map(([k, h]) => Math.max([...h].length, ...rows.map((r) => [...r[k]].length)));
  const line = (cells: string[]): string => cells.map((s, i) => pad(s, width[i], NUMERIC_COLUMNS.has(cols[i][0]))).join('  ').trimEnd();
  const out = [
    `baseline:  ${files.baseline} ${runLine(c.baseline)}`,
    `candidate: ${files.candidate} ${runLine(c.candidate)}`,
    `scenario ${c.baseline.scenario} (${c.baseline.scenarioSha256.slice(0, 12)}), threshold ${c.options.thresholdPct}%, alpha ${c.options.alpha}`,
  ];
  for (const r of c.overridden) out.push(`forced past: ${r}`);
  out.push('');
  if (rows.length > 0) {
    out.push(line(cols.map(([, h]) => h)));
    for (const r of rows) out.push(line(cols.map(([k]) => r[k])));
    out.push('', ...legend(c));
  } else {
    out.push('no cells in common');
  }
  const section = (title: string, items: string[]): void => {
    if (items.length) out.push('', `${title}:`, ...items.map((i) => `  ${i}`));
  };
  section('implementations', implementationLines(c));
  section('only in baseline', c.onlyInBaseline.map(groupName));
  section('only in candidate', c.onlyInCandidate.map(groupName));
  section('cells not ok', c.notOk.map(notOkLine));
  section('notes', c.notes);
  out.push('', summaryLine(c));
  return `${out.join('\n')}\n`;
}

// ------------------------------------------------------------------ Markdown

const md = (s: string): string => s.replace(/\|/g, '\\|');

export function renderMarkdown(c: Comparison, files: Files): string {
  const rows = rowsOf(c);
  const out = [
    `## bench compare: ${md(c.baseline.label)} → ${md(c.candidate.label)}`,
    '',
    `- baseline: \`${md(files.baseline)}\` ${md(runLine(c.baseline))}`,
    `- candidate: \`${md(files.candidate)}\` ${md(runLine(c.candidate))}`,
    `- scenario ${md(c.baseline.scenario)} (\`${c.baseline.scenarioSha256.slice(0, 12)}\`), threshold ${c.options.thresholdPct}%, alpha ${c.options.alpha}`,
    '',
    `**${summaryLine(c)}**`,
    '',
  ];
  if (c.overridden.length) out.push('Compared despite (`--force`):', '', ...c.overridden.map((r) => `- ${md(r)}`), '');
  if (rows.length > 0) {
    out.push(`| ${COLUMNS.map(([, h]) => h).join(' | ')} |`);
    out.push(`|${COLUMNS.map(([k]) => (NUMERIC_COLUMNS.has(k) ? '---:' : '---')).join('|')}|`);
    for (const r of rows) {
      out.push(`| ${COLUMNS.map(([k]) => (k === 'verdict' && r.kind === 'regression' ? `**${r[k]}**` : md(r[k]))).join(' | ')} |`);
    }
    out.push('', ...legend(c).map((l) => `<sub>${md(l)}</sub><br>`), '');
  }
  const section = (title: string, items: string[]): void => {
    if (items.length) out.push(`**${title}**`, '', ...items.map((i) => `- ${md(i)}`), '');
  };
  section('Implementations', implementationLines(c));
  section('Only in baseline', c.onlyInBaseline.map(groupName));
  section('Only in candidate', c.onlyInCandidate.map(groupName));
  section('Cells not ok', c.notOk.map(notOkLine));
  section('Notes', c.notes);
  return `${out.join('\n').trimEnd()}\n`;
}

// ------------------------------------------------------------------ JSON

export const COMPARE_FORMAT_VERSION = 1;

export function renderJson(c: Comparison, files: Files): string {
  return `${JSON.stringify({ kind: 'bench-compare', formatVersion: COMPARE_FORMAT_VERSION, files, ...c }, null, 1)}\n`;
}

// ------------------------------------------------------------------ the command

export async function runCompare(baselinePath: string, candidatePath: string, o: CompareCliOptions): Promise<void> {
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
      await writeFile(o.html, renderCompareHtml(c, files));
    } catch (err) {
      throw new InputError(`cannot write --html ${o.html}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const n = regressionCount(c);
  if (n > 0) throw new RegressionFound(n, thresholdPct);
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two result files as benchstat does (median delta, 95% CI, Mann-Whitney U); exit 1 on a significant regression beyond the threshold')
    .argument('<baseline>', 'result.json of the baseline run (e.g. the main branch)')
    .argument('<candidate>', 'result.json of the candidate run (e.g. the pull request)')
    .option('--threshold <pct>', 'a significant change counts only beyond this, percent of the baseline median', '5')
    .option('--alpha <p>', 'significance level of the Mann-Whitney U test', '0.05')
    .option('--force', 'compare even when the scenario hash or the measured links differ')
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
