// Chart specifications: plain JSON built on the server side and inlined in the page; the
// client runtime (client.ts) turns each into a Chart.js chart. Keeping the data as specs,
// not Chart.js configs, keeps renderers pure and testable without a browser.
//
// STABLE API (reused by the compare report): ChartSpec, ChartDataset, ChartSet,
// displayScale, cdfPoints, chartAssets. Also: ciWhiskers, whiskerCaption.
import { quantileSorted } from '../harness/core/stats.js';
import { loadClientJs } from './assets.js';
import { CPU_BOUND_MEANING, html, Html, scriptJson, type HtmlValue } from './style.js';

export interface ChartDataset {
  label: string;
  color: string;
  /** Line dash pattern; [] = solid. */
  dash?: number[];
  /** Category charts: one value per label (null = gap). 'xy' charts: points. */
  data: (number | null)[] | { x: number; y: number }[];
  /** CI whiskers per value, in the same display unit. */
  errorBars?: ([number, number] | null)[];
  /**
   * Achieved confidence (0..1) of each whisker, which the tooltip names ("75% CI"); a
   * median CI from fewer than 6 repetitions is min–max at below 95 %. Absent: 95 %.
   */
  errorBarConfidence?: (number | null)[];
  /** Values measured while an endpoint was CPU-bound: hatched bars / ⚠ marks. */
  cpuBound?: boolean[];
  /** Values to highlight (e.g. a significant regression): drawn larger, in red. */
  highlight?: boolean[];
  /** Extra tooltip line per value. */
  notes?: string[];
  /** In a 'bar' chart, draw this dataset as a line (e.g. a theoretical bound). */
  asLine?: boolean;
  stepped?: boolean;
  pointRadius?: number;
  /** Draw the points only, no line between them (levels marked per category, e.g. an expected count). */
  pointsOnly?: boolean;
  /** Chart.js point style for every point ('line' reads as a level mark); default circle. */
  pointStyle?: string;
}

export interface AxisSpec {
  title: string;
  log?: boolean;
  /** Unit appended to tooltip values, e.g. "ms", "Mbit/s". */
  unit?: string;
  min?: number;
  max?: number;
  /** Show tick values as percentages of 1. */
  fraction?: boolean;
  /** Values are -log10(1 - F) (see cdfPoints): ticks read 50%, 90%, 99%, 99.9%. */
  nines?: boolean;
}

export interface ChartSpec {
  id: string;
  /** bar/line: category x axis from `labels`; xy: numeric x ({x, y} points). */
  type: 'bar' | 'line' | 'xy';
  title: string;
  labels?: string[];
  datasets: ChartDataset[];
  x: AxisSpec;
  y: AxisSpec;
}

/** Collects the specs of one page; figure() returns the HTML that shows one of them. */
export class ChartSet {
  readonly specs: ChartSpec[] = [];
  constructor(private readonly prefix = 'c') {}

  figure(spec: Omit<ChartSpec, 'id'>, caption: HtmlValue, extra: HtmlValue = ''): Html {
    const id = `${this.prefix}-chart-${this.specs.length}`;
    this.specs.push({ id, ...spec });
    const cpu = spec.datasets.some((d) => d.cpuBound?.some(Boolean)) ? html` data-cpu-bound="true"` : '';
    return html`<figure class="chart"${cpu}><h4>${spec.title}</h4><div class="chart-box"><canvas id="${id}" role="img" aria-label="${spec.title}"></canvas></div><figcaption>${caption}${extra}</figcaption></figure>`;
  }
}

/**
 * HTML for the end of a page: the spec data block, Chart.js itself and the runtime. Returns
 * head (data) and scripts separately to fit htmlDocument().
 */
export function chartAssets(specs: ChartSpec[], chartJs: string): { head: Html; scripts: string[] } {
  return {
    // Data blocks, never executed (so the CSP's script hashes need not cover them).
    head: Html.trusted(`<script type="application/json" id="bench-charts">${scriptJson(specs)}</script><script type="application/json" id="bench-text">${scriptJson({ cpuBound: `⚠ ${CPU_BOUND_MEANING}` })}</script>`),
    scripts: specs.length ? [chartJs, loadClientJs()] : [loadClientJs()],
  };
}

export interface Scale {
  div: number;
  unit: string;
}

/** The display unit for a set of values in a base unit ('us' or 'bit/s'). */
export function displayScale(base: 'us' | 'bit/s' | 'pct' | 'rtt' | 'bool', values: number[]): Scale {
  if (base === 'pct') return { div: 1, unit: '%' };
  if (base === 'rtt') return { div: 1, unit: 'RTT' };
  if (base === 'bool') return { div: 1, unit: '1 = yes' };
  const max = values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  if (base === 'us') return max >= 2000 ? { div: 1000, unit: 'ms' } : { div: 1, unit: 'µs' };
  if (max >= 2e9) return { div: 1e9, unit: 'Gbit/s' };
  if (max >= 2e6) return { div: 1e6, unit: 'Mbit/s' };
  if (max >= 2e3) return { div: 1e3, unit: 'kbit/s' };
  return { div: 1, unit: 'bit/s' };
}

/** Round for the inlined data: 4 significant digits is below any measurement's precision. */
export function r4(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}

/**
 * Empirical CDF of samples on a "nines" scale: y = -log10(1 - F), so 90 %, 99 % and 99.9 %
 * are evenly spaced and the tail, where transports differ under loss, gets most of the
 * height. Points are evenly spaced in y up to F = 1 - 1/n (the largest honest quantile).
 */
export function cdfPoints(values: readonly number[], div = 1): { x: number; y: number }[] {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  if (!n) return [];
  const top = Math.log10(Math.max(n, 2));
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i <= 160; i++) {
    const y = (top * i) / 160;
    const x = r4(quantileSorted(s, 1 - 10 ** -y) / div);
    const last = out[out.length - 1];
    if (last && last.x === x && i < 160) continue;
    out.push({ x, y: r4(y) });
  }
  return out;
}

/** Whether values span enough orders of magnitude that a log axis reads better. */
export function wantsLog(values: number[]): boolean {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length < 2) return false;
  return Math.max(...pos) / Math.min(...pos) > 50;
}

/** A CI with the confidence it actually reaches (stats.medianCI). */
export interface WhiskerCI {
  lo: number;
  hi: number;
  confidence: number;
}

/** The level a whisker is labelled with: 95 % once reached, else the achieved level, rounded. */
function ciPct(confidence: number): number {
  return confidence >= 0.95 ? 95 : Math.round(confidence * 100);
}

/**
 * Whiskers only where they carry information (two or more repetitions and a non-empty
 * range), each with its achieved confidence. `ns` are the repetitions behind each value.
 */
export function ciWhiskers(cis: readonly (WhiskerCI | null)[], ns: readonly number[], div: number): Pick<ChartDataset, 'errorBars' | 'errorBarConfidence'> {
  const show = (c: WhiskerCI | null, i: number): c is WhiskerCI => !!c && (ns[i] ?? 0) >= 2 && c.hi > c.lo;
  return {
    errorBars: cis.map((c, i) => (show(c, i) ? [r4(c.lo / div), r4(c.hi / div)] : null)),
    errorBarConfidence: cis.map((c, i) => (show(c, i) ? c.confidence : null)),
  };
}

/** The caption sentence that says what a chart's whiskers are, given its datasets. */
export function whiskerCaption(datasets: readonly ChartDataset[]): string {
  const levels = datasets.flatMap((d) => (d.errorBars ?? []).map((e, i) => (e ? (d.errorBarConfidence?.[i] ?? 0.95) : null))).filter((v): v is number => v !== null);
  if (!levels.length) return 'No whiskers: no value has two or more differing repetitions.';
  const low = [...new Set(levels.filter((l) => l < 0.95).map(ciPct))].sort((a, b) => a - b);
  if (!low.length) return 'Whiskers: 95% CI of the median (distribution-free).';
  const range = low.length === 1 ? `${low[0]}%` : `${low[0]}–${low[low.length - 1]}%`;
  if (levels.every((l) => l < 0.95)) {
    return `Whiskers: min–max of the repetitions, only a ${range} CI of the median (fewer than 6 repetitions cannot give 95%; each level is in the tooltip).`;
  }
  return `Whiskers: 95% CI of the median (distribution-free); with fewer than 6 repetitions, min–max, only a ${range} CI (each level is in the tooltip).`;
}
