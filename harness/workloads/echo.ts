// Echo: request/response round-trip time. A payload goes out, the same bytes come back and
// are verified; tinybench times each exchange (harness/core/sampler.ts). The first exchange,
// which includes connection setup, is reported on its own. Over a datagram transport (udp)
// each request carries a sequence number and an unanswered one counts as lost.
import type { Duplex } from 'node:stream';
import { fmtBytes, fmtMs } from '../core/format.js';
import { countOrDuration, durationField, sizeField } from '../core/problems.js';
import { sampleLatency } from '../core/sampler.js';
import { carriedPercentiles, median } from '../core/stats.js';
import { formatBytes } from '../core/units.js';
import type { CellOutcome, DatagramContext, RunContext, WorkloadDef } from './types.js';
import { slice } from './wire/data.js';
import { encodeHeader, HEADER_BYTES } from './wire/protocol.js';
import { StreamReader } from './wire/reader.js';
import { guard, timeoutOutcome, us } from './wire/sessions.js';

export interface EchoWorkload {
  kind: 'echo';
  id: string;
  payloadBytes: number;
  /** Exchanges per connection; exactly one of count / durationMs is set. */
  count: number | null;
  durationMs: number | null;
  /** Connections (tcp/tls) or streams on one connection (quic). @default 1 */
  concurrency: number;
  /** The echo server closes a connection idle this long. @default 30000 */
  idleTimeoutMs: number;
}

/** Raw numbers only: statistics are computed by the controller and reporters. */
export interface EchoSamples {
  /**
   * Per-exchange round-trip times, microseconds, in the order the exchanges started (all
   * lanes merged). Files before issue 15 hold them sorted, without rttAtUs.
   */
  rttUs?: number[];
  /** When each exchange of rttUs started, microseconds since the cell began (stream transports: before connecting). */
  rttAtUs?: number[];
  /** First exchange including connection setup, microseconds. */
  firstExchangeUs?: number;
  /** Datagram echo: requests that got no answer in time, and requests sent. */
  lost?: number;
  sent?: number;
}

type Outcome = CellOutcome<EchoSamples>;

/** RTT percentiles by metric name; each is reported only from as many exchanges as it needs (stats.minSamplesFor). */
const RTT_PERCENTILES = { rttP50Us: 0.5, rttP90Us: 0.9, rttP99Us: 0.99, rttP999Us: 0.999 };

async function runOverStreams(ctx: RunContext, w: EchoWorkload): Promise<Outcome> {
  const { sessions } = ctx;
  const samples: EchoSamples = { rttUs: [] };
  const streams: Duplex[] = [];
  // One abort hook for the whole cell: destroying the streams makes any pending read reject,
  // so the timed exchange loop below carries no per-exchange timeout machinery.
  const destroyAll = (): void => streams.forEach((s) => s.destroy());
  ctx.signal.addEventListener('abort', destroyAll, { once: true });
  try {
    const t0 = performance.now();
    // N connections for tcp/tls, N streams on one connection for quic.
    const shared = ctx.transport.multiStream ? await guard(sessions.open(ctx, true), ctx.signal, streams) : null;
    const lanes = await guard(
      Promise.all(
        Array.from({ length: w.concurrency }, async (_, lane) => {
          const session = shared ?? (await sessions.open(ctx, true));
          const s = await session.openStream();
          streams.push(s);
          const reader = new StreamReader(s);
          const first = slice(ctx.seed + lane, 0, w.payloadBytes);
          const header = encodeHeader({ mode: 'echo', seed: ctx.seed, length: 0 });
          s.write(Buffer.concat([header, first]));
          const back = await reader.read(HEADER_BYTES + w.payloadBytes);
          if (!back.subarray(0, HEADER_BYTES).equals(header) || !back.subarray(HEADER_BYTES).equals(first)) {
            throw new Error('first echoed exchange differs from what was sent');
          }
          if (lane === 0) samples.firstExchangeUs = us(performance.now() - t0);
          return { s, reader, lane };
        }),
      ),
      ctx.signal,
      streams,
    );
    const results = await Promise.all(
      lanes.map(({ s, reader, lane }) => {
        let k = 1;
        return sampleLatency(
          async () => {
            const payload = slice(ctx.seed + lane, (k++ * w.payloadBytes) % 65521, w.payloadBytes);
            s.write(payload);
            const got = await reader.read(w.payloadBytes);
            if (!got.equals(payload)) {
              let i = 0;
              while (i < got.length && got[i] === payload[i]) i++;
              throw new Error(`echo exchange ${k - 1} on lane ${lane}: byte ${i} differs from what was sent`);
            }
          },
          { count: w.count, durationMs: w.durationMs, signal: ctx.signal },
        );
      }),
    );
    const timed = results.flatMap((r) => r.samplesMs.map((v, i) => ({ v, at: r.startedMs[i] }))).sort((a, b) => a.at - b.at);
    samples.rttUs = timed.map((x) => us(x.v));
    samples.rttAtUs = timed.map((x) => us(x.at - t0));
    const err = results.find((r) => r.error)?.error;
    if (err && !ctx.signal.aborted) return { status: 'failed', reason: err.message, samples, stats: sessions.stats() };
    if (ctx.signal.aborted) return { ...timeoutOutcome(samples, 'echoing'), stats: sessions.stats() };
    for (const { s } of lanes) s.end();
    return { status: 'ok', reason: null, samples, stats: sessions.stats() };
  } catch (err) {
    if (ctx.signal.aborted) return { ...timeoutOutcome(samples, 'connecting'), stats: sessions.stats() };
    return { status: 'failed', reason: (err as Error).message, samples, stats: sessions.stats() };
  } finally {
    ctx.signal.removeEventListener('abort', destroyAll);
  }
}

/**
 * Datagram echo. RTTs are timed here rather than by tinybench because a lost exchange must
 * leave no latency sample, and tinybench's samples come back sorted, detached from exchanges.
 */
async function runOverDatagrams(ctx: DatagramContext, w: EchoWorkload): Promise<Outcome> {
  const { seed, signal } = ctx;
  const sock = await ctx.transport.connect(ctx.to);
  // The request is built before its send time is taken, and the reply's arrival time is the
  // first thing read: building and comparing payloads stay outside every RTT.
  const sentAt = new Map<number, { t: number; payload: Buffer }>();
  const rtts: number[] = [];
  const sentAts: number[] = [];
  let badReply: string | null = null;
  let wake: (() => void) | null = null;
  const payloadFor = (seq: number): Buffer => {
    const b = Buffer.allocUnsafe(Math.max(8, w.payloadBytes));
    b.writeUInt32BE(seq, 0);
    b.writeUInt32BE(seed, 4);
    slice(seed, seq % 65521, b.length - 8).copy(b, 8);
    return b;
  };
  sock.onMessage((msg) => {
    const now = performance.now();
    const seq = msg.readUInt32BE(0);
    const sent = sentAt.get(seq);
    if (sent === undefined) return; // duplicate
    sentAt.delete(seq);
    if (!msg.equals(sent.payload)) badReply = `reply to request ${seq} differs from the request`;
    else {
      rtts.push(us(now - sent.t));
      sentAts.push(us(sent.t - t0));
    }
    wake?.();
  });
  // Answers arrive in their own order; the samples keep the order requests were sent.
  const samples = (): EchoSamples => {
    const order = sentAts.map((_, i) => i).sort((a, b) => sentAts[a] - sentAts[b]);
    return { rttUs: order.map((i) => rtts[i]), rttAtUs: order.map((i) => sentAts[i]), sent: seq, lost: sentAt.size };
  };
  let seq = 0;
  const t0 = performance.now();
  const more = (): boolean => (w.count !== null ? seq < w.count : performance.now() - t0 < w.durationMs!);
  try {
    while (more() && !signal.aborted && !badReply) {
      // Wait for each answer about 4 RTTs (at least 50 ms) before moving on; a late answer
      // still counts when it arrives before the cell ends.
      const waitMs = Math.max(50, 4 * (rtts.length ? median(rtts.slice(-50)) / 1000 : 50));
      const mySeq = seq++;
      const replied = new Promise<void>((r) => {
        const timer = setTimeout(r, waitMs);
        wake = () => {
          if (!sentAt.has(mySeq)) {
            clearTimeout(timer);
            r();
          }
        };
      });
      const payload = payloadFor(mySeq);
      sentAt.set(mySeq, { t: performance.now(), payload });
      sock.send(payload);
      await replied;
    }
    // Give stragglers one more wait.
    if (sentAt.size && !signal.aborted) await new Promise((r) => setTimeout(r, 200));
    if (badReply) return { status: 'failed', reason: badReply, samples: samples() };
    if (signal.aborted) return timeoutOutcome(samples(), 'echoing');
    return { status: 'ok', reason: null, samples: samples() };
  } finally {
    sock.close();
  }
}

export const echo: WorkloadDef<EchoWorkload, EchoSamples> = {
  title: 'Echo latency',
  schema: {
    payload: { type: ['string', 'number'] },
    count: { type: 'integer', minimum: 1 },
    duration: { type: ['string', 'number'] },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    idleTimeout: { type: ['string', 'number'] },
  },
  byDefault: { payload: '64B', count: 200 },
  resolve(o, path, probs) {
    const payloadBytes = sizeField(o, 'payload', path, probs, 64) ?? 64;
    const has = countOrDuration(o, 'count', path, probs);
    const durationMs = has === 'duration' ? durationField(o.duration, [...path, 'duration'], probs, 5000) : null;
    const count = has === 'duration' ? null : ((o.count as number | undefined) ?? 200);
    const concurrency = (o.concurrency as number | undefined) ?? 1;
    const idleTimeoutMs = durationField(o.idleTimeout, [...path, 'idleTimeout'], probs, 30_000);
    const amount = count !== null ? `n${count}` : `d${durationMs}ms`;
    return { kind: 'echo', id: `echo-${formatBytes(payloadBytes)}-c${concurrency}-${amount}`, payloadBytes, count, durationMs, concurrency, idleTimeoutMs };
  },
  describe: (w) => `${fmtBytes(w.payloadBytes)} payload, ${w.count !== null ? `${w.count} exchanges` : fmtMs(w.durationMs ?? 0)}, concurrency ${w.concurrency}`,
  sender: () => 'both',
  metrics: {
    rttP50Us: { label: 'echo RTT p50', short: 'echo p50', unit: 'us', better: 'lower' },
    rttP90Us: { label: 'echo RTT p90', unit: 'us', better: 'lower' },
    rttP99Us: { label: 'echo RTT p99', short: 'echo p99', unit: 'us', better: 'lower' },
    rttP999Us: { label: 'echo RTT p99.9', unit: 'us', better: 'lower' },
    rttMaxUs: { label: 'echo RTT max', unit: 'us', better: 'lower' },
    firstExchangeUs: { label: 'first exchange (incl. setup)', unit: 'us', better: 'lower' },
    echoLossPct: { label: 'echo requests lost', unit: 'pct', better: 'lower' },
  },
  headline: ['rttP50Us', 'rttP99Us'],
  metricsOf(s) {
    const m: Record<string, number> = {};
    if (s.rttUs && s.rttUs.length > 0) {
      Object.assign(m, carriedPercentiles(s.rttUs, RTT_PERCENTILES, 'exchange').values);
      m.rttMaxUs = s.rttUs.reduce((a, b) => Math.max(a, b), -Infinity);
    }
    if (s.firstExchangeUs !== undefined) m.firstExchangeUs = s.firstExchangeUs;
    if (s.sent !== undefined && s.sent > 0) m.echoLossPct = (100 * (s.lost ?? 0)) / s.sent;
    return m;
  },
  withheld: (s) => (s.rttUs?.length ? carriedPercentiles(s.rttUs, RTT_PERCENTILES, 'exchange').withheld : {}),
  run: runOverStreams,
  echoSafe: true,
  datagram: { run: runOverDatagrams },
  throughput: null,
  unmeasured(w, s) {
    const n = s.rttUs?.length ?? 0;
    if (s.sent !== undefined) {
      // Datagrams: answered requests are the measurement; a lost one is counted, not timed.
      if (s.sent === 0) return 'no request was sent';
      return n === 0 ? `none of the ${s.sent} requests was answered: the server, or the link, carried nothing back` : null;
    }
    if (s.firstExchangeUs === undefined) return 'the first exchange never completed';
    const want = w.count === null ? 1 : w.count * w.concurrency;
    if (n < want) return w.count === null ? 'no exchange completed after the first' : `${n} of ${want} exchanges completed`;
    return null;
  },
  notes(s) {
    const n = s.rttUs?.length ?? 0;
    return n < 10 ? [{ code: 'few-samples', message: `only ${n} echo samples`, remedy: 'raise the echo count or duration' }] : [];
  },
};
