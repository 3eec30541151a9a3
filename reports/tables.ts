// Server-rendered result tables: every figure a chart shows is also here, readable without
// JavaScript and in print. Rows are measurements (point x transport x implementation).
import { median } from '../harness/core/stats.js';
import type { CellStatus } from '../harness/core/types.js';
import { METRICS } from '../harness/results/metrics.js';
import { lossEndLabel, lossUnitShort, senderLosses, sumLosses } from '../harness/results/counters.js';
import { isTcpStream } from '../harness/results/transports.js';
import { countStatuses, cpuDetail, maxCore, metricCI, metricValues, pointLabel, type CellGroup } from './model.js';
import { fmtMetric, fmtPct, fmtRate, fmtUs } from './format.js';
import { mathisAt, type ResultCtx } from './figures.js';
import { cpuMark, html, joinHtml, statusBadge, table, type Html, type HtmlValue } from './style.js';

export function med(g: CellGroup, metric: string): string {
  const v = metricValues(g, metric);
  return v.length ? fmtMetric(metric, median(v)) : '–';
}

export function repsCell(g: CellGroup): HtmlValue {
  if (g.ok.length === g.cells.length) return `${g.ok.length}/${g.cells.length}`;
  const n = countStatuses(g.cells);
  const rest = (Object.keys(n) as CellStatus[]).filter((s) => s !== 'ok' && n[s] > 0).map((s) => html` ${statusBadge(s)} ${n[s]}`);
  return html`${g.ok.length}/${g.cells.length}${rest}`;
}

export function cpuCell(g: CellGroup): HtmlValue {
  const cl = maxCore(g, 'client');
  const sv = maxCore(g, 'server');
  const pct = (v: number): string => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : '–');
  const txt = `${pct(cl)} / ${pct(sv)}`;
  return g.cpuBoundReps ? html`${txt}<br>${cpuMark(cpuDetail(g))}` : txt;
}

/**
 * Loss of the cell's data at the end that sent it, in the unit that end counts in (TCP:
 * retransmitted / sent segments; QUIC: lost / sent packets), summed over the ok
 * repetitions; one line per sending end (an echo has two). Older files' figures say which
 * end they came from.
 */
function lossCell(ctx: ResultCtx, g: CellGroup): HtmlValue {
  const losses = sumLosses(g.ok.flatMap((c) => senderLosses(ctx.result, c))).filter((l) => l.sent > 0);
  if (!losses.length) return '–';
  return joinHtml(losses.map((l) => html`${fmtPct((100 * l.lost) / l.sent)} <span class="muted">${lossUnitShort(l.protocol)}, ${lossEndLabel(l)}</span>`), html`<br>`);
}

/** "2.58–2.78 Mbit/s" when both ends share a unit, else both in full. */
function fmtRange(lo: number, hi: number, f: (v: number) => string): string {
  const a = f(lo).split(' ');
  const b = f(hi).split(' ');
  return a.length === 2 && b.length === 2 && a[1] === b[1] ? `${a[0]}–${b[0]} ${a[1]}` : `${f(lo)} – ${f(hi)}`;
}

export function base(ctx: ResultCtx, g: CellGroup): HtmlValue[] {
  return [pointLabel(ctx.result, g.point), html`<b>${g.transport}</b>`, g.implementation, repsCell(g)];
}

export const rowClass = (gs: CellGroup[]): (string | undefined)[] => gs.map((g) => (g.cpuBoundReps ? 'cpu-bound' : undefined));

/** A metric's median, or why the cells withhold it ("n too small", "transfer too short ..."). */
export function medOrWhy(g: CellGroup, metric: string): HtmlValue {
  const v = metricValues(g, metric);
  if (v.length) return fmtMetric(metric, median(v));
  const why = g.ok.map((c) => c.metricsWithheld?.[metric]).find(Boolean);
  return why ? html`<span class="muted" title="${why}">${why.split(':')[0]}</span>` : '–';
}

export function bulkTable(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  const rows = gs.map((g) => {
    const ci = metricCI(g, 'goodputBitsPerSec');
    const tcpLike = isTcpStream(g.facts);
    const m = tcpLike ? mathisAt(ctx.result, g.point, workload) : null;
    return [
      ...base(ctx, g),
      ci ? html`<b>${fmtRate(ci.estimate)}</b>` : '–',
      !ci ? '–' : g.ok.length < 2 ? html`<span class="muted">1 repetition</span>` : html`${fmtRange(ci.lo, ci.hi, fmtRate)}${ci.confidence < 0.95 ? html` <span class="muted">(${Math.round(ci.confidence * 100)}%)</span>` : ''}`,
      medOrWhy(g, 'steadyGoodputBitsPerSec'),
      m ? fmtRate(m.bps) : '–',
      lossCell(ctx, g),
      cpuCell(g),
    ];
  });
  return table({
    caption: `Bulk goodput: ${workload} (median over successful repetitions; steady state: slow start left out, harness/workloads/bulk.ts STEADY)`,
    head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'Goodput (whole transfer)', 'CI of median (95% unless noted)', 'Steady state', 'Mathis bound', 'Lost at the sender', 'CPU client / server'],
    rows,
    numeric: [4, 5, 6, 7, 8],
    rowClass: rowClass(gs),
  });
}

export function echoTable(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  let thin = false;
  const rows = gs.map((g) => {
    const perRep = g.ok.map((c) => c.samples.rttUs?.length ?? 0);
    const few = perRep.length > 0 && Math.min(...perRep) < 1000;
    thin ||= few && g.ok.length > 0;
    return [
      ...base(ctx, g),
      medOrWhy(g, 'rttP50Us'),
      medOrWhy(g, 'rttP90Us'),
      medOrWhy(g, 'rttP99Us'),
      html`${medOrWhy(g, 'rttP999Us')}${few && g.ok.length && metricValues(g, 'rttP999Us').length ? ' †' : ''}`,
      med(g, 'rttMaxUs'),
      med(g, 'firstExchangeUs'),
      med(g, 'echoLossPct'),
      lossCell(ctx, g),
      cpuCell(g),
    ];
  });
  const foot = thin
    ? html`<p class="muted">A percentile p is shown only from repetitions with at least 1 / (1 − p) exchanges (p99: 100, p99.9: 1000); otherwise “n too small” (hover for the counts). † a file written before that rule: p99.9 from fewer than 1000 exchanges is interpolated between the largest samples.</p>`
    : '';
  return html`${table({
      caption: `Echo round-trip time percentiles: ${workload} (each the median over repetitions of that repetition's percentile)`,
      head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'p50', 'p90', 'p99', 'p99.9', 'max', 'First exchange', 'Requests lost (udp)', 'Lost at the sender (each way)', 'CPU client / server'],
      rows,
      numeric: [4, 5, 6, 7, 8, 9, 10, 11],
      rowClass: rowClass(gs),
    })}${foot}`;
}

/** Any workload's metrics, each the median over repetitions: the table of a kind without one of its own. */
export function metricsTable(ctx: ResultCtx, workload: string, metrics: string[]): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  return table({
    caption: `${workload} (median over successful repetitions)`,
    head: ['Point', 'Transport', 'Implementation', 'Reps ok', ...metrics.map((m) => METRICS[m]?.label ?? m), 'CPU client / server'],
    rows: gs.map((g) => [...base(ctx, g), ...metrics.map((m) => med(g, m)), cpuCell(g)]),
    numeric: metrics.map((_, i) => 4 + i),
    rowClass: rowClass(gs),
  });
}
