// The HTML report: one self-contained file (Chart.js and data inlined, no request of any
// kind) answering "which transport wins at each point, and by how much" before any table.
// Pure: a function of the result files (and the Chart.js source, injectable for tests).
import type { ResultFile, WorkloadKind } from '../harness/results/types.js';
import { describeWorkload, METRICS, WORKLOAD_KINDS, workloadInfo } from '../harness/results/metrics.js';
import { loadChartJs } from './assets.js';
import { ChartSet, chartAssets } from './charts.js';
import { cdfChart, goodputBars, goodputSeriesChart, sampleCdf, sweepCharts, type ResultCtx } from './figures.js';
import { headerSection, runDetailsSection } from './header.js';
import { groupCells, pointIndexes, resultSeries, seriesLabel, workloadOrder, type Series } from './model.js';
import { collectWarnings, problemsSection, warningsSection } from './notices.js';
import { html, htmlDocument, joinHtml, note, section, table, type Html, type HtmlValue } from './style.js';
import { bulkTable, echoTable, metricsTable } from './tables.js';
import { rttOverTimeChart } from './figures-echo.js';
import { handshakeRoundTripsChart, resumptionChart, streamRankChart } from './figures-quic-claims.js';
import { exchangeTable, handshakeTable, resumptionTable, streamsTable } from './tables-quic-claims.js';
import { computeVerdicts, matrixSegments, verdictIntro, verdictMetrics, type Segment } from './verdict.js';

export interface HtmlReportOptions {
  /** Page title; default from the scenario name and label(s). */
  title?: string;
  /** Chart.js UMD source; default: node_modules/chart.js/dist/chart.umd.js, read once. */
  chartJs?: string;
}

const TONE_CLASS: Record<NonNullable<Segment['tone']>, string> = { good: 'good', bad: 'bad', warn: 'cpu-note', muted: 'muted', strong: '' };

function segmentsHtml(segs: Segment[]): Html[] {
  return segs.map((s) => {
    if (!s.tone) return html`${s.text}`;
    if (s.tone === 'strong') return html`<b>${s.text}</b>`;
    return html`<span class="${TONE_CLASS[s.tone]}">${s.text}</span>`;
  });
}

function verdictSection(ctx: ResultCtx, idPrefix: string): Html {
  const { result, groups, series } = ctx;
  const view = computeVerdicts(result, groups, series);
  const label = (point: number, workload: string) => (t: string): string => {
    const g = groups.find((x) => x.point === point && x.transport === t && x.workload === workload);
    return g ? seriesLabel(series, g) : t;
  };
  const cols: { workload: string; metric: string }[] = [];
  for (const p of view.points) for (const c of p.matrix) if (!cols.some((x) => x.workload === c.workload && x.metric === c.metric)) cols.push(c);
  const matrix = cols.length
    ? table({
        caption: 'Verdict per point and metric: each transport against the baseline; a transport is named ahead only where that is decided',
        head: ['Point', ...cols.map((c) => html`${c.workload}<br><span class="muted">${METRICS[c.metric]?.label ?? c.metric}</span>`)],
        rows: view.points.map((p) => [
          html`<b>${p.label}</b><br><span class="muted">${p.link}</span>`,
          ...cols.map((c) => {
            const cell = p.matrix.find((x) => x.workload === c.workload && x.metric === c.metric);
            return cell ? segmentsHtml(matrixSegments(cell, label(p.point, c.workload))) : '–';
          }),
        ]),
      })
    : html`<p class="muted">No comparisons: a workload needs a baseline transport with an ok cell and another transport.</p>`;
  const blocks = view.points.map((p) => {
    const items = p.workloads.map((w) => {
      const vs = w.baseline ? html` <span class="muted">vs ${w.baseline}</span>` : '';
      const refs = w.references.map((r) => html`<li class="muted">${r.transport}: a reference row, not compared (${r.why})</li>`);
      const lines = w.lines.length ? w.lines.map((l) => html`<li>${segmentsHtml(l)}</li>`) : html`<li class="muted">no comparison: only one transport ran this workload with an ok cell</li>`;
      return html`<li><b>${w.workload}</b>${vs}<ul>${lines}${refs}</ul></li>`;
    });
    return html`<h3>At ${p.label} <span class="muted">(${p.link})</span></h3><ul>${joinHtml(items, '\n')}</ul>`;
  });
  const intro = html`<p class="muted">${verdictIntro(view)}</p>`;
  return section(`${idPrefix}verdict`, 'Verdict', html`${intro}${matrix}<div class="verdicts">${joinHtml(blocks, '\n')}</div>`);
}

/**
 * The charts and table of one workload, per kind: this renderer's own map. A kind without an
 * entry gets the generic table of its metrics, so a new workload renders before it has
 * charts of its own.
 */
const KIND_FIGURES: { [K in WorkloadKind]?: (ctx: ResultCtx, w: string, points: number[]) => { figs: (Html | null)[]; table: Html } } = {
  bulk: (ctx, w, points) => ({ figs: [goodputBars(ctx, w), ...points.map((p) => goodputSeriesChart(ctx, p, w))], table: bulkTable(ctx, w) }),
  echo: (ctx, w, points) => ({ figs: points.flatMap((p) => [cdfChart(ctx, p, w, 'rtt'), rttOverTimeChart(ctx, p, w)]), table: echoTable(ctx, w) }),
  handshake: (ctx, w, points) => ({
    figs: points.flatMap((p) => [handshakeRoundTripsChart(ctx, p, w), cdfChart(ctx, p, w, 'handshake')]),
    table: handshakeTable(ctx, w),
  }),
  streams: (ctx, w, points) => ({
    figs: points.flatMap((p) => [
      streamRankChart(ctx, p, w),
      sampleCdf(ctx, p, w, { samples: (c) => c.samples.streamCompletionUs ?? [], noun: 'Stream completion time', xTitle: 'completion time since the round started' }),
    ]),
    table: streamsTable(ctx, w),
  }),
  exchange: (ctx, w, points) => ({
    figs: points.map((p) => sampleCdf(ctx, p, w, { samples: (c) => c.samples.exchangeUs ?? [], noun: 'Exchange time', xTitle: 'request sent to response verified' })),
    table: exchangeTable(ctx, w),
  }),
  resumption: (ctx, w, points) => ({ figs: points.map((p) => resumptionChart(ctx, p, w)), table: resumptionTable(ctx, w) }),
};

function workloadSection(ctx: ResultCtx, kind: WorkloadKind, idPrefix: string): Html {
  const r = ctx.result;
  const ws = workloadOrder(r).filter((w) => ctx.groups.some((g) => g.workload === w && g.kind === kind));
  if (!ws.length) return html``;
  const body = ws
    .map((w) => {
      const spec = r.scenario.workloads.find((x) => x.id === w);
      const desc = spec ? describeWorkload(spec) : '';
      const points = pointIndexes(r).filter((p) => ctx.groups.some((g) => g.workload === w && g.point === p));
      const own = KIND_FIGURES[kind];
      const { figs, table: tbl } = own ? own(ctx, w, points) : { figs: [], table: metricsTable(ctx, w, Object.keys(METRICS).filter((m) => METRICS[m].kind === kind)) };
      const shown = figs.filter((f): f is Html => f !== null);
      const charts = shown.length ? html`<div class="charts">${joinHtml(shown, '\n')}</div>` : note('muted', 'No successful repetition to chart.');
      return html`<h3>${w} <span class="muted">${desc}</span></h3>\n${charts}\n${tbl}`;
    });
  return section(`${idPrefix}${kind}`, workloadInfo(kind).title, joinHtml(body, '\n'));
}

function sweepSection(ctx: ResultCtx, idPrefix: string): Html {
  const r = ctx.result;
  if (!r.scenario.sweep.length || pointIndexes(r).length < 2) return html``;
  const figs: Html[] = [];
  for (const w of workloadOrder(r)) {
    const g = ctx.groups.find((x) => x.workload === w);
    if (g) figs.push(...sweepCharts(ctx, w, verdictMetrics(g.kind)));
  }
  if (!figs.length) return html``;
  const axes = r.scenario.sweep.map((a) => `${a.field} (${a.values.join(', ')})`).join(' × ');
  return section(`${idPrefix}sweep`, 'Sweep', html`<p class="muted">Each metric against ${axes}.</p><div class="charts">${joinHtml(figs, '\n')}</div>`);
}

/** Workload sections in report order: the kinds with figures of their own as listed there, then the rest. */
const SECTION_ORDER: WorkloadKind[] = [...(Object.keys(KIND_FIGURES) as WorkloadKind[]), ...WORKLOAD_KINDS.filter((k) => !(k in KIND_FIGURES))];

const TOC: [string, string][] = [
  ['verdict', 'Verdict'],
  ['warnings', 'Warnings'],
  ['problems', 'Incomplete cells'],
  ['sweep', 'Sweep'],
  // One section per workload kind, in this order; the TOC names each by its title.
  ...SECTION_ORDER.map((k): [string, string] => [k, workloadInfo(k).title]),
  ['details', 'Run details'],
];

function renderResult(result: ResultFile, series: Map<string, Series>, charts: ChartSet, idPrefix: string): Html {
  const groups = groupCells(result);
  const ctx: ResultCtx = { result, groups, series, charts };
  const parts: [string, Html][] = [
    ['verdict', verdictSection(ctx, idPrefix)],
    ['warnings', warningsSection(collectWarnings(result, groups, series), idPrefix)],
    ['problems', problemsSection(result, idPrefix)],
    ['sweep', sweepSection(ctx, idPrefix)],
    ...SECTION_ORDER.map((k): [string, Html] => [k, workloadSection(ctx, k, idPrefix)]),
    ['details', runDetailsSection(result, idPrefix)],
  ];
  const present = parts.filter(([, h]) => !h.isEmpty);
  const toc = html`<nav class="toc" aria-label="Sections">${present.map(([id]) => html`<a href="#${idPrefix}${id}">${TOC.find(([k]) => k === id)?.[1] ?? id}</a>`)}</nav>`;
  const interrupted =
    result.status !== 'complete'
      ? note('bad', html`This run is <b>${result.status}</b>: only the cells measured before it stopped are shown.`)
      : '';
  return joinHtml([headerSection(result, idPrefix), toc, interrupted, ...present.map(([, h]) => h)], '\n');
}

export function renderHtmlReport(results: ResultFile[], opts: HtmlReportOptions = {}): string {
  if (!results.length) throw new Error('renderHtmlReport needs at least one result');
  const series = resultSeries(results);
  const charts = new ChartSet('c');
  const noscript = html`<noscript><p class="note info">Charts need JavaScript; every figure they show is also in the tables.</p></noscript>`;
  let body: HtmlValue;
  let title: string;
  if (results.length === 1) {
    const r = results[0];
    title = opts.title ?? `bench: ${r.scenario.name} (${r.label})`;
    body = [noscript, renderResult(r, series, charts, '')];
  } else {
    title = opts.title ?? `bench: ${results.map((r) => `${r.scenario.name} (${r.label})`).join(' | ')}`;
    const cols = results.map((r, i) => html`<div class="result">${renderResult(r, series, charts, `r${i}-`)}</div>`);
    body = html`<h1>${title}</h1><p class="subtitle">${results.length} results side by side.</p>${noscript}<div class="sbs" style="--cols:${Math.min(results.length, 3)}">${joinHtml(cols, '\n')}</div>`;
  }
  const assets = chartAssets(charts.specs, opts.chartJs ?? loadChartJs());
  return htmlDocument({ title, body, head: assets.head, scripts: assets.scripts });
}
