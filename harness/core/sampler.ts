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
  const bench = new Bench({
    iterations: opts.count ?? 1,
    time: opts.durationMs ?? 0,
    warmup: false,
    retainSamples: true,
    throws: false,
    signal: local.signal,
  });
  // tinybench times the call itself; nothing else runs around an exchange. The exchange
  // that failed (or was cut by the timeout) is no latency sample: it reports a duration of
  // 0, which sorts first among tinybench's (sorted) samples and is dropped below.
  bench.add('exchange', async () => {
    try {
      await fn();
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
  const r = bench.tasks[0].result as { latency?: { samples?: number[] } } | undefined;
  const samples = [...(r?.latency?.samples ?? [])];
  if (error !== null && samples[0] === 0) samples.shift();
  return { samplesMs: samples, error };
}
