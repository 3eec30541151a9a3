// Dashboard exports (issue 19): pure functions of result files into the formats maintainers
// already chart with, github-action-benchmark's custom JSON and Bencher Metric Format.
//
// One value per metric per cell group: the median over the group's ok repetitions (the
// figure every bench report shows), with the order-statistics confidence interval of that
// median as the range (95 % from 6 repetitions up; below that [min, max], whose lower
// confidence is stated where the format has room for text).
//
// Names are the contract with a dashboard's history, so they are built only from what stays
// put across runs and releases: scenario name, link point label, transport, workload id
// (which carries its parameters) and a fixed id per metric with its unit. Never the
// implementation (a library upgrade must continue its line, not start a new one), the
// repetition count or the date.
//
// Cell groups without an ok repetition (failed, timeout, unsupported) have no figure and are
// left out, listed in `skipped` with their reasons. CPU-bound figures stay in, marked in
// github-action-benchmark's `extra` and, for Bencher (which has no free text), by the
// `cpu-bound-repetitions` measure beside the figures: a CPU-bound figure measures the
// endpoint's CPU, not the link, and a dashboard must not hide that (DESIGN).
import { METRICS, type MetricDef } from '../harness/results/metrics.js';
import { medianCI, type Interval } from '../harness/core/stats.js';
import type { ResultFile } from '../harness/results/types.js';
import { sigTrim } from './format.js';
import { groupCells, labOf, metricValues, pointLabel, type CellGroup } from './model.js';

export const EXPORT_FORMATS = ['github-action-benchmark', 'bencher'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** github-action-benchmark's tools customSmallerIsBetter / customBiggerIsBetter. */
export const DIRECTIONS = ['smaller', 'bigger'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Exported unit and the factor from the registry's unit (harness/metrics.ts) to it. */
const UNITS: Record<MetricDef['unit'], { unit: string; scale: number }> = {
  us: { unit: 'us', scale: 1 },
  'bit/s': { unit: 'Mbit/s', scale: 1e-6 },
  pct: { unit: '%', scale: 1 },
  rtt: { unit: 'round trips', scale: 1 },
  // 1 yes, 0 no (a median between them: the share of repetitions that said yes).
  bool: { unit: 'yes=1', scale: 1 },
};

/**
 * Exported id of each registered metric, with its unit. Part of every exported name: never
 * change one (test/export-formats.test.ts pins them). Kebab case, <= 64 characters: valid
 * Bencher measure slugs.
 */
export const METRIC_IDS: Readonly<Record<string, string>> = {
  rttP50Us: 'rtt-p50-us',
  rttP90Us: 'rtt-p90-us',
  rttP99Us: 'rtt-p99-us',
  rttP999Us: 'rtt-p999-us',
  rttMaxUs: 'rtt-max-us',
  firstExchangeUs: 'first-exchange-us',
  echoLossPct: 'echo-loss-pct',
  goodputBitsPerSec: 'goodput-mbit-s',
  steadyGoodputBitsPerSec: 'steady-goodput-mbit-s',
  handshakeP50Us: 'handshake-p50-us',
  handshakeP99Us: 'handshake-p99-us',
  setupP50Us: 'setup-p50-us',
  setupRoundTrips: 'setup-rtt',
  handshakeRoundTrips: 'handshake-rtt',
  exchangeP50Us: 'exchange-p50-us',
  exchangeP90Us: 'exchange-p90-us',
  exchangeP99Us: 'exchange-p99-us',
  exchangeMaxUs: 'exchange-max-us',
  exchangeSeriesUs: 'exchange-series-us',
  exchangeSetupUs: 'exchange-setup-us',
  streamP50Us: 'stream-p50-us',
  streamP90Us: 'stream-p90-us',
  streamP99Us: 'stream-p99-us',
  firstStreamP50Us: 'first-stream-p50-us',
  roundP50Us: 'round-p50-us',
  roundP99Us: 'round-p99-us',
  spreadP50Us: 'spread-p50-us',
  spreadP99Us: 'spread-p99-us',
  fullSetupP50Us: 'full-setup-p50-us',
  fullFirstByteP50Us: 'full-first-byte-p50-us',
  resumedSetupP50Us: 'resumed-setup-p50-us',
  resumedFirstByteP50Us: 'resumed-first-byte-p50-us',
  fullSetupRoundTrips: 'full-setup-rtt',
  resumedSetupRoundTrips: 'resumed-setup-rtt',
  resumedFirstByteRoundTrips: 'resumed-first-byte-rtt',
  resumedPct: 'resumed-pct',
  earlyDataPct: 'early-data-pct',
  halfCloseCarried: 'half-close-carried',
  halfCloseAnswerUs: 'half-close-answer-us',
};

/** Bencher measures beside the figures: how many repetitions the figures stand on. */
export const COUNT_MEASURES = { ok: 'ok-repetitions', cpuBound: 'cpu-bound-repetitions' } as const;

export interface ExportOptions {
  /** Only metrics of this direction (required for github-action-benchmark). */
  direction?: Direction;
  /** Only these metric ids (METRIC_IDS values); all when absent. */
  metrics?: readonly string[];
}

/** One exported figure, format-neutral. */
export interface ExportPoint {
  /** scenario/point/transport/workload */
  benchmark: string;
  metricId: string;
  metric: string;
  unit: string;
  direction: Direction;
  /** Median and its interval, in `unit`. */
  value: number;
  lower: number;
  upper: number;
  confidence: number;
  okReps: number;
  reps: number;
  cpuBoundReps: number;
  implementation: string;
  /** A caveat of this figure (an interpolated p99.9), for formats with free text. */
  note: string | null;
  context: string;
}

export interface Skipped {
  benchmark: string;
  reason: string;
}

export interface ExportData {
  points: ExportPoint[];
  skipped: Skipped[];
}

export interface Exported {
  content: string;
  /** Figures written. */
  count: number;
  skipped: Skipped[];
}

export function directionOf(def: MetricDef): Direction {
  return def.better === 'lower' ? 'smaller' : 'bigger';
}

export function benchmarkName(result: ResultFile, g: Pick<CellGroup, 'point' | 'transport' | 'workload'>): string {
  return `${result.scenario.name}/${pointLabel(result, g.point)}/${g.transport}/${g.workload}`;
}

/** Six significant digits: no float noise (4.800000000001) in a dashboard's history. */
function round(v: number): number {
  return Number(v.toPrecision(6));
}

function context(result: ResultFile, g: CellGroup): string {
  const lab = labOf(result, g.point);
  const rtt = lab?.measured ? `calibrated RTT p50 ${sigTrim(lab.measured.rttMs.p50)} ms` : 'not calibrated';
  return `${result.backend} backend, ${rtt}; bench ${result.tool.version}, run "${result.label}" ${result.startedAt}`;
}

/** The report's † on p99.9 (reports/tables.ts): below 1000 exchanges it is interpolated. */
function noteOf(metric: string, g: CellGroup): string | null {
  if (metric !== 'rttP999Us') return null;
  const fewest = Math.min(...g.ok.map((c) => c.samples.rttUs?.length ?? 0));
  return fewest < 1000 ? `fewer than 1000 exchanges per repetition (${fewest}): p99.9 is interpolated between the largest samples` : null;
}

function skipReason(g: CellGroup): string {
  const why = [...new Set(g.cells.map((c) => `${c.status}${c.reason ? `: ${c.reason}` : ''}`))];
  return `no ok repetition (${why.join('; ')})`;
}

function selected(metric: string, def: MetricDef, opts: ExportOptions): boolean {
  if (opts.metrics && !opts.metrics.includes(METRIC_IDS[metric] ?? metric)) return false;
  return !opts.direction || directionOf(def) === opts.direction;
}

/** Every exportable figure of the given results, in report order. */
export function collectExport(results: readonly ResultFile[], opts: ExportOptions = {}): ExportData {
  const points: ExportPoint[] = [];
  const skipped: Skipped[] = [];
  for (const result of results) {
    for (const g of groupCells(result)) {
      const benchmark = benchmarkName(result, g);
      const wanted = Object.entries(METRICS).filter(([metric, def]) => def.kind === g.kind && selected(metric, def, opts));
      if (wanted.length === 0) continue;
      if (g.ok.length === 0) {
        skipped.push({ benchmark, reason: skipReason(g) });
        continue;
      }
      for (const [metric, def] of wanted) {
        const metricId = METRIC_IDS[metric] ?? metric;
        const direction = directionOf(def);
        const values = metricValues(g, metric);
        if (values.length === 0) continue;
        const ci: Interval = medianCI(values);
        const { unit, scale } = UNITS[def.unit];
        points.push({
          benchmark,
          metricId,
          metric: def.label,
          unit,
          direction,
          value: round(ci.estimate * scale),
          lower: round(ci.lo * scale),
          upper: round(ci.hi * scale),
          confidence: ci.confidence,
          okReps: values.length,
          reps: g.cells.length,
          cpuBoundReps: g.cpuBoundReps,
          implementation: g.implementation,
          note: noteOf(metric, g),
          context: context(result, g),
        });
      }
    }
  }
  return { points, skipped };
}

/** Two groups exporting under one name would merge two lines into one: refuse. */
export function duplicateNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
}

/** "75% CI [4.39, 5]": the median's interval with its achieved confidence; one repetition has none. */
function interval(p: ExportPoint): string {
  if (p.okReps === 1) return 'one repetition: no interval';
  return `${Math.floor(p.confidence * 1000) / 10}% CI [${sigTrim(p.lower, 4)}, ${sigTrim(p.upper, 4)}]`;
}

// ------------------------------------------------------------- github-action-benchmark

/** Fields of github-action-benchmark's BenchmarkResult (src/extract.ts). */
export interface GabEntry {
  name: string;
  value: number;
  unit: string;
  range?: string;
  extra?: string;
}

export function toGithubActionBenchmark(points: readonly ExportPoint[]): GabEntry[] {
  return points.map((p) => {
    const extra = [
      `${p.metric} in ${p.unit}: median of ${p.okReps} ok repetition${p.okReps === 1 ? '' : 's'}${p.okReps < p.reps ? ` (of ${p.reps}; the others failed or timed out)` : ''}, ${interval(p)}`,
      `implementation: ${p.implementation}`,
      ...(p.note ? [p.note] : []),
      ...(p.cpuBoundReps > 0 ? [`CPU-bound in ${p.cpuBoundReps} of ${p.okReps} repetitions: this figure measures the endpoint's CPU, not the link`] : []),
      p.context,
    ];
    return { name: `${p.benchmark}/${p.metricId}`, value: p.value, unit: p.unit, range: interval(p), extra: extra.join('\n') };
  });
}

// ------------------------------------------------------------- Bencher Metric Format

export interface BmfMetric {
  value: number;
  lower_value?: number;
  upper_value?: number;
}

export type Bmf = Record<string, Record<string, BmfMetric>>;

export function toBencher(points: readonly ExportPoint[]): Bmf {
  const out: Bmf = {};
  const counts = new Map<string, ExportPoint>();
  for (const p of points) {
    (out[p.benchmark] ??= {})[p.metricId] = { value: p.value, lower_value: p.lower, upper_value: p.upper };
    counts.set(p.benchmark, p);
  }
  // Counts are per cell group, the same for every metric of it: after the figures.
  for (const [benchmark, p] of counts) {
    out[benchmark][COUNT_MEASURES.ok] = { value: p.okReps };
    out[benchmark][COUNT_MEASURES.cpuBound] = { value: p.cpuBoundReps };
  }
  return out;
}

/** The export a format asks for; throws (Error) when names collide or nothing is left. */
export function renderExport(results: readonly ResultFile[], format: ExportFormat, opts: ExportOptions = {}): Exported {
  const { points, skipped } = collectExport(results, opts);
  const names = points.map((p) => `${p.benchmark}/${p.metricId}`);
  const dup = duplicateNames(names);
  if (dup.length) {
    throw new Error(`${dup.length} exported name${dup.length === 1 ? '' : 's'} would stand for two measurements (e.g. ${dup[0]}): the same scenario twice, or one transport with two implementations in a result`);
  }
  const content = format === 'bencher' ? toBencher(points) : toGithubActionBenchmark(points);
  return { content: `${JSON.stringify(content, null, 2)}\n`, count: points.length, skipped };
}
