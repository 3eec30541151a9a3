// Streams: N concurrent request/response streams, the web page's pattern, where QUIC's
// central claim lives: no head-of-line blocking between streams. Two named modes, so both
// are visible side by side:
// - multiplexed: the N streams share ONE connection. QUIC carries them natively (a QUIC
//   stream each); tcp and tls carry them in bench's own framing (./wire/mux.ts, HTTP/2's
//   idea), so one lost TCP segment stalls every stream behind it. A tunnel carries that one
//   TCP connection as it carries any.
// - connections: N separate connections of one stream each (through a tunnel: N TCP
//   connections, which the tunnel puts on N streams of its one QUIC connection).
// A cell runs `rounds` rounds: each round sends one request on every stream at once and
// ends when every response is verified; a stream's completion time is measured from the
// round's start. Connections are set up before the first round and kept.
import type { Duplex } from 'node:stream';
import { fmtBytes } from '../core/format.js';
import { quantile, summarize } from '../core/stats.js';
import { formatBytes } from '../core/units.js';
import type { ClientSession } from '../transports/types.js';
import type { CellOutcome, RunContext, WorkloadDef } from './types.js';
import { EXCHANGE_SIZE_SCHEMA, exchangeSizes, Exchanger } from './wire/exchange.js';
import { muxSession } from './wire/mux.js';
import { encodeHeader } from './wire/protocol.js';
import { guard, timeoutOutcome, us } from './wire/sessions.js';

export type StreamsMode = 'multiplexed' | 'connections';

export interface StreamsWorkload {
  kind: 'streams';
  id: string;
  mode: StreamsMode;
  /** Concurrent streams. @default 8 */
  streams: number;
  requestBytes: number;
  responseBytes: number;
  /** Rounds of N concurrent exchanges. @default 20 */
  rounds: number;
}

export interface StreamsSamples {
  /**
   * Completion time of every stream in every round, microseconds from the round's start,
   * round after round (rounds x streams values, stream order within a round).
   */
  streamCompletionUs?: number[];
  /** Streams per round, to read streamCompletionUs by round. */
  streamsPerRound?: number;
  /** Setup of every connection before the first round, microseconds. */
  streamsSetupUs?: number;
}

/** streamCompletionUs as rounds, each sorted: [k] is the k-th stream to complete. */
export function roundsOf(s: StreamsSamples): number[][] {
  const n = s.streamsPerRound ?? 0;
  const all = s.streamCompletionUs ?? [];
  if (n <= 0) return [];
  const out: number[][] = [];
  for (let i = 0; i + n <= all.length; i += n) out.push(all.slice(i, i + n).sort((a, b) => a - b));
  return out;
}

async function runStreams(ctx: RunContext, w: StreamsWorkload): Promise<CellOutcome<StreamsSamples>> {
  const { sessions } = ctx;
  const samples: StreamsSamples = { streamCompletionUs: [], streamsPerRound: w.streams };
  const streams: Duplex[] = [];
  const destroyAll = (): void => streams.forEach((s) => s.destroy());
  ctx.signal.addEventListener('abort', destroyAll, { once: true });
  const out = (o: Omit<CellOutcome<StreamsSamples>, 'samples' | 'stats'>): CellOutcome<StreamsSamples> => ({ ...o, samples, stats: sessions.stats() });
  try {
    const t0 = performance.now();
    let shared: ClientSession | null = null;
    if (w.mode === 'multiplexed') {
      const one = await guard(sessions.open(ctx, true), ctx.signal, streams);
      // A QUIC connection is multi-stream itself; a TCP one gets bench's framing.
      shared = ctx.transport.multiStream ? one : await muxSession(one, encodeHeader({ mode: 'mux', seed: ctx.seed, length: 0 }));
    }
    const lanes = await guard(
      Promise.all(
        Array.from({ length: w.streams }, async (_, lane) => {
          const session = shared ?? (await sessions.open(ctx, true));
          const s = await session.openStream();
          streams.push(s);
          const seed = (ctx.seed + 7 * lane + 1) >>> 0;
          s.write(encodeHeader({ mode: 'exchange', seed, length: 0 }));
          return new Exchanger(s, seed);
        }),
      ),
      ctx.signal,
      streams,
    );
    samples.streamsSetupUs = us(performance.now() - t0);
    for (let r = 0; r < w.rounds && !ctx.signal.aborted; r++) {
      const start = performance.now();
      const done = await guard(
        Promise.all(lanes.map((ex) => ex.exchange(w.requestBytes, w.responseBytes).then(() => us(performance.now() - start)))),
        ctx.signal,
        streams,
      );
      samples.streamCompletionUs!.push(...done);
    }
    if (ctx.signal.aborted) return out(timeoutOutcome(samples, 'exchanging'));
    return out({ status: 'ok', reason: null });
  } catch (err) {
    if (ctx.signal.aborted) return out(timeoutOutcome(samples, samples.streamsSetupUs === undefined ? 'connecting' : 'exchanging'));
    return out({ status: 'failed', reason: (err as Error).message });
  } finally {
    ctx.signal.removeEventListener('abort', destroyAll);
  }
}

const MODE_ID: Record<StreamsMode, string> = { multiplexed: 'mux', connections: 'conns' };

export const streams: WorkloadDef<StreamsWorkload, StreamsSamples> = {
  title: 'Concurrent streams (head-of-line blocking)',
  schema: {
    mode: { enum: ['multiplexed', 'connections'] },
    streams: { type: 'integer', minimum: 1, maximum: 64 },
    ...EXCHANGE_SIZE_SCHEMA,
    rounds: { type: 'integer', minimum: 1, maximum: 10000 },
  },
  byDefault: null,
  resolve(o, path, probs) {
    const mode = (o.mode as StreamsMode | undefined) ?? 'multiplexed';
    const n = (o.streams as number | undefined) ?? 8;
    const { requestBytes, responseBytes } = exchangeSizes(o, path, probs, { requestBytes: 100, responseBytes: 16_000 });
    const rounds = (o.rounds as number | undefined) ?? 20;
    const id = `streams-${MODE_ID[mode]}${n}-${formatBytes(requestBytes)}-${formatBytes(responseBytes)}-r${rounds}`;
    return { kind: 'streams', id, mode, streams: n, requestBytes, responseBytes, rounds };
  },
  describe: (w) =>
    `${w.streams} streams ${w.mode === 'multiplexed' ? 'multiplexed on one connection' : 'on separate connections'}, ` +
    `${fmtBytes(w.requestBytes)} request / ${fmtBytes(w.responseBytes)} response each, ${w.rounds} rounds`,
  metrics: {
    streamP50Us: { label: 'stream completion p50', short: 'stream p50', unit: 'us', better: 'lower' },
    streamP90Us: { label: 'stream completion p90', unit: 'us', better: 'lower' },
    streamP99Us: { label: 'stream completion p99', short: 'stream p99', unit: 'us', better: 'lower' },
    firstStreamP50Us: { label: 'first stream of a round done, p50', unit: 'us', better: 'lower' },
    roundP50Us: { label: 'all streams of a round done, p50', short: 'round p50', unit: 'us', better: 'lower' },
    roundP99Us: { label: 'all streams of a round done, p99', unit: 'us', better: 'lower' },
    spreadP50Us: { label: 'spread between streams (last - first), p50', unit: 'us', better: 'lower' },
    spreadP99Us: { label: 'spread between streams (last - first), p99', unit: 'us', better: 'lower' },
  },
  headline: ['streamP50Us', 'streamP99Us'],
  metricsOf(s) {
    const m: Record<string, number> = {};
    const all = s.streamCompletionUs ?? [];
    const rounds = roundsOf(s);
    if (!all.length || !rounds.length) return m;
    const p = summarize(all);
    Object.assign(m, { streamP50Us: p.p50, streamP90Us: p.p90, streamP99Us: p.p99 });
    const first = rounds.map((r) => r[0]);
    const last = rounds.map((r) => r[r.length - 1]);
    const spread = rounds.map((r) => r[r.length - 1] - r[0]);
    m.firstStreamP50Us = quantile(first, 0.5);
    m.roundP50Us = quantile(last, 0.5);
    m.roundP99Us = quantile(last, 0.99);
    m.spreadP50Us = quantile(spread, 0.5);
    m.spreadP99Us = quantile(spread, 0.99);
    return m;
  },
  run: runStreams,
  echoSafe: false,
  datagram: { unsupported: 'a datagram transport has no streams (streams)' },
  throughput: null,
  unmeasured: (w, s) => {
    const rounds = roundsOf(s).length;
    return rounds < w.rounds ? `${rounds} of ${w.rounds} rounds completed on every stream` : null;
  },
  sender: () => 'both',
  notes(s) {
    const n = roundsOf(s).length;
    return n < 10 ? [{ code: 'few-samples', message: `only ${n} rounds: p99 of round times is the largest round`, remedy: 'raise the rounds' }] : [];
  },
};
