// `bench export --format github-action-benchmark|bencher <result.json...>`: result files as
// the dashboards maintainers already use read them. Reading, flags and writing live here;
// reports/export.ts is a pure function of the result files.
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { readResultFile, writeFileAtomic } from '../results/result-file.js';
import type { ResultFile } from '../results/types.js';
import { DIRECTIONS, EXPORT_FORMATS, METRIC_IDS, renderExport, type Direction, type ExportFormat } from '../../reports/export.js';

interface ExportCliOptions {
  format: string;
  output: string;
  direction?: string;
  metrics?: string;
}

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new InputError(`${flag} ${JSON.stringify(v)} is not supported (allowed: ${allowed.join(', ')})`);
  return v as T;
}

function parseMetrics(v: string | undefined): string[] | undefined {
  if (v === undefined || v === 'all') return undefined;
  const ids = v.split(',').map((s) => s.trim()).filter(Boolean);
  const known = Object.values(METRIC_IDS);
  const bad = ids.filter((id) => !known.includes(id));
  if (bad.length || ids.length === 0) throw new InputError(`--metrics ${JSON.stringify(v)}: unknown metric ${bad.join(', ') || '(none given)'} (allowed: all, ${known.join(', ')})`);
  return ids;
}

async function runExport(files: string[], o: ExportCliOptions): Promise<void> {
  const format = oneOf<ExportFormat>('--format', o.format, EXPORT_FORMATS);
  const direction = o.direction === undefined ? undefined : oneOf<Direction>('--direction', o.direction, DIRECTIONS);
  if (format === 'github-action-benchmark' && !direction) {
    throw new InputError(
      'github-action-benchmark takes one direction per file (tool customSmallerIsBetter or customBiggerIsBetter)',
      'export twice: --direction smaller (latency, handshake time, loss) and --direction bigger (goodput), one file each',
    );
  }
  const metrics = parseMetrics(o.metrics);
  const results: ResultFile[] = [];
  for (const f of files) results.push(await readResultFile(f));
  let out;
  try {
    out = renderExport(results, format, { direction, metrics });
  } catch (err) {
    throw new InputError((err as Error).message, 'export each scenario once per file, or split the results across exports');
  }
  for (const s of out.skipped) process.stderr.write(`bench: export: skipped ${s.benchmark}: ${s.reason}\n`);
  if (out.count === 0) {
    throw new InputError(
      `nothing to export from ${files.join(', ')}${direction ? ` with --direction ${direction}` : ''}: no ok repetition carries such a metric`,
      direction === 'bigger' ? 'bigger-is-better metrics come from bulk workloads (goodput)' : 'check the run summary: did every cell fail?',
    );
  }
  if (o.output === '-') {
    process.stdout.write(out.content);
    return;
  }
  try {
    await writeFileAtomic(o.output, out.content);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot write ${o.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check that the directory exists and is writable');
  }
  process.stdout.write(`${o.output}\n`);
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write result files as github-action-benchmark custom JSON or Bencher Metric Format (BMF) JSON for dashboards')
    .argument('<result.json...>', 'result files (different scenarios, or one run each)')
    .requiredOption('--format <format>', `${EXPORT_FORMATS.join(' | ')}`)
    .option('--direction <dir>', 'smaller (latency, handshake time, loss: customSmallerIsBetter) or bigger (goodput: customBiggerIsBetter); required for github-action-benchmark')
    .option('--metrics <ids>', `comma-separated metric ids, or all (default: all): ${Object.values(METRIC_IDS).join(', ')}`)
    .option('-o, --output <file>', 'output file ("-" for stdout)', '-')
    .addHelpText('after', `
Names are <scenario>/<point>/<transport>/<workload>[/<metric id>]; they stay the same across
runs and releases. Each value is the median over the ok repetitions with the confidence
interval of that median (95 % from 6 repetitions up, else [min, max]); latency in us,
goodput in Mbit/s, loss in %. Cell groups without an ok repetition are skipped (listed on
stderr); CPU-bound figures are kept and marked (github-action-benchmark: extra; Bencher:
the cpu-bound-repetitions measure).
Example: bench export results/run/result.json --format github-action-benchmark --direction smaller -o bench-smaller.json`)
    .action(async (files: string[], opts: ExportCliOptions) => {
      await runExport(files, opts);
    });
}
