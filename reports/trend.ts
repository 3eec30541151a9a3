// Trend report: each metric over releases (x = result.label, in the order given), with
// regressions between consecutive releases highlighted. Each pair of consecutive releases
// is judged by bench compare itself (harness/results/compare.ts compareResults, with its
// defaults and --force: a trend spans changed scenarios on purpose), so the trend and
// `bench compare` never disagree about the same two runs: the same rows (headline
// metrics), the same alpha / m per row, the same faster / slower / same / undecided.
import { COMPARE_DEFAULTS, compareResults, type Comparison, type MetricComparison } from '../harness/results/compare.js';
import { METRICS } from '../harness/results/metrics.js';
import { medianCI, type Interval } from '../harness/core/stats.js';
import type { ResultFile } from '../harness/results/types.js';
import { loadChartJs } from './assets.js';
import { ChartSet, chartAssets, ciWhiskers, displayScale, r4, wantsLog, whiskerCaption, type ChartDataset } from './charts.js';
import { fmtDate, fmtMetric } from './format.js';
import { buildSeries, groupCells, metricValues, pointLabel, runsTransportFacts, seriesKey, transportOrder, type CellGroup, type Series } from './model.js';
import { nameSuffices, transportFacts } from '../harness/results/transports.js';
import { badge, cpuMark, html, htmlDocument, joinHtml, note, section, table, type Html, type HtmlValue } from './style.js';
import { fmtChange, fmtDelta, verdictMetrics } from './verdict.js';

const { thresholdPct: THRESHOLD_PCT, alpha: ALPHA } = COMPARE_DEFAULTS;

export interface TrendOptions {
  title?: string;
  chartJs?: string;
}

/**
 * The identity a trend line may span: the implementation without version numbers, so
 * "@matrixai/quic 2.0.9" and "2.1.0" form one line, while quiche and quic-go never do.
 */
export function implementationFamily(impl: string): string {
  return impl.replace(/\s*\bv?\d+(?:\.\d+)+[\w.+-]*/g, '').replace(/\s+/g, ' ').trim();
}

interface Change {
  from: number;
  to: number;
  metric: string;
  /** Release `from` is the baseline, release `to` the candidate. */
  cmp: MetricComparison;
  kind: 'regression' | 'improvement' | 'undecided' | 'none';
}

/** One metric of one release in a row: its ok values and their median CI (null without values). */
interface Stat {
  values: number[];
  ci: Interval | null;
}

interface Row {
  /** point label | workload */
  cell: string;
  pointLabel: string;
  workload: string;
  series: Series;
  /** Group per release index (undefined when that release did not measure it). */
  at: (CellGroup | undefined)[];
  /** Metrics of the row's kind that some release has values for, in registry order (set by withStats). */
  metrics: string[];
  /** Per metric, per release index: computed once, read by the changes, charts and tables. */
  stats: Map<string, Stat[]>;
}

const NO_STAT: Stat = { values: [], ci: null };

function statOf(row: Row, metric: string, i: number): Stat {
  return row.stats.get(metric)?.[i] ?? NO_STAT;
}

/** Consecutive releases compared as bench compare would (index i: release i against i - 1). */
function pairComparisons(results: ResultFile[]): (Comparison | null)[] {
  return results.map((r, i) => (i === 0 ? null : compareResults(results[i - 1], r, { ...COMPARE_DEFAULTS, force: true })));
}

function trendChanges(row: Row, pairs: (Comparison | null)[]): Change[] {
  const out: Change[] = [];
  for (let i = 1; i < row.at.length; i++) {
    const g = pairs[i]?.groups.find((x) => x.point.label === row.pointLabel && x.transport === row.series.transport && x.workload === row.workload);
    for (const cmp of g?.metrics ?? []) {
      if (!row.metrics.includes(cmp.metric)) continue;
      const kind = cmp.verdict === 'regression' || cmp.verdict === 'improvement' || cmp.verdict === 'undecided' ? cmp.verdict : 'none';
      out.push({ from: i - 1, to: i, metric: cmp.metric, cmp, kind });
    }
  }
  return out;
}

function buildRows(results: ResultFile[]): { rows: Row[]; series: Map<string, Series> } {
  const perResult = results.map((r) => groupCells(r));
  const order = results.flatMap((r) => transportOrder(r));
  const series = buildSeries(results.flatMap((r) => r.cells), order, runsTransportFacts(results), implementationFamily);
  const rows = new Map<string, Row>();
  perResult.forEach((groups, i) => {
    for (const g of groups) {
      const pl = pointLabel(results[i], g.point);
      const fam = implementationFamily(g.implementation);
      const s = series.get(seriesKey(g.transport, fam));
      if (!s) continue;
      const key = `${pl}|${g.workload}|${s.key}`;
      const row = rows.get(key) ?? {
        cell: `${pl}|${g.workload}`,
        pointLabel: pl,
        workload: g.workload,
        series: s,
        at: new Array<CellGroup | undefined>(results.length).fill(undefined),
        metrics: [],
        stats: new Map(),
      };
      row.at[i] = g;
      rows.set(key, row);
    }
  });
  return { rows: [...rows.values()].map(withStats), series };
}

function kindOf(row: Row): CellGroup['kind'] {
  return row.at.find(Boolean)!.kind;
}

/** Fills in the row's metrics and their per-release values and CIs. */
function withStats(row: Row): Row {
  const kind = kindOf(row);
  for (const m of Object.keys(METRICS)) {
    if (METRICS[m].kind !== kind) continue;
    const stats = row.at.map((g): Stat => {
      const values = g ? metricValues(g, m) : [];
      return { values, ci: values.length ? medianCI(values) : null };
    });
    if (!stats.some((x) => x.values.length)) continue;
    row.metrics.push(m);
    row.stats.set(m, stats);
  }
  return row;
}

/** "+3.1 %"; from a zero baseline there is no relative change to state. */
function fmtRel(c: Change): string {
  return c.cmp.decision.deltaPct === null ? 'from 0' : fmtDelta(c.cmp.decision);
}

function changeText(c: Change, labels: string[]): string {
  const d = c.cmp.decision;
  const why = c.kind === 'undecided' ? `undecided${d.moreRepsNeeded !== null ? `, ~${d.moreRepsNeeded} more repetitions` : ''}` : d.verdict;
  return `${d.deltaPct === null ? 'from 0' : fmtChange(d)} ${labels[c.from]} → ${labels[c.to]} (${why})`;
}

function chart(charts: ChartSet, rows: Row[], metric: string, labels: string[], changes: Map<Row, Change[]>): Html | null {
  const def = METRICS[metric];
  const values = rows.flatMap((r) => r.at.flatMap((_, i) => statOf(r, metric, i).values));
  if (!values.length) return null;
  const sc = displayScale(def.unit, values);
  const datasets: ChartDataset[] = rows.map((row) => {
    const st = row.at.map((_, i) => statOf(row, metric, i));
    const ci = st.map((x) => x.ci);
    const reg = new Set((changes.get(row) ?? []).filter((c) => c.metric === metric && c.kind === 'regression').map((c) => c.to));
    return {
      label: row.series.label,
      color: row.series.color,
      dash: row.series.dash,
      data: ci.map((c) => (c ? r4(c.estimate / sc.div) : null)),
      ...ciWhiskers(ci, st.map((x) => x.values.length), sc.div),
      cpuBound: row.at.map((g) => !!g && g.cpuBoundReps > 0),
      highlight: row.at.map((_, i) => reg.has(i)),
      notes: row.at.map((g, i) => (g ? `${g.implementation}; ${g.ok.length}/${g.cells.length} ok${reg.has(i) ? '; ▲ regression' : ''}` : 'not measured')),
    };
  });
  const shown = datasets.flatMap((d) => d.data as (number | null)[]).filter((v): v is number => v !== null);
  const r0 = rows[0];
  return charts.figure(
    { type: 'line', title: `${def.label}: ${r0.workload} at ${r0.pointLabel}`, labels, datasets, x: { title: 'release (result label)' }, y: { title: def.label, unit: sc.unit, log: wantsLog(shown) } },
    `Median over repetitions. ${whiskerCaption(datasets)} Red ▲: a regression from the previous release (decided slower by more than ${THRESHOLD_PCT}%, as bench compare decides it).`,
  );
}

function rowTable(rows: Row[], labels: string[], changes: Map<Row, Change[]>, which: (m: string) => boolean): Html | null {
  const body: HtmlValue[][] = [];
  const cls: (string | undefined)[] = [];
  for (const row of rows) {
    for (const metric of row.metrics.filter(which)) {
      const ch = (changes.get(row) ?? []).filter((c) => c.metric === metric);
      const cells = row.at.map((g, i): HtmlValue => {
        if (!g) return html`<span class="muted">–</span>`;
        const ci = statOf(row, metric, i).ci;
        if (!ci) return html`<span class="muted" title="${g.cells.map((c) => c.reason).filter(Boolean).join('; ')}">${g.cells[0]?.status ?? '–'}</span>`;
        const c = ch.find((x) => x.to === i);
        const delta = c ? html` <span class="${c.kind === 'regression' ? 'bad' : c.kind === 'improvement' ? 'good' : 'muted'}">${fmtRel(c)} ${c.cmp.verdict === 'within-threshold' ? `${c.cmp.decision.verdict}, within ${THRESHOLD_PCT}%` : c.cmp.verdict}</span>` : '';
        const implChange = i > 0 && row.at[i - 1] && row.at[i - 1]!.implementation !== g.implementation ? html`<br><span class="muted">${g.implementation}</span>` : '';
        return html`${fmtMetric(metric, ci.estimate)}${delta}${g.cpuBoundReps ? html` ${cpuMark()}` : ''}${implChange}`;
      });
      body.push([html`<b>${row.series.label}</b>`, METRICS[metric].label, ...cells]);
      cls.push(ch.some((c) => c.kind === 'regression') ? 'regression' : ch.some((c) => c.kind === 'improvement') ? 'improvement' : undefined);
    }
  }
  if (!body.length) return null;
  return table({ head: ['Transport', 'Metric', ...labels], rows: body, rowClass: cls, numeric: labels.map((_, i) => i + 2) });
}

function releasesTable(results: ResultFile[]): Html {
  return table({
    caption: 'Releases, in the order given',
    head: ['Label', 'Date', 'bench', 'Scenario', 'Backend', 'Kernel', 'Status', 'QUIC implementations'],
    rows: results.map((r) => [
      html`<b>${r.label}</b>`,
      fmtDate(r.startedAt),
      html`${r.tool.version}${r.tool.gitSha ? html` <code>${String(r.tool.gitSha).slice(0, 10)}</code>` : ''}`,
      html`${r.scenario.name} <span class="muted">${String(r.scenarioSha256).slice(0, 10)}</span>`,
      r.backend,
      r.host.kernel,
      r.status === 'complete' ? badge('complete', 'ok') : badge(r.status, 'bad'),
      joinHtml(quicImplementations(r), html`<br>`),
    ]),
  });
}

function comparabilityNotes(results: ResultFile[]): Html {
  const out: Html[] = [];
  for (let i = 1; i < results.length; i++) {
    const a = results[i - 1];
    const b = results[i];
    const diffs: string[] = [];
    if (a.scenarioSha256 !== b.scenarioSha256) diffs.push('the scenario');
    if (a.backend !== b.backend) diffs.push(`the backend (${a.backend} → ${b.backend})`);
    if (a.host.kernel !== b.host.kernel) diffs.push('the kernel');
    if (a.host.cpuModel !== b.host.cpuModel || a.host.cpus !== b.host.cpus) diffs.push('the CPU');
    if (diffs.length) out.push(note('warn', html`Between <b>${a.label}</b> and <b>${b.label}</b> ${diffs.join(', ')} changed: a difference there may not come from the release.`));
  }
  return joinHtml(out, '\n');
}

export function renderTrendReport(results: ResultFile[], opts: TrendOptions = {}): string {
  if (!results.length) throw new Error('renderTrendReport needs at least one result');
  const labels = results.map((r) => r.label);
  const { rows } = buildRows(results);
  const pairs = pairComparisons(results);
  const changes = new Map<Row, Change[]>(rows.map((r) => [r, trendChanges(r, pairs)]));
  const all = [...changes.entries()].flatMap(([row, cs]) => cs.map((c) => ({ row, c })));
  const regressions = all.filter((x) => x.c.kind === 'regression');
  const improvements = all.filter((x) => x.c.kind === 'improvement');
  const undecided = all.filter((x) => x.c.kind === 'undecided');
  const lost = pairs.flatMap((p, i) => (p ? p.lost.map((l) => `${l.point.label} ${l.transport} ${l.workload}, ${labels[i - 1]} → ${labels[i]}: ${l.why}`) : []));
  const line = (x: { row: Row; c: Change }): Html =>
    html`<li><b>${x.row.series.label}</b> ${METRICS[x.c.metric].label}, ${x.row.workload} at ${x.row.pointLabel}: <span class="${x.c.kind === 'regression' ? 'bad' : x.c.kind === 'improvement' ? 'good' : 'muted'}">${changeText(x.c, labels)}</span>${x.row.at[x.c.to]?.cpuBoundReps ? html` ${cpuMark()}` : ''}</li>`;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  const rule = `decided as bench compare decides: each row at alpha ${ALPHA}/m, a regression when slower by more than ${THRESHOLD_PCT}%`;
  const verdict = html`${
    regressions.length || lost.length
      ? html`<div class="note bad"><b>${plural(regressions.length, 'regression')}${lost.length ? `, ${plural(lost.length, 'lost measurement')}` : ''}</b> (${rule})<ul>${regressions.map(line)}${lost.map((l) => html`<li>${l}</li>`)}</ul></div>`
      : undecided.length
        ? note('warn', `No decided regression between consecutive releases, but ${plural(undecided.length, 'change')} stayed undecided: the data cannot rule a regression out there (${rule}).`)
        : note('ok', `No regression between consecutive releases: every compared change was decided, none slower by more than ${THRESHOLD_PCT}% (${rule}).`)
  }${undecided.length ? html`<details${regressions.length ? '' : html` open`}><summary>${plural(undecided.length, 'undecided change')}</summary><ul>${undecided.map(line)}</ul></details>` : ''}${
    improvements.length ? html`<details><summary>${plural(improvements.length, 'improvement')}</summary><ul>${improvements.map(line)}</ul></details>` : ''
  }`;

  const charts = new ChartSet('t');
  const cellKeys = [...new Set(rows.map((r) => r.cell))];
  const byPoint = new Map<string, Html[]>();
  for (const key of cellKeys) {
    const rs = rows.filter((r) => r.cell === key);
    const metrics = verdictMetrics(kindOf(rs[0]));
    const figs = metrics.map((m) => chart(charts, rs, m, labels, changes)).filter((f): f is Html => f !== null);
    const primary = rowTable(rs, labels, changes, (m) => metrics.includes(m));
    const others = rowTable(rs, labels, changes, (m) => !metrics.includes(m));
    const flagged = rs.some((r) => (changes.get(r) ?? []).some((c) => (c.kind === 'regression' || c.kind === 'improvement') && !metrics.includes(c.metric)));
    const more = others ? html`<details${flagged ? html` open` : ''}><summary>Other metrics${flagged ? ' (with decided changes)' : ''}</summary>${others}</details>` : '';
    const part = html`<h3>${rs[0].workload}</h3><div class="charts">${joinHtml(figs, '\n')}</div>${primary}${more}`;
    byPoint.set(rs[0].pointLabel, [...(byPoint.get(rs[0].pointLabel) ?? []), part]);
  }
  const sections = [...byPoint].map(([pl, parts], i) => section(`point-${i}`, `At ${pl}`, joinHtml(parts, '\n')));
  const names = [...new Set(results.map((r) => r.scenario.name))].join(', ');
  const title = opts.title ?? `bench trend: ${names} (${labels[0]} … ${labels[labels.length - 1]})`;
  const body = joinHtml(
    [
      html`<h1>${title}</h1>`,
      html`<p class="subtitle">${results.length} results in the order given; each line is one transport and implementation family (versions may change along a line; the exact implementation is in each tooltip and noted in the tables where it changed).</p>`,
      html`<noscript><p class="note info">Charts need JavaScript; every figure they show is also in the tables.</p></noscript>`,
      section('regressions', 'Regressions', html`${verdict}${comparabilityNotes(results)}`),
      releasesTable(results),
      ...sections,
    ],
    '\n',
  );
  const assets = chartAssets(charts.specs, opts.chartJs ?? loadChartJs());
  return htmlDocument({ title, body, head: assets.head, scripts: assets.scripts });
}

/** Implementations under test in a run: every QUIC stack and tunnel (node's own stacks are not). */
function quicImplementations(r: ResultFile): string[] {
  const facts = transportFacts(r);
  return [...new Set(r.cells.filter((c) => !nameSuffices(facts.get(c.transport))).map((c) => c.implementation))];
}
