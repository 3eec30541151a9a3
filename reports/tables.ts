// Server-rendered result tables: every figure a chart shows is also here, readable without
// JavaScript and in print. Rows are measurements (point x transport x implementation).
import { median } from '../harness/core/stats.js';
import type { CellStatus } from '../harness/core/types.js';
import { METRICS } from '../harness/results/metrics.js';
import { lossEndLabel, lossUnitShort, senderLosses, sumLosses } from '../harness/results/counters.js';
import { isTcpStream } from '../harness/results/transports.js';
import { countStatuses, cpuDetail, maxCore, metricCI, metricValues, pointLabel, type CellGroup } from './model.js';
import { fmtMetric, fmtPct, fmtRate, fmtUs } from './format.js';
import { MATHIS_IS_AN_ESTIMATE, mathisAt, type ResultCtx } from './figures.js';
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
  const mathisFoot = rows.some((r) => r[7] !== '–') ? html`<p class="muted">Mathis estimate: MSS/RTT·1.22/√p with the data direction’s loss. ${MATHIS_IS_AN_ESTIMATE}</p>` : '';
  return html`${table({
    caption: `Bulk goodput: ${workload} (median over successful repetitions; steady state: slow start left out, harness/workloads/bulk.ts STEADY)`,
    head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'Goodput (whole transfer)', 'CI of median (95% unless noted)', 'Steady state', 'Mathis estimate (TCP)', 'Lost at the sender', 'CPU client / server'],
    rows,
    numeric: [4, 5, 6, 7, 8],
    rowClass: rowClass(gs),
  })}${mathisFoot}`;
}

/** "60" or "45–60": exchanges per ok repetition, the n each repetition's percentiles rest on. */
function perRepN(g: CellGroup): { text: string; min: number } {
  const n = g.ok.map((c) => c.samples.rttUs?.length ?? 0);
  if (!n.length) return { text: '–', min: 0 };
  const lo = Math.min(...n);
  const hi = Math.max(...n);
  return { text: lo === hi ? String(lo) : `${lo}–${hi}`, min: lo };
}

export function echoTable(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  let thin99 = false;
  let thin999 = false;
  const rows = gs.map((g) => {
    const n = perRepN(g);
    // A percentile q from n samples rests on the n(1-q) largest: below 100 (p99) or 1000
    // (p99.9) samples it is interpolated between the very largest ones.
    const few99 = g.ok.length > 0 && n.min < 100;
    const few999 = g.ok.length > 0 && n.min < 1000;
    thin99 ||= few99;
    thin999 ||= few999;
    return [
      ...base(ctx, g),
      n.text,
      medOrWhy(g, 'rttP50Us'),
      medOrWhy(g, 'rttP90Us'),
      // Files written before percentiles were withheld below their n: marked instead.
      html`${medOrWhy(g, 'rttP99Us')}${few99 && metricValues(g, 'rttP99Us').length ? ' †' : ''}`,
      html`${medOrWhy(g, 'rttP999Us')}${few999 && metricValues(g, 'rttP999Us').length ? ' †' : ''}`,
      med(g, 'rttMaxUs'),
      med(g, 'firstExchangeUs'),
      med(g, 'echoLossPct'),
      lossCell(ctx, g),
      cpuCell(g),
    ];
  });
  const marks = [thin99 ? 'p99 from fewer than 100' : '', thin999 ? 'p99.9 from fewer than 1000' : ''].filter(Boolean);
  const foot = marks.length
    ? html`<p class="muted">A percentile p is shown only from repetitions with at least 1 / (1 − p) exchanges (p99: 100, p99.9: 1000); otherwise “n too small” (hover for the counts). † a file written before that rule: ${marks.join(', ')} exchanges per repetition (n), interpolated between the largest samples, so one slow exchange moves it.</p>`
    : '';
  return html`${table({
      caption: `Echo round-trip time percentiles: ${workload} (each the median over repetitions of that repetition's percentile, over its n exchanges)`,
      head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'n per rep', 'p50', 'p90', 'p99', 'p99.9', 'max', 'First exchange', 'Requests lost (udp)', 'Lost at the sender (each way)', 'CPU client / server'],
      rows,
      numeric: [4, 5, 6, 7, 8, 9, 10, 11, 12],
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
