// Transport counters (packets, bytes, stream bytes, PTO events, connections) add up over
// sessions and difference over a cell; everything else a stack reports (RTT, cwnd, MTU,
// rates) is a gauge, kept at its value at the cell's end or averaged over sessions.
export function isCounter(key: string): boolean {
  return /^(packets|bytes|stream|pto|connections|quicDial)/.test(key);
}

/** Counters differenced between two readings; gauges keep the later value. */
export function counterDelta(before: Record<string, number> | null, after: Record<string, number> | null): Record<string, number> | null {
  if (!before || !after) return null;
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, isCounter(k) ? v - (before[k] ?? 0) : v]));
}

/** Several sessions' readings as one: counters summed, gauges averaged. */
export function mergeSessions(readings: readonly Record<string, number>[]): Record<string, number> | undefined {
  const sum: Record<string, number> = {};
  const n: Record<string, number> = {};
  for (const r of readings) {
    for (const [k, v] of Object.entries(r)) {
      sum[k] = (sum[k] ?? 0) + v;
      n[k] = (n[k] ?? 0) + 1;
    }
  }
  const keys = Object.keys(sum);
  if (!keys.length) return undefined;
  return Object.fromEntries(keys.map((k) => [k, isCounter(k) ? sum[k] : sum[k] / n[k]]));
}
