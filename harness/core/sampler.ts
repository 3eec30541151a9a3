// The one module that imports tinybench (STYLE rule 5). tinybench runs the exchanges (count
// or duration, abort); each exchange is timed here, in the order it ran, because tinybench
// returns its samples sorted and a tail must be placeable in time (issue 15). A failing
// exchange or a timeout aborts the run but keeps the samples gathered so far (tinybench
// drops samples of an *errored* task, so errors are caught here and turned into an abort).
import { Bench } from 'tinybench';

export interface SampleOptions {
  /** Exactly one of count / durationMs. */
  count: number | null;
  durationMs: number | null;
  signal: AbortSignal;
}

export interface SampleResult {
  /** Duration of every completed exchange, in the order they ran. */
  samplesMs: number[];
  /** performance.now() at the start of each of those exchanges. */
  startedMs: number[];
  /** The error of the exchange that stopped the run (a timeout shows up as the read it cut). */
  error: Error | null;
}

export async function sampleLatency(fn: () => Promise<void>, opts: SampleOptions): Promise<SampleResult> {
  const local = new AbortController();
  const onAbort = (): void => local.abort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (opts.signal.aborted) local.abort();
  let error: Error | null = null;
  const samplesMs: number[] = [];
  const startedMs: number[] = [];
  const bench = new Bench({
    iterations: opts.count ?? 1,
    time: opts.durationMs ?? 0,
    warmup: false,
    retainSamples: true,
    throws: false,
    signal: local.signal,
  });
  // Timed around the call alone. The exchange that failed (or was cut by the timeout) is no
  // latency sample: it is not recorded here, and tinybench's own figure is not used.
  bench.add('exchange', async () => {
    const t0 = performance.now();
    try {
      await fn();
      samplesMs.push(performance.now() - t0);
      startedMs.push(t0);
      return undefined;
    } catch (err) {
      error = err as Error;
      local.abort();
      return { overriddenDuration: 0 };
    }
  });
  try {
    await bench.run();
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
  return { samplesMs, startedMs, error };
}
