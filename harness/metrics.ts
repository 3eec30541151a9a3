// Metrics derived from a cell's raw samples. The registry says, for each metric, its unit
// and which direction is better, so compare and the reports agree on what "regression" means.
import { summarize } from './stats.js';
import type { CellResult, CellSamples, WorkloadKind } from './types.js';

export interface MetricDef {
  kind: WorkloadKind;
  label: string;
  unit: 'us' | 'bit/s' | 'pct';
  better: 'lower' | 'higher';
}

export const METRICS: Readonly<Record<string, MetricDef>> = {
  rttP50Us: { kind: 'echo', label: 'echo RTT p50', unit: 'us', better: 'lower' },
  rttP90Us: { kind: 'echo', label: 'echo RTT p90', unit: 'us', better: 'lower' },
  rttP99Us: { kind: 'echo', label: 'echo RTT p99', unit: 'us', better: 'lower' },
  rttP999Us: { kind: 'echo', label: 'echo RTT p99.9', unit: 'us', better: 'lower' },
  rttMaxUs: { kind: 'echo', label: 'echo RTT max', unit: 'us', better: 'lower' },
  firstExchangeUs: { kind: 'echo', label: 'first exchange (incl. setup)', unit: 'us', better: 'lower' },
  echoLossPct: { kind: 'echo', label: 'echo requests lost', unit: 'pct', better: 'lower' },
  goodputBitsPerSec: { kind: 'bulk', label: 'bulk goodput', unit: 'bit/s', better: 'higher' },
  handshakeP50Us: { kind: 'handshake', label: 'handshake p50', unit: 'us', better: 'lower' },
  handshakeP99Us: { kind: 'handshake', label: 'handshake p99', unit: 'us', better: 'lower' },
};

/** Metrics of one cell (one repetition) computed from its raw samples. */
export function cellMetrics(kind: WorkloadKind, s: CellSamples): Record<string, number> {
  const m: Record<string, number> = {};
  if (kind === 'echo') {
    if (s.rttUs && s.rttUs.length > 0) {
      const p = summarize(s.rttUs);
      Object.assign(m, { rttP50Us: p.p50, rttP90Us: p.p90, rttP99Us: p.p99, rttP999Us: p.p999, rttMaxUs: p.max });
    }
    if (s.firstExchangeUs !== undefined) m.firstExchangeUs = s.firstExchangeUs;
    if (s.sent !== undefined && s.sent > 0) m.echoLossPct = (100 * (s.lost ?? 0)) / s.sent;
  } else if (kind === 'bulk') {
    if (s.bytes !== undefined && s.elapsedMs !== undefined && s.elapsedMs > 0) {
      m.goodputBitsPerSec = (s.bytes * 8) / (s.elapsedMs / 1000);
    }
  } else if (kind === 'handshake') {
    if (s.handshakeUs && s.handshakeUs.length > 0) {
      const p = summarize(s.handshakeUs);
      m.handshakeP50Us = p.p50;
      m.handshakeP99Us = p.p99;
    }
  }
  return m;
}

/**
 * Transport counters (packets, bytes, stream bytes, PTO events) add up over sessions and
 * difference over a cell; everything else (RTT, cwnd, MTU, rates) is a gauge.
 */
export function isCounter(key: string): boolean {
  return /^(packets|bytes|stream|pto|connections|quicDial)/.test(key);
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
