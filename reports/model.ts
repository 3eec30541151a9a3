// Cells grouped into measurements (repetitions of one point/transport/workload) and the
// series a chart draws. A group never mixes implementations: two QUIC libraries behind the
// same transport name are two series, never one line (DESIGN: name the QUIC implementation
// of every QUIC figure).
import { cellKey, okCpuBoundCount, okMetricValues } from '../harness/results/metrics.js';
import { nameSuffices, transportFacts } from '../harness/results/transports.js';
import { busiest } from '../harness/results/cpu.js';
import { medianCI, type Interval } from '../harness/core/stats.js';
import type { CellResult, ResultFile, TransportRecord, WorkloadKind } from '../harness/results/types.js';
import type { CellStatus, LabRecord, LinkPoint } from '../harness/core/types.js';

export interface CellGroup {
  /** cellKey plus implementation: unique per measurement. */
  key: string;
  seriesKey: string;
  point: number;
  transport: string;
  implementation: string;
  workload: string;
  kind: WorkloadKind;
  /** The transport's facts as the run recorded them (undefined: a name the scenario never listed). */
  facts: TransportRecord | undefined;
  /** Every repetition, by repetition number. */
  cells: CellResult[];
  /** Repetitions with status ok: the only ones statistics use. */
  ok: CellResult[];
  /** Ok repetitions flagged CPU-bound. */
  cpuBoundReps: number;
}

export interface Series {
  key: string;
  transport: string;
  implementation: string;
  label: string;
  color: string;
  dash: number[];
}

// Okabe-Ito: distinguishable with the common colour-vision deficiencies. Colours only: a
// transport not listed here takes the next colour of the palette.
const PREFERRED: Record<string, string> = { tcp: '#0072B2', tls: '#CC79A7', quic: '#D55E00', tunnel: '#009E73', udp: '#777777' };
const PALETTE = ['#E69F00', '#56B4E9', '#8C564B', '#17BECF', '#332288', '#AA4499', '#999933', '#882255'];
// Dashes keep lines apart in greyscale print.
const DASHES: number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4]];

export function seriesKey(transport: string, implementation: string): string {
  return `${transport}\u0000${implementation}`;
}

function groupKey(c: CellResult): string {
  return `${cellKey(c)}|${c.implementation}`;
}

/** Transport names in scenario order; names only seen in cells follow. */
export function transportOrder(result: ResultFile): string[] {
  const names = result.scenario.transports.map((t) => t.name);
  for (const c of result.cells) if (!names.includes(c.transport)) names.push(c.transport);
  return names;
}

export function workloadOrder(result: ResultFile): string[] {
  const ids = result.scenario.workloads.map((w) => w.id);
  for (const c of result.cells) if (!ids.includes(c.workload)) ids.push(c.workload);
  return ids;
}

export function groupCells(result: ResultFile): CellGroup[] {
  const facts = transportFacts(result);
  const map = new Map<string, CellGroup>();
  for (const c of result.cells) {
    const key = groupKey(c);
    let g = map.get(key);
    if (!g) {
      g = {
        key,
        seriesKey: seriesKey(c.transport, c.implementation),
        point: c.point,
        transport: c.transport,
        implementation: c.implementation,
        workload: c.workload,
        kind: c.kind,
        facts: facts.get(c.transport),
        cells: [],
        ok: [],
        cpuBoundReps: 0,
      };
      map.set(key, g);
    }
    g.cells.push(c);
    if (c.status === 'ok') g.ok.push(c);
  }
  const tOrder = transportOrder(result);
  const wOrder = workloadOrder(result);
  const groups = [...map.values()];
  for (const g of groups) {
    g.cells.sort((a, b) => a.repetition - b.repetition);
    g.cpuBoundReps = okCpuBoundCount(g.cells);
  }
  return groups.sort(
    (a, b) =>
      a.point - b.point ||
      wOrder.indexOf(a.workload) - wOrder.indexOf(b.workload) ||
      tOrder.indexOf(a.transport) - tOrder.indexOf(b.transport) ||
      a.implementation.localeCompare(b.implementation),
  );
}

/** Cells per status, every status present and in this order: ok, failed, timeout, unsupported. */
export function countStatuses(cells: readonly CellResult[]): Record<CellStatus, number> {
  const n: Record<CellStatus, number> = { ok: 0, failed: 0, timeout: 0, unsupported: 0 };
  for (const c of cells) n[c.status]++;
  return n;
}

/** Values of one metric over the ok repetitions (the rule compare.ts uses too). */
export function metricValues(g: CellGroup, metric: string): number[] {
  return okMetricValues(g.ok, metric);
}

export function metricCI(g: CellGroup, metric: string): Interval | null {
  const v = metricValues(g, metric);
  return v.length ? medianCI(v) : null;
}

/**
 * Series over every group given, labelled by transport, plus the implementation whenever the
 * transport's name does not suffice (a QUIC stack or tunnel under test, see
 * harness/results/transports.ts) or it carries more than one implementation. `family` maps
 * an implementation to the identity a line may span (the trend report strips versions).
 */
export function buildSeries(
  entries: { transport: string; implementation: string }[],
  order: string[],
  facts: ReadonlyMap<string, TransportRecord>,
  family: (impl: string) => string = (i) => i,
): Map<string, Series> {
  const impls = new Map<string, Set<string>>();
  for (const e of entries) {
    const set = impls.get(e.transport) ?? new Set<string>();
    set.add(family(e.implementation));
    impls.set(e.transport, set);
  }
  const transports = [...impls.keys()].sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
  const out = new Map<string, Series>();
  const used = new Set<string>();
  let spare = 0;
  let n = 0;
  for (const t of transports) {
    const list = [...(impls.get(t) ?? [])].sort();
    list.forEach((impl, i) => {
      let color = i === 0 ? PREFERRED[t] : undefined;
      if (!color || used.has(color)) color = PALETTE[spare++ % PALETTE.length];
      used.add(color);
      const named = !nameSuffices(facts.get(t)) || list.length > 1;
      out.set(seriesKey(t, impl), {
        key: seriesKey(t, impl),
        transport: t,
        implementation: impl,
        label: named ? `${t} · ${impl}` : t,
        color,
        dash: DASHES[n++ % DASHES.length],
      });
    });
  }
  return out;
}

/** The legend name of a group's series; the bare transport when the series is unknown. */
export function seriesLabel(series: ReadonlyMap<string, Series>, g: { seriesKey: string; transport: string }): string {
  return series.get(g.seriesKey)?.label ?? g.transport;
}

function rank(order: string[], t: string): number {
  const i = order.indexOf(t);
  return i < 0 ? order.length : i;
}

export function resultSeries(results: ResultFile[]): Map<string, Series> {
  const order = results.flatMap((r) => transportOrder(r));
  return buildSeries(results.flatMap((r) => r.cells), order, runsTransportFacts(results));
}

/** Transport facts over several runs; a later run's record of a name wins. */
export function runsTransportFacts(results: readonly ResultFile[]): Map<string, TransportRecord> {
  return new Map(results.flatMap((r) => [...transportFacts(r)]));
}

export function pointOf(result: ResultFile, index: number): LinkPoint | undefined {
  return result.scenario.points.find((p) => p.index === index);
}

export function labOf(result: ResultFile, index: number): LabRecord | undefined {
  return result.labs.find((l) => l.point === index);
}

export function pointLabel(result: ResultFile, index: number): string {
  return pointOf(result, index)?.label ?? `point ${index}`;
}

/** Point indexes that appear in the scenario or in any cell, ascending. */
export function pointIndexes(result: ResultFile): number[] {
  const s = new Set<number>(result.scenario.points.map((p) => p.index));
  for (const c of result.cells) s.add(c.point);
  return [...s].sort((a, b) => a - b);
}

/** The repetition whose metric is the median one: the representative run for time series. */
export function medianRepetition(g: CellGroup, metric: string): CellResult | null {
  const withV = g.ok.filter((c) => Number.isFinite(c.metrics[metric]));
  if (!withV.length) return null;
  const s = [...withV].sort((a, b) => a.metrics[metric] - b.metrics[metric]);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Highest core fraction one process of the endpoint used in any ok repetition (what the CPU-bound rule looks at). */
export function maxCore(g: CellGroup, side: 'client' | 'server'): number {
  let m = NaN;
  for (const c of g.ok) {
    const u = c.cpu?.[side];
    const v = u ? busiest(u) : undefined;
    if (typeof v === 'number') m = Number.isNaN(m) ? v : Math.max(m, v);
  }
  return m;
}

export function cpuDetail(g: CellGroup): string {
  const cl = maxCore(g, 'client');
  const sv = maxCore(g, 'server');
  const parts = [`${g.cpuBoundReps} of ${g.ok.length} repetition${g.ok.length === 1 ? '' : 's'}`];
  if (Number.isFinite(cl)) parts.push(`client up to ${Math.round(cl * 100)}% of a core`);
  if (Number.isFinite(sv)) parts.push(`server up to ${Math.round(sv * 100)}%`);
  return parts.join(', ');
}
