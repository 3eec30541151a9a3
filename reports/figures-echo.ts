// Echo round-trip time over the cell's time (issue 15: samples were stored sorted, so a
// tail could not be placed in time, a 7.5 s stall not told from many small delays). One
// line per transport at a point, from its repetition with the highest RTT max, where a
// stall is if there was one.
import type { CellResult } from '../harness/results/types.js';
import { displayScale, r4, type ChartDataset } from './charts.js';
import { cpuCaption, markLast, missingCaption, type ResultCtx } from './figures.js';
import { pointLabel, seriesLabel, type CellGroup } from './model.js';
import type { Html } from './style.js';

/** Most points drawn per line; beyond it each time bucket shows its slowest exchange. */
export const MAX_POINTS_PER_LINE = 600;

/** A repetition's (start time s, RTT us) pairs in time order; [] for files without start times (sorted samples). */
export function rttTimeline(c: CellResult): { atS: number; rttUs: number }[] {
  const rtt = c.samples.rttUs ?? [];
  const at = c.samples.rttAtUs ?? [];
  if (!rtt.length || at.length !== rtt.length) return [];
  return rtt.map((v, i) => ({ atS: at[i] / 1e6, rttUs: v }));
}

/**
 * At most `max` points: the exchanges themselves when few enough, else the slowest exchange
 * of each of `max` equal time buckets (a stall stays visible; the median would hide it).
 */
export function thin(points: { atS: number; rttUs: number }[], max = MAX_POINTS_PER_LINE): { points: { atS: number; rttUs: number }[]; bucketS: number | null } {
  if (points.length <= max) return { points, bucketS: null };
  const t0 = points[0].atS;
  const span = points[points.length - 1].atS - t0 || 1;
  const bucketS = span / max;
  const out: { atS: number; rttUs: number }[] = [];
  for (const p of points) {
    const b = Math.min(max - 1, Math.floor((p.atS - t0) / bucketS));
    const last = out[out.length - 1];
    const lastB = last ? Math.min(max - 1, Math.floor((last.atS - t0) / bucketS)) : -1;
    if (b !== lastB) out.push(p);
    else if (p.rttUs > last.rttUs) out[out.length - 1] = p;
  }
  return { points: out, bucketS };
}

function worstRepetition(g: CellGroup): CellResult | null {
  const timed = g.ok.filter((c) => rttTimeline(c).length > 0);
  if (!timed.length) return null;
  return timed.reduce((a, b) => ((b.metrics.rttMaxUs ?? -Infinity) > (a.metrics.rttMaxUs ?? -Infinity) ? b : a));
}

/** RTT of every exchange against when it started, per transport at one point; null when no repetition kept its time order. */
export function rttOverTimeChart(ctx: ResultCtx, point: number, workload: string): Html | null {
  const gs = ctx.groups.filter((g) => g.point === point && g.workload === workload && g.ok.length > 0);
  const reps = gs.map((g) => ({ g, c: worstRepetition(g) })).filter((x): x is { g: CellGroup; c: CellResult } => x.c !== null);
  if (!reps.length) return null;
  const lines = reps.map(({ g, c }) => ({ g, c, ...thin(rttTimeline(c)) }));
  const sc = displayScale('us', lines.flatMap((l) => l.points.map((p) => p.rttUs)));
  const datasets: ChartDataset[] = lines.map(({ g, c, points }) => {
    const s = ctx.series.get(g.seriesKey);
    return {
      label: `${seriesLabel(ctx.series, g)} (rep ${c.repetition}, n ${c.samples.rttUs!.length})`,
      color: s?.color ?? '#777777',
      dash: s?.dash,
      data: points.map((p) => ({ x: r4(p.atS), y: r4(p.rttUs / sc.div) })),
      pointRadius: 1.5,
      cpuBound: g.cpuBoundReps > 0 ? markLast(points.length) : undefined,
    };
  });
  const thinned = lines.filter((l) => l.bucketS !== null);
  const spec = {
    type: 'xy' as const,
    title: `Echo round-trip time over time: ${workload} at ${pointLabel(ctx.result, point)}`,
    datasets,
    x: { title: 'exchange start, since the cell began', unit: 's', min: 0 },
    y: { title: 'round-trip time', unit: sc.unit, min: 0 },
  };
  const older = gs.length > reps.length ? ' Repetitions from files that stored samples sorted have no time order and are not drawn.' : '';
  const caption =
    `Every exchange’s round-trip time at the time it started, from each transport’s repetition with the highest maximum (where a stall would be).` +
    (thinned.length ? ` Where a line has more than ${MAX_POINTS_PER_LINE} exchanges, each point is the slowest of its time bucket (${thinned.map((l) => `${seriesLabel(ctx.series, l.g)}: ${r4(l.bucketS! * 1000)} ms`).join(', ')}).` : '') +
    older +
    missingCaption(ctx, ctx.groups.filter((g) => g.point === point && g.workload === workload));
  return ctx.charts.figure(spec, caption, cpuCaption(ctx, reps.map((r) => r.g)));
}
