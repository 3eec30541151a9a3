// Tables of the workloads that test QUIC's specific claims (issue 17): every figure their
// charts show, plus what the charts cannot (setup counts against each transport's facts,
// with the reason when they differ; resumption's share and 0-RTT).
import { median } from '../harness/core/stats.js';
import type { StreamsWorkload } from '../harness/results/types.js';
import { streamsModeText } from './figures-quic-claims.js';
import type { ResultCtx } from './figures.js';
import { fmtMs, fmtPct, fmtRoundTrips, fmtUs } from './format.js';
import { labOf, metricValues, type CellGroup } from './model.js';
import { html, table, type Html, type HtmlValue } from './style.js';
import { base, cpuCell, med, medOrWhy, rowClass } from './tables.js';

const medOf = (g: CellGroup, metric: string): number | null => {
  const v = metricValues(g, metric);
  return v.length ? median(v) : null;
};

export function streamsTable(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  const w = ctx.result.scenario.workloads.find((x) => x.id === workload) as StreamsWorkload | undefined;
  const rows = gs.map((g) => [
    ...base(ctx, g),
    med(g, 'streamP50Us'),
    med(g, 'streamP99Us'),
    med(g, 'firstStreamP50Us'),
    med(g, 'roundP50Us'),
    med(g, 'roundP99Us'),
    med(g, 'spreadP50Us'),
    med(g, 'spreadP99Us'),
    cpuCell(g),
  ]);
  const foot = w ? html`<p class="muted">${streamsModeText(w.mode)} Spread: the last stream of a round minus the first.</p>` : '';
  return html`${table({
      caption: `Stream completion times: ${workload} (each the median over repetitions of that repetition’s figure, from the round’s start)`,
      head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'Stream p50', 'Stream p99', 'First done p50', 'All done p50', 'All done p99', 'Spread p50', 'Spread p99', 'CPU client / server'],
      rows,
      numeric: [4, 5, 6, 7, 8, 9, 10],
      rowClass: rowClass(gs),
    })}${foot}`;
}

export function exchangeTable(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  const rows = gs.map((g) => [
    ...base(ctx, g),
    med(g, 'exchangeP50Us'),
    med(g, 'exchangeP90Us'),
    med(g, 'exchangeP99Us'),
    med(g, 'exchangeMaxUs'),
    med(g, 'exchangeSeriesUs'),
    med(g, 'exchangeSetupUs'),
    cpuCell(g),
  ]);
  return table({
    caption: `Request/response exchanges: ${workload} (median over repetitions; the series is timed from its first request byte to its last response byte, after connection setup)`,
    head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'p50', 'p90', 'p99', 'max', 'Whole series', 'Setup before it', 'CPU client / server'],
    rows,
    numeric: [4, 5, 6, 7, 8, 9],
    rowClass: rowClass(gs),
  });
}

/**
 * How a measured count reads against the transport's expected one; beyond half a round
 * trip more, the excess in time, which is what endpoint processing, loss or queueing cost.
 */
function verdictOfCount(measured: number | null, expected: number | undefined, promised: number | undefined, rttMs: number | undefined): HtmlValue {
  if (measured === null || expected === undefined) return '–';
  if (Math.abs(measured - expected) <= 0.5) return expected === promised ? 'as the protocol promises' : 'as expected of this implementation';
  if (measured < expected) return html`<span class="bad">fewer than expected</span> <span class="muted">(check the transport’s facts)</span>`;
  const excess = rttMs ? ` by ${fmtMs((measured - expected) * rttMs)}` : '';
  return html`<span class="bad">more than expected${excess}</span> <span class="muted">(endpoint processing, loss, queueing, or a round trip the facts do not state: a setup on the loopback backend shows the processing alone)</span>`;
}

export function handshakeTable(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  const rows = gs.map((g): HtmlValue[] => {
    const pooled = g.ok.flatMap((c) => c.samples.handshakeUs ?? []);
    const hs = g.facts?.handshake ?? null;
    const setupRt = medOf(g, 'setupRoundTrips');
    const firstRt = medOf(g, 'handshakeRoundTrips');
    const expected = hs ? html`${hs.expectedRoundTrips}${hs.promisedRoundTrips !== hs.expectedRoundTrips ? html` <span class="muted">(protocol: ${hs.promisedRoundTrips})</span>` : ''}` : html`<span class="muted">not stated</span>`;
    return [
      ...base(ctx, g),
      medOrWhy(g, 'handshakeP50Us'),
      medOrWhy(g, 'handshakeP99Us'),
      pooled.length ? fmtUs(Math.max(...pooled)) : '–',
      med(g, 'setupP50Us'),
      setupRt === null ? '–' : fmtRoundTrips(setupRt),
      expected,
      verdictOfCount(setupRt, hs?.expectedRoundTrips, hs?.promisedRoundTrips, labOf(ctx.result, g.point)?.measured?.rttMs.p50),
      firstRt === null ? '–' : fmtRoundTrips(firstRt),
      hs?.note ?? '',
      cpuCell(g),
    ];
  });
  const rtts = [...new Set(gs.map((g) => labOf(ctx.result, g.point)?.measured?.rttMs.p50).filter((v): v is number => v !== undefined))];
  const foot = html`<p class="muted">Round trips: a time divided by the link’s calibrated RTT p50${rtts.length === 1 ? ` (${fmtMs(rtts[0])})` : ''}; not given below 2 ms, where endpoint CPU is a large share of a setup. Setup: connect call until the stack reports the connection usable; handshake: until the first echoed byte (one round trip more).</p>`;
  return html`${table({
      caption: `Handshake time: ${workload} (connection setup, and until the first echoed byte)`,
      head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'First byte p50', 'First byte p99', 'First byte max', 'Setup p50', 'Setup (RTT)', 'Expected (RTT)', 'Reads', 'First byte (RTT)', 'Why', 'CPU client / server'],
      rows,
      numeric: [4, 5, 6, 7, 8, 9, 11],
      rowClass: rowClass(gs),
    })}${foot}`;
}

export function resumptionTable(ctx: ResultCtx, workload: string): Html {
  const gs = ctx.groups.filter((g) => g.workload === workload);
  const rt = (g: CellGroup, m: string): HtmlValue => {
    const v = medOf(g, m);
    return v === null ? '' : html` <span class="muted">${fmtRoundTrips(v)}</span>`;
  };
  const rows = gs.map((g): HtmlValue[] => {
    const r = g.facts?.resumption;
    const expected = r && 'roundTrips' in r ? html`${r.roundTrips}${r.earlyData ? html` <span class="muted">(0-RTT)</span>` : ''}` : '–';
    const why = r ? ('roundTrips' in r ? r.note : r.unsupported) : '';
    const pct = (m: string): string => {
      const v = medOf(g, m);
      return v === null ? '–' : fmtPct(v);
    };
    return [
      ...base(ctx, g),
      html`${med(g, 'fullSetupP50Us')}${rt(g, 'fullSetupRoundTrips')}`,
      html`${med(g, 'resumedSetupP50Us')}${rt(g, 'resumedSetupRoundTrips')}`,
      expected,
      med(g, 'fullFirstByteP50Us'),
      html`${med(g, 'resumedFirstByteP50Us')}${rt(g, 'resumedFirstByteRoundTrips')}`,
      pct('resumedPct'),
      pct('earlyDataPct'),
      html`<span class="muted">${why}</span>`,
      cpuCell(g),
    ];
  });
  return table({
    caption: `Second connection: ${workload} (full handshake, then a connection offering its session; medians over repetitions of each repetition’s p50)`,
    head: ['Point', 'Transport', 'Implementation', 'Reps ok', 'Full: setup', 'Resumed: setup', 'Expected resumed setup (RTT)', 'Full: first byte', 'Resumed: first byte', 'Resumed', '0-RTT', 'Why', 'CPU client / server'],
    rows,
    numeric: [4, 5, 6, 7, 8, 9, 10],
    rowClass: rowClass(gs),
  });
}
