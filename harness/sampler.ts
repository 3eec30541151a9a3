// The one module that imports tinybench (STYLE rule 5). Echo latency is sampled per
// exchange by tinybench; a failing exchange or a timeout aborts the run but keeps the
// samples gathered so far (tinybench drops samples of an *errored* task, so errors are
// caught here and turned into an abort).
import { Bench } from 'tinybench';

export interface SampleOptions {
  /** Exactly one of count / durationMs. */
  count: number | null;
  durationMs: number | null;
  signal: AbortSignal;
}

export interface SampleResult {
  samplesMs: number[];
  /** The error of the exchange that stopped the run (a timeout shows up as the read it cut). */
  error: Error | null;
}

export async function sampleLatency(fn: () => Promise<void>, opts: SampleOptions): Promise<SampleResult> {
  const local = new AbortController();
  const onAbort = (): void => local.abort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (opts.signal.aborted) local.abort();
  let error: Error | null = null;
  let failedMs: number | null = null;
  const bench = new Bench({
    iterations: opts.count ?? 1,
    time: opts.durationMs ?? 0,
    warmup: false,
    retainSamples: true,
    throws: false,
    signal: local.signal,
  });
  bench.add('exchange', async () => {
    if (error) return;
    const t0 = performance.now();
    try {
      await fn();
    } catch (err) {
      failedMs = performance.now() - t0;
      error = err as Error;
      local.abort();
    }
  });
  try {
    await bench.run();
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
  const t = bench.tasks[0];
  const r = t.result as { latency?: { samples?: number[] } } | undefined;
  let samples = [...(r?.latency?.samples ?? [])];
  // With a count, tinybench may run past it to fill its time budget (0 here) - trim anyway.
  if (opts.count !== null) samples = samples.slice(0, opts.count);
  // The exchange that failed (or was cut by the timeout) is not a latency sample. tinybench
  // returns samples sorted, so drop the one it timed for that call: the one nearest to the
  // duration measured around it here.
  if (failedMs !== null && samples.length) {
    let best = 0;
    for (let i = 1; i < samples.length; i++) if (Math.abs(samples[i] - failedMs) < Math.abs(samples[best] - failedMs)) best = i;
    samples.splice(best, 1);
  }
  return { samplesMs: samples, error };
}
