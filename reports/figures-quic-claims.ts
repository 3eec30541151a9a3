// Charts of the workloads that test QUIC's specific claims (issue 17): streams completing
// by rank within a round (head-of-line blocking), connection setup in round trips against
// the count each transport's facts expect, and the second connection's resumption.
import { median, quantile } from '../harness/core/stats.js';
import { METRICS, roundsOf } from '../harness/results/metrics.js';
import type { StreamsWorkload, TransportRecord } from '../harness/results/types.js';
import { displayScale, r4, type ChartDataset } from './charts.js';
import { cpuCaption, markLast, missingCaption, type ResultCtx } from './figures.js';
import { fmtMs } from './format.js';
import { labOf, metricValues, pointLabel, seriesLabel, type CellGroup } from './model.js';
import type { Html } from './style.js';

const ordinal = (k: number): string => `${k}${k % 10 === 1 && k % 100 !== 11 ? 'st' : k % 10 === 2 && k % 100 !== 12 ? 'nd' : k % 10 === 3 && k % 100 !== 13 ? 'rd' : 'th'}`;

/** What "one connection" and "separate connections" mean for each kind of transport. */
export function streamsModeText(mode: StreamsWorkload['mode']): string {
  return mode === 'multiplexed'
    ? 'Multiplexed: a QUIC transport carries each stream as a QUIC stream of one connection; tcp and tls carry all of them in bench’s framing on one TCP connection, and a tunnel carries that one TCP connection on one of its QUIC streams, as blocked as TCP.'
    : 'Separate connections: one connection per stream; a tunnel carries the N TCP connections on N streams of its one QUIC connection.';
}

const okHere = (ctx: ResultCtx, point: number, workload: string): CellGroup[] => ctx.groups.filter((g) => g.point === point && g.workload === workload && g.ok.length > 0);

/** Completion time of the k-th stream to finish in its round, p50 and p99 over rounds, per transport. */
export function streamRankChart(ctx: ResultCtx, point: number, workload: string): Html | null {
  const gs = okHere(ctx, point, workload);
  const w = ctx.result.scenario.workloads.find((x) => x.id === workload) as StreamsWorkload | undefined;
  const byGroup = gs.map((g) => ({ g, rounds: g.ok.flatMap((c) => roundsOf(c.samples)) })).filter((x) => x.rounds.length > 0);
  if (!byGroup.length || !w) return null;
  const n = Math.max(...byGroup.map((x) => x.rounds[0].length));
  const ranks = Array.from({ length: n }, (_, k) => k);
  const at = (rounds: number[][], k: number, q: number): number | null => {
    const v = rounds.filter((r) => r.length > k).map((r) => r[k]);
    return v.length ? quantile(v, q) : null;
  };
  const all = byGroup.flatMap(({ rounds }) => rounds.flat());
  const sc = displayScale('us', all);
  const datasets: ChartDataset[] = byGroup.flatMap(({ g, rounds }) => {
    const s = ctx.series.get(g.seriesKey);
    const color = s?.color ?? '#777777';
    const line = (q: number, dash: number[]): ChartDataset => ({
      label: `${seriesLabel(ctx.series, g)} p${q === 0.5 ? 50 : 99}`,
      color,
      dash,
      data: ranks.map((k) => {
        const v = at(rounds, k, q);
        return v === null ? null : r4(v / sc.div);
      }),
      notes: ranks.map(() => `${rounds.length} rounds`),
      cpuBound: g.cpuBoundReps > 0 ? markLast(n) : undefined,
    });
    return [line(0.5, []), line(0.99, [6, 3])];
  });
  const what = w.mode === 'multiplexed' ? `${w.streams} multiplexed streams` : `${w.streams} streams on separate connections`;
  const spec = {
    type: 'line' as const,
    title: `Completion time of ${what}, p50/p99 per stream: ${workload} at ${pointLabel(ctx.result, point)}`,
    labels: ranks.map((k) => `${ordinal(k + 1)} done`),
    datasets,
    x: { title: 'stream, in the order the streams of a round completed' },
    y: { title: 'completion time since the round started', unit: sc.unit, min: 0 },
  };
  const caption =
    `Each round sends one request on every stream at once; its streams are sorted by completion time, and each point is the p50 (solid) or p99 (dashed) over the rounds of the successful repetitions, pooled. ` +
    `Head-of-line blocking lifts a whole line: a lost segment delays every stream behind it, the first to complete as much as the last; without it, a loss delays the stream it belonged to, and the line rises towards its end only. ` +
    `${streamsModeText(w.mode)}${missingCaption(ctx, ctx.groups.filter((g) => g.point === point && g.workload === workload))}`;
  return ctx.charts.figure(spec, caption, cpuCaption(ctx, gs));
}

/** The median over ok repetitions of a metric, or null. */
const medOf = (g: CellGroup, metric: string): number | null => {
  const v = metricValues(g, metric);
  return v.length ? median(v) : null;
};

/** Measured setup and first byte in round trips, per transport, beside the expected and promised counts. */
export function handshakeRoundTripsChart(ctx: ResultCtx, point: number, workload: string): Html | null {
  const gs = okHere(ctx, point, workload).filter((g) => medOf(g, 'setupRoundTrips') !== null);
  if (!gs.length) return null;
  const facts = (g: CellGroup): TransportRecord['handshake'] => g.facts?.handshake ?? null;
  const datasets: ChartDataset[] = [
    { label: 'measured: setup', color: '#0072B2', data: gs.map((g) => r4(medOf(g, 'setupRoundTrips')!)), cpuBound: gs.map((g) => g.cpuBoundReps > 0) },
    { label: 'measured: first echoed byte', color: '#56B4E9', data: gs.map((g) => { const v = medOf(g, 'handshakeRoundTrips'); return v === null ? null : r4(v); }) },
    // Level marks per transport, never joined: a line between transports would mean nothing.
    { label: 'expected setup (this implementation)', color: '#D55E00', asLine: true, pointsOnly: true, pointStyle: 'line', pointRadius: 16, data: gs.map((g) => facts(g)?.expectedRoundTrips ?? null), notes: gs.map((g) => facts(g)?.note ?? '') },
    { label: 'promised setup (the protocol)', color: '#57606a', asLine: true, pointsOnly: true, pointStyle: 'circle', pointRadius: 4, data: gs.map((g) => facts(g)?.promisedRoundTrips ?? null) },
  ];
  const rtt = labOf(ctx.result, point)?.measured?.rttMs.p50;
  const spec = {
    type: 'bar' as const,
    title: `Connection setup in round trips, measured against expected: ${workload} at ${pointLabel(ctx.result, point)}`,
    labels: gs.map((g) => seriesLabel(ctx.series, g)),
    datasets,
    x: { title: 'transport' },
    y: { title: 'round trips of the link', unit: 'RTT', min: 0 },
  };
  const caption =
    `Setup: from the connect call until the stack reports the connection usable; first echoed byte: until one small request came back (one round trip more). ` +
    `Both are medians over repetitions of each repetition’s p50, divided by the link’s calibrated RTT p50${rtt ? ` (${fmtMs(rtt)})` : ''}. ` +
    `The expected count is a fact of each transport (TCP 1, TLS 1.3 over TCP 2, QUIC 1, QUIC with a Retry 2; a tunnel that keeps its QUIC connection 0); the table names why an implementation’s count differs from its protocol’s.` +
    missingCaption(ctx, ctx.groups.filter((g) => g.point === point && g.workload === workload));
  return ctx.charts.figure(spec, caption, cpuCaption(ctx, gs));
}

/** Full handshake against the resumed second connection, per transport that resumed. */
export function resumptionChart(ctx: ResultCtx, point: number, workload: string): Html | null {
  const gs = okHere(ctx, point, workload).filter((g) => medOf(g, 'resumedFirstByteP50Us') !== null);
  if (!gs.length) return null;
  const metrics = ['fullSetupP50Us', 'resumedSetupP50Us', 'fullFirstByteP50Us', 'resumedFirstByteP50Us'];
  const values = gs.flatMap((g) => metrics.map((m) => medOf(g, m) ?? NaN));
  const sc = displayScale('us', values);
  const colors = ['#0072B2', '#009E73', '#56B4E9', '#8CE0B5'];
  const datasets: ChartDataset[] = metrics.map((m, i) => ({
    label: METRICS[m].label,
    color: colors[i],
    data: gs.map((g) => {
      const v = medOf(g, m);
      return v === null ? null : r4(v / sc.div);
    }),
    cpuBound: gs.map((g) => g.cpuBoundReps > 0),
  }));
  const rtt = labOf(ctx.result, point)?.measured?.rttMs.p50;
  const spec = {
    type: 'bar' as const,
    title: `Second connection, full handshake against resumed session: ${workload} at ${pointLabel(ctx.result, point)}`,
    labels: gs.map((g) => seriesLabel(ctx.series, g)),
    datasets,
    x: { title: 'transport' },
    y: { title: 'time from the connect call', unit: sc.unit, min: 0 },
  };
  const caption =
    `Medians over repetitions of each repetition’s p50; resumed figures count only connections that did resume. ` +
    `0-RTT shows as a resumed setup near zero and a first byte one round trip${rtt ? ` (${fmtMs(rtt)})` : ''} after the connect call; resumption without early data saves no round trip.` +
    missingCaption(ctx, ctx.groups.filter((g) => g.point === point && g.workload === workload));
  return ctx.charts.figure(spec, caption, cpuCaption(ctx, gs));
}
