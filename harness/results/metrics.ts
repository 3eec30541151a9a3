// Metrics as results carry them: the registry of every workload's metrics (label, unit,
// which direction is better, so compare and the reports agree on what "regression" means),
// a cell's metrics from its samples, and the values statistics are computed over.
import { defOf, METRICS, WORKLOAD_KINDS, workloads, type CellSamples, type Workload, type WorkloadKind } from '../workloads/index.js';
import type { CellLink, MetricDef } from '../workloads/types.js';
import type { CellResult } from './types.js';

export { METRICS, WORKLOAD_KINDS };
/** A streams cell's completion times by round, each sorted (reports chart them by rank). */
export { roundsOf } from '../workloads/streams.js';
export type { CellLink, MetricDef };

/**
 * One cell's (one repetition's) metrics from its raw samples and what it knows of its link
 * (the calibrated RTT: counts in round trips and the bulk steady state need it), and the
 * metrics it withholds with why (a p99 of 30 exchanges).
 */
export function cellMetrics(kind: WorkloadKind, s: CellSamples, link: CellLink = { rttMs: null }): { metrics: Record<string, number>; withheld: Record<string, string> } {
  const def = defOf(kind);
  return { metrics: def.metricsOf(s, link), withheld: def.withheld?.(s, link) ?? {} };
}

/** What reports say about a workload kind: its title and the metrics verdicts speak about. */
export function workloadInfo(kind: WorkloadKind): { title: string; headline: readonly string[] } {
  return { title: workloads[kind].title, headline: workloads[kind].headline };
}

/** One line describing a workload's parameters, e.g. "64 B payload, 200 exchanges, concurrency 1". */
export function describeWorkload(w: Workload): string {
  return defOf(w).describe(w);
}

/** Cells with the same key are repetitions of one measurement. */
export function cellKey(c: { point: number; transport: string; workload: string }): string {
  return `${c.point}/${c.transport}/${c.workload}`;
}

/**
 * Values of one metric over the ok cells among `cells`: failed, timeout and unsupported
 * repetitions take no part in any statistic (reports, compare and the run summary alike).
 */
export function okMetricValues(cells: readonly CellResult[], metric: string): number[] {
  const out: number[] = [];
  for (const c of cells) {
    if (c.status !== 'ok') continue;
    const v = c.metrics?.[metric];
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** Ok cells flagged CPU-bound; a failed or timed-out cell's CPU says nothing about a figure. */
export function okCpuBoundCount(cells: readonly CellResult[]): number {
  let n = 0;
  for (const c of cells) if (c.status === 'ok' && c.cpu?.cpuBound === true) n++;
  return n;
}
