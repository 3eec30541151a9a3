// Bulk: one-way transfer (download or upload), bytes or duration, one or more parallel
// streams. Every byte is verified at the receiver; goodput is timed from the first request
// byte, after connection setup (as iperf3 does), over the whole window of a timed download
// (not to its last byte), with a 100 ms goodput series. Two
// goodputs: the whole transfer's, and the steady state's with slow start and the recovery
// from its overshoot left out (iperf3's --omit idea; the rule is STEADY below). The
// steady-state one is the headline: it is the figure of the transport's loss recovery on
// this link rather than of a warm-up whose length depends on how long the cell runs, and
// its spread between repetitions is smaller (issue 13: at 5 % loss the first second of a
// TCP transfer delivered 30-50 % of a 10 s transfer's bytes, in a burst that varies).
import type { Duplex } from 'node:stream';
import { fmtBytes, fmtMs } from '../core/format.js';
import type { ResolvedLink } from '../core/types.js';
import { countOrDuration, durationField, sizeField } from '../core/problems.js';
import { formatBytes } from '../core/units.js';
import type { CellOutcome, RunContext, WorkloadDef } from './types.js';
import { slice, Verifier } from './wire/data.js';
import { encodeHeader, framePrefix, Series, SERIES_INTERVAL_MS, type SinkVerdict } from './wire/protocol.js';
import { StreamReader } from './wire/reader.js';
import { guard, timeoutOutcome } from './wire/sessions.js';

export interface BulkWorkload {
  kind: 'bulk';
  id: string;
  direction: 'upload' | 'download';
  /**
   * At most one of bytes / durationMs is set; neither: the duration is sized from the link
   * when the cell runs (sizedDurationMs), so the steady state covers most of the cell.
   */
  bytes: number | null;
  durationMs: number | null;
  /** Parallel streams (connections for tcp/tls). @default 1 */
  streams: number;
}

export interface BulkSamples {
  /** Bytes delivered and verified. */
  bytes?: number;
  /**
   * Transfer time, ms, after connection setup. Download: from the client's request (so it
   * includes one RTT) to the end of the window for a timed transfer (a stall at its end
   * counts: issue 15 item 7), to the last byte for a sized one; upload: from the request's
   * arrival at the receiving sink (one-way delay earlier, so it excludes it) to the last
   * byte verified, which for a timed upload includes draining what was written before the
   * window closed.
   */
  elapsedMs?: number;
  /** Goodput time series: verified bytes per interval. */
  series?: { intervalMs: number; bytes: number[] };
  /** Upload: bytes the client wrote, verified or not (what a failed or timed-out cell moved). */
  sentBytes?: number;
}

/**
 * The steady-state rule: leave out the first max(omitRtts x RTT, omitMinMs), rounded up to
 * whole series intervals, and report the goodput of the rest, when the rest is at least as
 * long as what was left out. Why these figures: slow start takes log2(BDP / initial
 * window) round trips, and the recovery from its overshoot several loss events more; at
 * 5 % loss on a 50 ms RTT link a TCP transfer delivered in bursts for its first 1-1.5 s
 * before settling (measured here, issue 13), and Linux's 200 ms minimum RTO puts a floor
 * in time, not in round trips, under that recovery.
 */
export const STEADY = { omitRtts: 20, omitMinMs: 1000 } as const;

/** What the steady state leaves out on a link of this RTT, ms: whole series intervals. */
export function omitMsFor(rttMs: number): number {
  const ms = Math.max(STEADY.omitMinMs, STEADY.omitRtts * rttMs);
  return Math.ceil(ms / SERIES_INTERVAL_MS) * SERIES_INTERVAL_MS;
}

/**
 * A transfer the scenario gave no amount for runs 4 x the omitted warm-up (the steady
 * state is then 75 % of the cell), at least 4 s and at most 60 s: 4 s on a 50 ms RTT link,
 * 48 s on a 600 ms satellite link.
 */
export function sizedDurationMs(link: ResolvedLink): number {
  const rttMs = Math.max(1, link.uplink.delayMs + link.downlink.delayMs);
  return Math.min(60_000, Math.max(4000, 4 * omitMsFor(rttMs)));
}

/** Steady-state goodput from the series, or why there is none. */
function steadyState(s: BulkSamples, rttMs: number | null): { bitsPerSec: number } | { why: string } {
  const ser = s.series;
  if (!ser || !ser.bytes.length || !s.elapsedMs) return { why: 'no goodput series' };
  if (rttMs === null) return { why: 'the link RTT is unknown, so the warm-up to leave out is too' };
  const omitMs = Math.ceil(omitMsFor(rttMs) / ser.intervalMs) * ser.intervalMs;
  const restMs = s.elapsedMs - omitMs;
  if (restMs < omitMs) {
    return { why: `transfer too short for a steady state: ${fmtMs(s.elapsedMs)}, needs >= ${fmtMs(2 * omitMs)} (twice the ${fmtMs(omitMs)} of warm-up left out)` };
  }
  const skip = omitMs / ser.intervalMs;
  let after = 0;
  for (let i = skip; i < ser.bytes.length; i++) after += ser.bytes[i];
  return { bitsPerSec: (after * 8) / (restMs / 1000) };
}

async function runBulk(ctx: RunContext, w: BulkWorkload): Promise<CellOutcome<BulkSamples>> {
  const { sessions } = ctx;
  if (w.bytes === null && w.durationMs === null) throw new Error('bulk: the workload was not sized for the link (no bytes, no duration)');
  const streams: Duplex[] = [];
  const series = new Series();
  let bytes = 0;
  // Goodput is timed from the first request byte, after connection setup (as iperf3 does);
  // setup cost is what the handshake workload measures.
  let t0 = 0;
  let tEnd = 0;
  // When a timed transfer's window closed: its goodput is over the window, not to the last
  // byte, or a stall at the end would be left out of the time (and flatter the figure).
  let tStop = 0;
  let uploadElapsedMs = 0;
  const sent = { bytes: 0, waiting: 0 };
  const samples = (): BulkSamples => ({
    bytes,
    elapsedMs: w.direction === 'upload' ? uploadElapsedMs : Math.max(0, (tStop > 0 ? tStop : tEnd) - t0),
    series: { intervalMs: SERIES_INTERVAL_MS, bytes: series.bytes },
    ...(w.direction === 'upload' ? { sentBytes: sent.bytes } : {}),
  });
  const perStream = w.bytes === null ? 0 : Math.floor(w.bytes / w.streams);
  const deadline = w.durationMs === null ? null : new AbortController();
  let timer: NodeJS.Timeout | null = null;
  try {
    const shared = ctx.transport.multiStream ? await guard(sessions.open(ctx, false), ctx.signal, streams) : null;
    const one = async (i: number): Promise<void> => {
      const session = shared ?? (await sessions.open(ctx, false));
      const s = await session.openStream();
      streams.push(s);
      if (t0 === 0) {
        t0 = performance.now();
        series.restart(t0);
        if (deadline) {
          timer = setTimeout(() => {
            tStop = performance.now();
            deadline.abort();
          }, w.durationMs!);
        }
      }
      const seed = (ctx.seed + 1000 + i) >>> 0;
      const len = w.bytes === null ? 0 : i === w.streams - 1 ? w.bytes - perStream * (w.streams - 1) : perStream;
      if (w.direction === 'download') await download(s, seed, len, deadline?.signal ?? null, (n) => {
        bytes += n;
        tEnd = performance.now();
        series.add(n, tEnd);
      });
      else await upload(s, seed, len, deadline?.signal ?? null, sent, (v) => {
        // The receiver times an upload: the sink's clock from header to last byte.
        bytes += v.bytes;
        uploadElapsedMs = Math.max(uploadElapsedMs, v.elapsedMs);
        v.series.forEach((b, k) => series.add(b, t0 + k * SERIES_INTERVAL_MS + 1));
      });
    };
    await guard(Promise.all(Array.from({ length: w.streams }, (_, i) => one(i))), ctx.signal, streams);
    return { status: 'ok', reason: null, samples: samples(), stats: sessions.stats() };
  } catch (err) {
    const what = sent.waiting > 0 ? `waiting for the server's verdict on ${sent.waiting} streams after ${sent.bytes} bytes sent` : 'transferring';
    if (ctx.signal.aborted) return { ...timeoutOutcome(samples(), what), stats: sessions.stats() };
    return { status: 'failed', reason: (err as Error).message, samples: samples(), stats: sessions.stats() };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Read and verify `len` bytes (0 = until `stop` fires, then stop counting and hang up). A
 * download of known length is done at its last byte: no FIN is needed (wire/protocol.ts).
 */
function download(s: Duplex, seed: number, len: number, stop: AbortSignal | null, onBytes: (n: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const v = new Verifier(seed);
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      stop?.removeEventListener('abort', onStop);
      if (err) reject(err);
      else resolve();
    };
    const onStop = (): void => {
      finish();
      s.destroy();
    };
    stop?.addEventListener('abort', onStop, { once: true });
    s.on('data', (c: Buffer) => {
      if (done) return;
      if (!v.push(c)) {
        finish(new Error(`download: byte at offset ${v.badOffset} differs from what the server sent`));
        s.destroy();
        return;
      }
      onBytes(c.length);
      if (len > 0 && v.offset >= len) finish(v.offset > len ? new Error(`download: the server sent ${v.offset} of ${len} bytes`) : undefined);
    });
    s.on('end', () => {
      if (len > 0 && v.offset !== len) finish(new Error(`download: stream ended after ${v.offset} of ${len} bytes`));
      else if (len === 0 && !stop?.aborted) finish(new Error(`download: server ended the stream early after ${v.offset} bytes`));
      else finish();
    });
    s.on('error', (e) => finish(new Error(`download: ${e.message} after ${v.offset} bytes`)));
    s.on('close', () => finish(new Error(`download: stream closed after ${v.offset} bytes`)));
    s.write(encodeHeader({ mode: 'source', seed, length: len }));
  });
}

/**
 * Send `len` bytes (0 = until `stop`, framed, ended by an empty frame) and wait for the
 * server's verdict line; never half-closes (wire/protocol.ts). `sent` counts what was
 * written, and how many streams wait for a verdict, for a cell that fails or times out.
 */
async function upload(s: Duplex, seed: number, len: number, stop: AbortSignal | null, sent: { bytes: number; waiting: number }, onVerdict: (v: SinkVerdict) => void): Promise<void> {
  const reader = new StreamReader(s);
  const framed = len === 0;
  s.write(encodeHeader({ mode: framed ? 'framed-sink' : 'sink', seed, length: len }));
  const CHUNK = 64 * 1024;
  let off = 0;
  while (!(stop?.aborted ?? false) && (len === 0 || off < len)) {
    const n = len === 0 ? CHUNK : Math.min(CHUNK, len - off);
    if (framed) s.write(framePrefix(n));
    const ok = s.write(slice(seed, off, n));
    off += n;
    sent.bytes += n;
    if (!ok) await new Promise<void>((r, j) => {
      const onClose = (): void => j(new Error(`upload: stream closed after ${off} bytes sent`));
      s.once('drain', () => { s.off('close', onClose); r(); });
      s.once('close', onClose);
    });
  }
  if (framed) s.write(framePrefix(0));
  sent.waiting++;
  let line: string;
  try {
    line = (await reader.readLine()).trim();
  } catch (err) {
    const partial = (err as { partial?: string }).partial ?? '';
    // The upload never needed a FIN (its length or end frame ends it): a stream that ends
    // without an answer was closed or reset on the way, by a relay or the server.
    throw new Error(`upload: no verdict from the server after ${off} bytes sent (${(err as Error).message}${partial ? `: got ${JSON.stringify(partial.slice(0, 80))}` : ''}); the connection was closed before the server answered: a relay or the server dropped it`);
  } finally {
    sent.waiting--;
  }
  let v: SinkVerdict;
  try {
    v = JSON.parse(line) as SinkVerdict;
  } catch {
    throw new Error(`upload: no verdict from the server after ${off} bytes sent (got ${JSON.stringify(line.slice(0, 80))})`);
  }
  if (!v.ok) throw new Error(`upload: byte at offset ${v.badOffset} differs at the server`);
  if (v.bytes !== off) throw new Error(`upload: server verified ${v.bytes} of ${off} bytes sent`);
  onVerdict(v);
}

export const bulk: WorkloadDef<BulkWorkload, BulkSamples> = {
  title: 'Bulk goodput',
  schema: {
    direction: { enum: ['upload', 'download'] },
    bytes: { type: ['string', 'number'] },
    duration: { type: ['string', 'number'] },
    streams: { type: 'integer', minimum: 1, maximum: 64 },
  },
  byDefault: { direction: 'download', duration: '5s' },
  resolve(o, path, probs) {
    const direction = (o.direction as 'upload' | 'download' | undefined) ?? 'download';
    const has = countOrDuration(o, 'bytes', path, probs);
    const bytes = has === 'count' ? sizeField(o, 'bytes', path, probs, null) : null;
    const durationMs = has === 'duration' ? durationField(o.duration, [...path, 'duration'], probs, 5000) : null;
    const streams = (o.streams as number | undefined) ?? 1;
    const amount = bytes !== null ? formatBytes(bytes) : durationMs !== null ? `${durationMs}ms` : 'auto';
    return { kind: 'bulk', id: `bulk-${direction}-${amount}-s${streams}`, direction, bytes, durationMs, streams };
  },
  describe: (w) =>
    `${w.direction}, ${w.bytes !== null ? fmtBytes(w.bytes) : w.durationMs !== null ? fmtMs(w.durationMs) : 'duration sized from the link'}, ${w.streams} stream${w.streams === 1 ? '' : 's'}`,
  sender: (w) => (w.direction === 'download' ? 'server' : 'client'),
  metrics: {
    goodputBitsPerSec: { label: 'bulk goodput', short: 'goodput', unit: 'bit/s', better: 'higher' },
    steadyGoodputBitsPerSec: { label: 'steady-state goodput', short: 'steady goodput', unit: 'bit/s', better: 'higher', fallback: 'goodputBitsPerSec' },
  },
  headline: ['steadyGoodputBitsPerSec'],
  metricsOf(s, link) {
    const m: Record<string, number> = {};
    if (s.bytes !== undefined && s.elapsedMs !== undefined && s.elapsedMs > 0) m.goodputBitsPerSec = (s.bytes * 8) / (s.elapsedMs / 1000);
    const st = steadyState(s, link.rttMs ?? link.configuredRttMs ?? null);
    if ('bitsPerSec' in st) m.steadyGoodputBitsPerSec = st.bitsPerSec;
    return m;
  },
  withheld(s, link): Record<string, string> {
    if (!s.bytes) return {};
    const st = steadyState(s, link.rttMs ?? link.configuredRttMs ?? null);
    return 'why' in st ? { steadyGoodputBitsPerSec: st.why } : {};
  },
  sized: (w, link) => (w.bytes === null && w.durationMs === null ? { ...w, durationMs: sizedDurationMs(link) } : w),
  run: runBulk,
  echoSafe: false,
  datagram: { unsupported: 'a datagram transport has no reliable byte stream to verify (bulk)' },
  throughput: { metric: 'goodputBitsPerSec', linkRateBitsPerSec: (link, w) => (w.direction === 'download' ? link.downlink : link.uplink).rateBitsPerSec },
  unmeasured(w, s) {
    const bytes = s.bytes ?? 0;
    if (w.bytes !== null && bytes !== w.bytes) return `${bytes} of ${w.bytes} bytes were delivered and verified`;
    if (bytes === 0) return `no byte was delivered in ${w.durationMs} ms`;
    if (!s.elapsedMs) return 'the transfer has no duration';
    return null;
  },
  notes: () => [],
};
