// `bench report <result.json...>`: render the HTML report (or the trend across releases with
// --trend) and optionally summary.md. Reading and writing live here; the renderers in
// reports/ are pure functions of the result files.
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { readResultFile, writeFileAtomic } from '../results/result-file.js';
import type { ResultFile } from '../results/types.js';
import { renderHtmlReport } from '../../reports/html.js';
import { renderSummaryMarkdown } from '../../reports/summary.js';
import { renderTrendReport } from '../../reports/trend.js';

interface ReportCliOptions {
  output?: string;
  trend?: boolean;
  markdown?: string;
  title?: string;
}

/** Where the HTML goes: beside a single result (results/<run>/report.html), else ./report.html. */
function defaultOutput(files: string[], trend: boolean): string {
  if (trend) return resolve('trend.html');
  return files.length === 1 ? join(dirname(resolve(files[0])), 'report.html') : resolve('report.html');
}

async function emit(path: string, content: string): Promise<void> {
  if (path === '-') {
    process.stdout.write(content);
    return;
  }
  try {
    await writeFileAtomic(path, content);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InputError(`cannot write ${path}: ${code}`, 'check that the directory exists and is writable');
  }
  // The written path is the command's data: one line per file on stdout.
  process.stdout.write(`${path}\n`);
}

async function runReport(files: string[], opts: ReportCliOptions): Promise<void> {
  if (opts.trend && files.length < 2) {
    throw new InputError('--trend needs at least two result files, one per release, oldest first');
  }
  const results: ResultFile[] = [];
  for (const f of files) results.push(await readResultFile(f));
  const out = opts.output ?? defaultOutput(files, !!opts.trend);
  if (out === '-' && opts.markdown === '-') throw new InputError('-o - and --markdown - both want stdout', 'write one of them to a file');
  const html = opts.trend ? renderTrendReport(results, { title: opts.title }) : renderHtmlReport(results, { title: opts.title });
  await emit(out === '-' ? out : resolve(out), html);
  if (opts.markdown) {
    const md = results.map((r) => renderSummaryMarkdown(r)).join('\n---\n\n');
    await emit(opts.markdown === '-' ? '-' : resolve(opts.markdown), md);
  }
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render a self-contained HTML report (and optionally summary.md) from result files')
    .argument('<result.json...>', 'result files; several are shown side by side (or as a trend with --trend, oldest first)')
    .option('-o, --output <file>', 'HTML output ("-" for stdout) (default: report.html beside a single result, else ./report.html; ./trend.html with --trend)')
    .option('--trend', 'chart each metric across the results in the order given (x = result label) and flag significant regressions')
    .option('--markdown <file>', 'also write the Markdown summary for CI step summaries / PR comments ("-" for stdout)')
    .option('--title <text>', 'page title')
    .action(async (files: string[], opts: ReportCliOptions) => {
      await runReport(files, opts);
    });
}
