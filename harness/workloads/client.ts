// Client side of the echo, bulk and handshake workloads over any stream transport. Raw
// numbers only: the controller turns them into statistics.
import type { Duplex } from 'node:stream';
import { settleWithin } from '../settle.js';
import { isCounter } from '../metrics.js';
import { sampleLatency } from '../sampler.js';
import type { ClientSession, ClientTransport, Credentials, Endpoint } from '../transports/types.js';
import type { BulkWorkload, CellSamples, CellStatus, EchoWorkload, HandshakeWorkload } from '../types.js';
import { slice, Verifier } from './data.js';
import { encodeHeader, HEADER_BYTES, Series, SERIES_INTERVAL_MS, type SinkVerdict } from './protocol.js';
import { StreamReader } from './reader.js';

export interface Outcome {
  status: Exclude<CellStatus, 'unsupported'>;
  reason: string | null;
  samples: CellSamples;
  /** Transport counters (quic), summed over sessions. */
  stats?: Record<string, number>;
}

export interface RunContext {
  transport: ClientTransport;
  to: Endpoint;
  creds: Credentials;
  seed: number;
  /** Aborted by the agent when the cell's timeout expires. */
  signal: AbortSignal;
  /**
   * Where the cell's connections are kept. The workload never closes them: the agent does,
   * on the controller's `close` after the cell's clock and CPU window (a QUIC close drains
   * for up to 3 PTO, which no TCP cell pays).
   */
  sessions: Sessions;
}

/** Milliseconds to microseconds, kept to 0.1 us. */
export const us = (ms: number): number => Math.round(ms * 1000 * 10) / 10;

export function timeoutOutcome(samples: CellSamples, what: string): Outcome {
  return { status: 'timeout', reason: `cell timeout while ${what}; samples gathered so far are kept`, samples };
}

const CLOSE_WAIT_MS = 1500;

export class Sessions {
  readonly list: ClientSession[] = [];
  private closing = false;
  async open(ctx: RunContext, noDelay: boolean): Promise<ClientSession> {
    const s = await ctx.transport.connect(ctx.to, ctx.creds, { noDelay });
    this.list.push(s);
    // A setup that completes after the cell was closed (it timed out meanwhile) is closed too.
    if (this.closing) void s.close().catch(() => undefined);
    return s;
  }
  /** Counters are summed over sessions; gauges (RTT, cwnd, rates, MTU) are averaged. */
  stats(): Record<string, number> | undefined {
    const sum: Record<string, number> = {};
    const n: Record<string, number> = {};
    for (const s of this.list) {
      for (const [k, v] of Object.entries(s.stats?.() ?? {})) {
        sum[k] = (sum[k] ?? 0) + v;
        n[k] = (n[k] ?? 0) + 1;
      }
    }
    const keys = Object.keys(sum);
    if (!keys.length) return undefined;
    return Object.fromEntries(keys.map((k) => [k, isCounter(k) ? sum[k] : sum[k] / n[k]]));
  }
  /**
   * Close every session, waiting at most CLOSE_WAIT_MS: a QUIC connection that lost packets
   * can sit in its draining period for seconds, which is not part of any measurement and
   * would only stretch the cell's wall time.
   */
  async closeAll(): Promise<void> {
    this.closing = true;
    await settleWithin(Promise.allSettled(this.list.map((s) => s.close())), CLOSE_WAIT_MS);
  }
}

/** Abort-aware wrapper: rejects with 'aborted' when the signal fires, destroying streams. */
function guard<T>(p: Promise<T>, signal: AbortSignal, streams: Duplex[]): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      for (const s of streams) s.destroy();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export async function runEcho(ctx: RunContext, w: EchoWorkload): Promise<Outcome> {
  const { sessions } = ctx;
  const samples: CellSamples = { rttUs: [] };
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
    for (const r of results) for (const v of r.samplesMs) samples.rttUs!.push(us(v));
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

export async function runBulk(ctx: RunContext, w: BulkWorkload): Promise<Outcome> {
  const { sessions } = ctx;
  const streams: Duplex[] = [];
  const series = new Series();
  let bytes = 0;
  // Goodput is timed from the first request byte, after connection setup (as iperf3 does);
  // setup cost is what the handshake workload measures.
  let t0 = 0;
  let tEnd = 0;
  let uploadElapsedMs = 0;
  const samples = (): CellSamples => ({
    bytes,
    elapsedMs: w.direction === 'upload' ? uploadElapsedMs : Math.max(0, tEnd - t0),
    series: { intervalMs: SERIES_INTERVAL_MS, bytes: series.bytes },
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
        if (deadline) timer = setTimeout(() => deadline.abort(), w.durationMs!);
      }
      const seed = (ctx.seed + 1000 + i) >>> 0;
      const len = w.bytes === null ? 0 : i === w.streams - 1 ? w.bytes - perStream * (w.streams - 1) : perStream;
      if (w.direction === 'download') await download(s, seed, len, deadline?.signal ?? null, (n) => {
        bytes += n;
        tEnd = performance.now();
        series.add(n, tEnd);
      });
      else await upload(s, seed, len, deadline?.signal ?? null, (v) => {
        // The receiver times an upload: the sink's clock from header to last byte.
        bytes += v.bytes;
        uploadElapsedMs = Math.max(uploadElapsedMs, v.elapsedMs);
        v.series.forEach((b, k) => series.add(b, t0 + k * SERIES_INTERVAL_MS + 1));
      });
    };
    await guard(Promise.all(Array.from({ length: w.streams }, (_, i) => one(i))), ctx.signal, streams);
    return { status: 'ok', reason: null, samples: samples(), stats: sessions.stats() };
  } catch (err) {
    if (ctx.signal.aborted) return { ...timeoutOutcome(samples(), 'transferring'), stats: sessions.stats() };
    return { status: 'failed', reason: (err as Error).message, samples: samples(), stats: sessions.stats() };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Read and verify `len` bytes (0 = until `stop` fires, then stop counting and hang up). */
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

/** Send `len` bytes (0 = until `stop`), end, and wait for the server's verdict. */
async function upload(s: Duplex, seed: number, len: number, stop: AbortSignal | null, onVerdict: (v: SinkVerdict) => void): Promise<void> {
  const reader = new StreamReader(s);
  s.write(encodeHeader({ mode: 'sink', seed, length: len }));
  const CHUNK = 64 * 1024;
  let off = 0;
  while (!(stop?.aborted ?? false) && (len === 0 || off < len)) {
    const n = len === 0 ? CHUNK : Math.min(CHUNK, len - off);
    const ok = s.write(slice(seed, off, n));
    off += n;
    if (!ok) await new Promise<void>((r, j) => {
      const onClose = (): void => j(new Error(`upload: stream closed after ${off} bytes sent`));
      s.once('drain', () => { s.off('close', onClose); r(); });
      s.once('close', onClose);
    });
  }
  s.end();
  const line = (await reader.readToEnd()).toString('utf8').trim();
  let v: SinkVerdict;
  try {
    v = JSON.parse(line) as SinkVerdict;
  } catch {
    throw new Error(`upload: no verdict from the server (got ${JSON.stringify(line.slice(0, 80))})`);
  }
  if (!v.ok) throw new Error(`upload: byte at offset ${v.badOffset} differs at the server`);
  if (v.bytes !== off) throw new Error(`upload: server verified ${v.bytes} of ${off} bytes sent`);
  onVerdict(v);
}

export async function runHandshake(ctx: RunContext, w: HandshakeWorkload): Promise<Outcome> {
  const samples: CellSamples = { handshakeUs: [] };
  const all = ctx.sessions;
  // Each connection is closed without waiting (QUIC drains for ~3 PTO), so at most one is
  // open per setup; the agent's closeAll after the cell bounds what is still draining.
  const header = encodeHeader({ mode: 'echo', seed: ctx.seed, length: 0 });
  let outcome: Outcome;
  try {
    for (let i = 0; i < w.count && !ctx.signal.aborted; i++) {
      const request = Buffer.concat([header, Buffer.from([i & 0xff])]);
      const streams: Duplex[] = [];
      const t0 = performance.now();
      const session = await guard(all.open(ctx, true), ctx.signal, streams);
      try {
        const s = await session.openStream();
        streams.push(s);
        const reader = new StreamReader(s);
        s.write(request);
        const back = await guard(reader.read(HEADER_BYTES + 1), ctx.signal, streams);
        if (back[HEADER_BYTES] !== (i & 0xff)) throw new Error(`handshake ${i}: echoed byte differs`);
        samples.handshakeUs!.push(us(performance.now() - t0));
        s.end();
      } finally {
        void session.close().catch(() => undefined);
      }
    }
    outcome = ctx.signal.aborted ? timeoutOutcome(samples, 'handshaking') : { status: 'ok', reason: null, samples };
  } catch (err) {
    outcome = ctx.signal.aborted ? timeoutOutcome(samples, 'handshaking') : { status: 'failed', reason: (err as Error).message, samples };
  }
  return { ...outcome, stats: all.stats() };
}
