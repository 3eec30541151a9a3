// Number and text formatting for every report (HTML, Markdown, trend, and reports/compare-html.ts).
// STABLE API: other reports import these; keep names and signatures, add rather than change.
// Raw numbers cross file boundaries; only reporters turn them into text (STYLE rule 3).
import { METRICS } from '../harness/results/metrics.js';
import type { LinkDirection, ResolvedLink } from '../harness/core/types.js';

export { fmtBytes, fmtDuration, fmtMs, fmtPct, fmtRate, fmtUs, sig, sigTrim } from '../harness/core/format.js';
import { fmtMs, fmtPct, fmtRate, fmtUs, sig } from '../harness/core/format.js';

/** A value of a registered metric in its unit. */
export function fmtMetric(metric: string, v: number): string {
  const unit = METRICS[metric]?.unit;
  if (unit === 'us') return fmtUs(v);
  if (unit === 'bit/s') return fmtRate(v);
  if (unit === 'pct') return fmtPct(v);
  if (unit === 'rtt') return fmtRoundTrips(v);
  if (unit === 'bool') return v >= 1 ? 'yes' : v <= 0 ? 'no' : `yes in ${fmtPct(v * 100)}`;
  return sig(v);
}

/** Round trips of the link, one decimal: "2.1 RTT". */
export function fmtRoundTrips(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(1)} RTT` : '–';
}

/** "3.1×" for factors of 1.1 and above, else a percentage ("7%", "0.3%"), which reads better. */
export function fmtFactor(factor: number): string {
  if (!Number.isFinite(factor)) return '–';
  if (factor >= 1.1) return `${factor >= 10 ? factor.toFixed(0) : factor.toFixed(1)}×`;
  const pct = (factor - 1) * 100;
  return `${pct < 1 ? pct.toFixed(1) : Math.round(pct)}%`;
}

export function fmtP(p: number): string {
  if (!Number.isFinite(p)) return 'p=–';
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}

/** Short metric name for sentences: "p99", "goodput", "handshake p50". */
export function metricShort(metric: string): string {
  const label = METRICS[metric]?.label ?? metric;
  return label.replace(/^echo RTT /, '').replace(/^bulk /, '');
}

export function rttMsOf(link: ResolvedLink): number {
  return link.uplink.delayMs + link.downlink.delayMs;
}

/** Loss of one direction: "1%", or the Gilbert-Elliott parameters of burst loss. */
export function lossOf(d: LinkDirection): string {
  if (d.gilbert) return `GE p=${d.gilbert.pPct}% r=${d.gilbert.rPct}%`;
  return fmtPct(d.lossPct);
}

/** "RTT 50 ms, loss 1% each way, 100 Mbit/s" — symmetric parts said once. */
export function describeLink(link: ResolvedLink): string {
  const { uplink: u, downlink: d } = link;
  const parts = [`RTT ${fmtMs(rttMsOf(link))}`];
  if (u.jitterMs || d.jitterMs) parts.push(`jitter ±${fmtMs(u.jitterMs)}/±${fmtMs(d.jitterMs)}`);
  const lu = lossOf(u);
  const ld = lossOf(d);
  parts.push(lu === ld ? `loss ${lu} each way` : `loss ${lu} up / ${ld} down`);
  const ru = fmtRate(u.rateBitsPerSec);
  const rd = fmtRate(d.rateBitsPerSec);
  parts.push(ru === rd ? `rate ${ru}` : `rate ${ru} up / ${rd} down`);
  return parts.join(', ');
}

/** ISO timestamp to "2025-06-01 14:03 UTC"; renderers never read the clock themselves. */
export function fmtDate(iso: string | null): string {
  if (!iso) return '–';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}
