// The charts of one result: goodput bars with CI whiskers, latency and handshake CDFs,
// goodput time series, and per-metric sweep lines with the Mathis estimate.
import { METRICS } from '../harness/results/metrics.js';
import type { BulkWorkload, CellResult, ResultFile } from '../harness/results/types.js';
import { expectedLoss } from '../harness/core/link.js';
import { isTcpStream } from '../harness/results/transports.js';
import { fmtMs, fmtPct, rttMsOf } from './format.js';
import { ChartSet, cdfPoints, ciWhiskers, displayScale, r4, wantsLog, whiskerCaption, type ChartDataset } from './charts.js';
import { cpuDetail, labOf, medianRepetition, metricCI, pointIndexes, pointLabel, pointOf, seriesLabel, type CellGroup, type Series } from './model.js';
import { CPU_BOUND_MEANING, html, type Html } from './style.js';

export interface ResultCtx {
  result: ResultFile;
  groups: CellGroup[];
  series: Map<string, Series>;
  charts: ChartSet;
}

const MSS_BYTES = 1448;

/**
 * What the Mathis figure is: a model of Reno-style steady state under random loss, not a
 * limit (issue 15: TCP cubic measured 1.78x above it at 1 % loss, 50 ms RTT).
 */
export const MATHIS_IS_AN_ESTIMATE = 'It is a model estimate for Reno-style TCP under random loss, not a limit: CUBIC, SACK and short transfers can land well above it.';

/** Mathis et al. steady-state TCP throughput estimate: MSS / RTT * 1.22 / sqrt(p), bit/s. */
function mathisBitsPerSec(rttMs: number, lossFraction: number, mssBytes = MSS_BYTES): number {
  if (!(lossFraction > 0) || !(rttMs > 0)) return NaN;
  return ((mssBytes * 8) / (rttMs / 1000)) * (1.22 / Math.sqrt(lossFraction));
}

/** Mathis estimate at a point for a bulk workload: data-direction loss, calibrated RTT if any. */
export function mathisAt(result: ResultFile, point: number, workload: string): { bps: number; rttMs: number; measured: boolean; loss: number } | null {
  const p = pointOf(result, point);
  if (!p) return null;
  const w = result.scenario.workloads.find((x) => x.id === workload) as BulkWorkload | undefined;
  const dir = w?.direction === 'upload' ? p.link.uplink : p.link.downlink;
  const loss = expectedLoss(dir);
  const cal = labOf(result, point)?.measured?.rttMs.p50;
  const measured = typeof cal === 'number' && cal > 0;
  const rttMs = measured ? cal : rttMsOf(p.link);
  const bps = mathisBitsPerSec(rttMs, loss);
  return Number.isFinite(bps) ? { bps, rttMs, measured, loss } : null;
}

/** Series with at least one successful repetition among the groups: the others have no value to draw. */
export function seriesOf(ctx: ResultCtx, groups: CellGroup[]): Series[] {
  const keys = new Set(groups.filter((g) => g.ok.length > 0).map((g) => g.seriesKey));
  return [...ctx.series.values()].filter((s) => keys.has(s.key));
}

/** "Not shown: udp (unsupported)." for transports whose every repetition here was not ok. */
export function missingCaption(ctx: ResultCtx, groups: CellGroup[]): string {
  const shown = new Set(groups.filter((g) => g.ok.length > 0).map((g) => g.seriesKey));
  const missing = new Map<string, { g: CellGroup; st: Set<string> }>();
  for (const g of groups) {
    if (shown.has(g.seriesKey)) continue;
    const m = missing.get(g.seriesKey) ?? { g, st: new Set<string>() };
    for (const c of g.cells) m.st.add(c.status);
    missing.set(g.seriesKey, m);
  }
  if (!missing.size) return '';
  const list = [...missing.values()].map(({ g, st }) => `${seriesLabel(ctx.series, g)} (${[...st].join(', ')})`);
  return ` Not shown, no successful repetition: ${list.join('; ')}.`;
}

/** The sentence under a chart naming every CPU-bound value in it. */
export function cpuCaption(ctx: ResultCtx, groups: CellGroup[]): Html[] {
  return groups
    .filter((g) => g.cpuBoundReps > 0)
    .map((g) => html`<span class="cpu-note">⚠ ${seriesLabel(ctx.series, g)} at ${pointLabel(ctx.result, g.point)} — ${CPU_BOUND_MEANING} (${cpuDetail(g)}).</span>`);
}

function statusNote(g: CellGroup): string {
  const bad = g.cells.length - g.ok.length;
  return `median of ${g.ok.length} repetition${g.ok.length === 1 ? '' : 's'}${bad ? `, ${bad} not ok` : ''}`;
}

/** A dataset per series: the metric's median at each point (divided by `div`), CI whiskers, CPU-bound marks. */
function medianDatasets(ctx: ResultCtx, gs: CellGroup[], points: number[], metric: string, div: number): ChartDataset[] {
  return seriesOf(ctx, gs).map((s) => {
    const at = points.map((p) => gs.find((g) => g.point === p && g.seriesKey === s.key));
    const ci = at.map((g) => (g ? metricCI(g, metric) : null));
    return {
      label: s.label,
      color: s.color,
      dash: s.dash, // lines only; bars ignore it
      data: ci.map((c) => (c ? r4(c.estimate / div) : null)),
      ...ciWhiskers(ci, at.map((g) => g?.ok.length ?? 0), div),
      cpuBound: at.map((g) => !!g && g.cpuBoundReps > 0),
      notes: at.map((g) => (g ? statusNote(g) : 'no cell')),
    };
  });
}

/** Goodput per transport and point: bars at the median, whiskers at its CI (95 % from 6 repetitions). */
export function goodputBars(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  const points = pointIndexes(ctx.result).filter((p) => gs.some((g) => g.point === p));
  const all = gs.flatMap((g) => g.ok.map((c) => c.metrics.goodputBitsPerSec ?? NaN));
  const sc = displayScale('bit/s', all);
  const datasets = medianDatasets(ctx, gs, points, 'goodputBitsPerSec', sc.div);
  const values = datasets.flatMap((d) => d.data as (number | null)[]).filter((v): v is number => v !== null);
  const spec = {
    type: 'bar' as const,
    title: `Goodput: ${workload}`,
    labels: points.map((p) => pointLabel(ctx.result, p)),
    datasets,
    x: { title: 'link point' },
    y: { title: 'goodput', unit: sc.unit, log: wantsLog(values) },
  };
  const caption = `Median goodput over repetitions. ${whiskerCaption(datasets)} Hatched bars marked ⚠ are CPU-bound.${missingCaption(ctx, gs)}`;
  return ctx.charts.figure(spec, caption, cpuCaption(ctx, gs));
}

/** Empirical CDF of pooled samples of every ok repetition, per transport at one point. */
export function cdfChart(ctx: ResultCtx, point: number, workload: string, what: 'rtt' | 'handshake'): Html | null {
  return sampleCdf(ctx, point, workload, {
    samples: (c) => (what === 'rtt' ? c.samples.rttUs : c.samples.handshakeUs) ?? [],
    noun: what === 'rtt' ? 'Echo round-trip time' : 'Handshake time',
    xTitle: what === 'rtt' ? 'round-trip time' : 'connection setup to first echoed byte',
  });
}

/** The same CDF of any per-cell samples (microseconds), titled `noun`. */
export function sampleCdf(ctx: ResultCtx, point: number, workload: string, o: { samples: (c: CellResult) => number[]; noun: string; xTitle: string }): Html | null {
  const gs = ctx.groups.filter((g) => g.point === point && g.workload === workload && g.ok.length > 0);
  const pick = (g: CellGroup): number[] => g.ok.flatMap(o.samples);
  const all = gs.flatMap(pick);
  if (!all.length) return null;
  const sc = displayScale('us', all);
  const datasets: ChartDataset[] = gs.map((g) => {
    const s = ctx.series.get(g.seriesKey);
    const v = pick(g);
    return {
      label: seriesLabel(ctx.series, g),
      color: s?.color ?? '#777777',
      dash: s?.dash,
      data: cdfPoints(v, sc.div),
    };
  });
  gs.forEach((g, i) => {
    if (g.cpuBoundReps > 0) datasets[i].cpuBound = markLast((datasets[i].data as unknown[]).length);
  });
  const spec = {
    type: 'xy' as const,
    title: `${o.noun} CDF: ${workload} at ${pointLabel(ctx.result, point)}`,
    datasets,
    x: { title: o.xTitle, unit: sc.unit, log: wantsLog(all) },
    y: { title: 'cumulative fraction (nines scale)', nines: true, min: 0 },
  };
  const n = gs.map((g) => `${seriesLabel(ctx.series, g)} ${pick(g).length}`).join(', ');
  const caption = `All samples of the successful repetitions pooled (${n} samples).${missingCaption(ctx, ctx.groups.filter((g) => g.point === point && g.workload === workload))} Lines further left are faster. The vertical axis is stretched towards the tail (50%, 90%, 99%, 99.9% evenly spaced), where loss recovery shows.`;
  return ctx.charts.figure(spec, caption, cpuCaption(ctx, gs));
}

/** Goodput per 100 ms interval of the median repetition of each transport at one point. */
export function goodputSeriesChart(ctx: ResultCtx, point: number, workload: string): Html | null {
  const gs = ctx.groups.filter((g) => g.point === point && g.workload === workload);
  const reps = gs.map((g) => ({ g, c: medianRepetition(g, 'goodputBitsPerSec') })).filter((x) => x.c?.samples.series?.bytes.length);
  if (!reps.length) return null;
  const rate = (b: number, ms: number): number => (b * 8) / (ms / 1000);
  const all = reps.flatMap(({ c }) => c!.samples.series!.bytes.map((b) => rate(b, c!.samples.series!.intervalMs)));
  const sc = displayScale('bit/s', all);
  const datasets: ChartDataset[] = reps.map(({ g, c }) => {
    const s = ctx.series.get(g.seriesKey);
    const ser = c!.samples.series!;
    const data = ser.bytes.map((b, i) => ({ x: r4(((i + 1) * ser.intervalMs) / 1000), y: r4(rate(b, ser.intervalMs) / sc.div) }));
    return {
      label: `${seriesLabel(ctx.series, g)} (rep ${c!.repetition})`,
      color: s?.color ?? '#777777',
      dash: s?.dash,
      data,
      stepped: true,
      cpuBound: g.cpuBoundReps > 0 ? markLast(data.length) : undefined,
    };
  });
  const spec = {
    type: 'xy' as const,
    title: `Goodput over time: ${workload} at ${pointLabel(ctx.result, point)}`,
    datasets,
    x: { title: 'time since first byte', unit: 's', min: 0 },
    y: { title: 'goodput', unit: sc.unit },
  };
  const caption = `Verified bytes per ${reps[0].c!.samples.series!.intervalMs} ms interval, from the repetition with the median goodput of each transport.`;
  return ctx.charts.figure(spec, caption, cpuCaption(ctx, gs.filter((g) => reps.some((r) => r.g === g))));
}

/** Sweep: one line chart per metric, x = swept value, a line per transport. */
export function sweepCharts(ctx: ResultCtx, workload: string, metrics: string[]): Html[] {
  const r = ctx.result;
  const points = pointIndexes(r);
  const axes = r.scenario.sweep;
  const single = axes.length === 1;
  const xLabels = points.map((p) => (single ? (pointOf(r, p)?.params[axes[0].field] ?? pointLabel(r, p)) : pointLabel(r, p)));
  const gs = ctx.groups.filter((g) => g.workload === workload);
  const out: Html[] = [];
  for (const metric of metrics) {
    const def = METRICS[metric];
    const values = gs.flatMap((g) => g.ok.map((c) => c.metrics[metric])).filter((v) => Number.isFinite(v));
    if (!values.length || !def) continue;
    const sc = displayScale(def.unit, values);
    const datasets = medianDatasets(ctx, gs, points, metric, sc.div);
    let mathisNote = '';
    // Any goodput (whole transfer or steady state) of a TCP stream has the Mathis bound.
    if (def.unit === 'bit/s' && gs.some((g) => isTcpStream(g.facts))) {
      const m = points.map((p) => mathisAt(r, p, workload));
      if (m.some(Boolean)) {
        datasets.push({
          label: `Mathis estimate for TCP (MSS ${MSS_BYTES} B)`,
          color: '#57606a',
          dash: [5, 4],
          asLine: true,
          pointRadius: 2,
          data: m.map((x) => (x ? r4(x.bps / sc.div) : null)),
          notes: m.map((x) => (x ? `RTT ${fmtMs(x.rttMs)} (${x.measured ? 'calibrated' : 'configured'}), p = ${fmtPct(x.loss * 100)}` : 'no loss: no bound')),
        });
        mathisNote = ` Dashed grey: the Mathis estimate MSS/RTT·1.22/√p for TCP (MSS ${MSS_BYTES} B, RTT from calibration where measured, p = data-direction loss), drawn where loss > 0. ${MATHIS_IS_AN_ESTIMATE}`;
      }
    }
    const shown = datasets.flatMap((d) => d.data as (number | null)[]).filter((v): v is number => v !== null && v > 0);
    const spec = {
      type: 'line' as const,
      title: `${def.label} vs ${single ? axes[0].field : 'point'}: ${workload}`,
      labels: xLabels,
      datasets,
      x: { title: single ? axes[0].field : 'link point' },
      y: { title: def.label, unit: sc.unit, log: wantsLog(shown) },
    };
    const caption = `Median over repetitions. ${whiskerCaption(datasets)} ◆ marks and ⚠ are CPU-bound values.${mathisNote}${missingCaption(ctx, gs)}`;
    out.push(ctx.charts.figure(spec, caption, cpuCaption(ctx, gs)));
  }
  return out;
}

/**
 * A whole line measured while CPU-bound: ⚠ at its last point (and in its legend label), so
 * the mark is visible without covering the curve.
 */
export function markLast(n: number): boolean[] {
  return Array.from({ length: n }, (_, i) => i === n - 1);
}
