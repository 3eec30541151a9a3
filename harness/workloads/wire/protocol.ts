// The stream preamble every bench server understands. It is echo-safe: in echo mode the
// server echoes the header too, so a plain echo server (or a relay in front of one) serves
// the echo and handshake workloads exactly as bench's own server does.
//
//   0..3  "BNC1"   4    mode (1 echo, 2 sink = client uploads, 3 source = client downloads,
//                        4 framed sink = client uploads until it says it is done,
//                        16 exchange = request/response exchanges, ./exchange.ts,
//                        17 mux = streams multiplexed on this one, ./mux.ts)
//   5..7  zero     8..11 seed (u32 BE)   12..19 length in bytes (u64 BE, 0 = until stopped)
// Codes are never renumbered; 16 and up were added by issue 17, away from the low codes
// other additions may take.
//
// No transfer depends on a half-close (issue 15: many tunnels and relays, quic-tun among
// them, do not carry a FIN): a sink of known length answers its verdict line once the
// length arrived, a source of known length is done at its length, and an upload of
// unknown length is framed (mode 4: u32 BE length + that many pattern bytes, repeated; a
// zero length ends it). Only sink mode 2 with length 0 still ends at the client's FIN:
// that is what the halfclose workload asks of a transport.
import type { Duplex } from 'node:stream';
import { slice, Verifier } from './data.js';
import { serveExchanges } from './exchange.js';
import { MuxConnection } from './mux.js';

export const HEADER_BYTES = 20;
const MAGIC = Buffer.from('BNC1');
export type Mode = 'echo' | 'sink' | 'source' | 'framed-sink' | 'exchange' | 'mux';
const MODE_CODE: Record<Mode, number> = { echo: 1, sink: 2, source: 3, 'framed-sink': 4, exchange: 16, mux: 17 };

/** Bytes of a frame's length prefix (framed sink). */
export const FRAME_PREFIX_BYTES = 4;

/** One frame of a framed upload: its length prefix, then `payload` (an empty payload ends the upload). */
export function framePrefix(payloadBytes: number): Buffer {
  const b = Buffer.alloc(FRAME_PREFIX_BYTES);
  b.writeUInt32BE(payloadBytes, 0);
  return b;
}

export interface Header {
  mode: Mode;
  seed: number;
  length: number;
}

export function encodeHeader(h: Header): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(b, 0);
  b[4] = MODE_CODE[h.mode];
  b.writeUInt32BE(h.seed >>> 0, 8);
  b.writeBigUInt64BE(BigInt(h.length), 12);
  return b;
}

function decodeHeader(b: Buffer): Header | null {
  if (b.length < HEADER_BYTES || !b.subarray(0, 4).equals(MAGIC)) return null;
  const mode = (Object.keys(MODE_CODE) as Mode[]).find((m) => MODE_CODE[m] === b[4]);
  if (!mode) return null;
  return { mode, seed: b.readUInt32BE(8), length: Number(b.readBigUInt64BE(12)) };
}

/** Sink's verdict, sent as one JSON line when the upload ends. */
export interface SinkVerdict {
  ok: boolean;
  bytes: number;
  badOffset: number | null;
  /** Server-side receive time from header to last byte, ms. */
  elapsedMs: number;
  /** Verified bytes per 100 ms since the header arrived. */
  series: number[];
}

export const SERIES_INTERVAL_MS = 100;

export class Series {
  readonly bytes: number[] = [];
  private t0 = performance.now();
  restart(t0: number): void {
    this.t0 = t0;
    this.bytes.length = 0;
  }
  add(n: number, now = performance.now()): void {
    const i = Math.floor((now - this.t0) / SERIES_INTERVAL_MS);
    while (this.bytes.length <= i) this.bytes.push(0);
    this.bytes[i] += n;
  }
}

export interface ServeOptions {
  /** Close an echo stream idle this long (ms); 0 = never. */
  idleTimeoutMs: number;
}

/** Serve one accepted stream according to its header. Errors end the stream, never the server. */
export function serveStream(s: Duplex, opts: ServeOptions): void {
  let head: Buffer = Buffer.alloc(0);
  s.on('error', () => s.destroy());
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    if (head.length < HEADER_BYTES) return;
    s.off('data', onData);
    s.pause();
    const h = decodeHeader(head);
    if (!h) {
      s.destroy();
      return;
    }
    const rest = head.subarray(HEADER_BYTES);
    if (h.mode === 'echo') echo(s, head.subarray(0, HEADER_BYTES), rest, opts);
    else if (h.mode === 'sink' || h.mode === 'framed-sink') sink(s, h, rest);
    else if (h.mode === 'exchange') serveExchanges(s, h.seed, rest);
    // Every stream opened inside is served like an accepted one, by its own header.
    else if (h.mode === 'mux') {
      new MuxConnection(s, (inner) => serveStream(inner, opts)).feed(rest);
      s.resume();
    }
    else source(s, h, rest);
  };
  s.on('data', onData);
}

function echo(s: Duplex, header: Buffer, rest: Buffer, opts: ServeOptions): void {
  if (opts.idleTimeoutMs > 0 && 'setTimeout' in s && typeof (s as { setTimeout?: unknown }).setTimeout === 'function') {
    // As the seeds' TCP echo server does: drop connections that go quiet.
    (s as unknown as { setTimeout(ms: number, cb: () => void): void }).setTimeout(opts.idleTimeoutMs, () => s.destroy());
  }
  s.write(rest.length ? Buffer.concat([header, rest]) : header);
  s.on('data', (c: Buffer) => {
    if (!s.write(c)) {
      s.pause();
      s.once('drain', () => s.resume());
    }
  });
  s.on('end', () => s.end());
  s.resume();
}

/**
 * Frames of a framed upload -> its payload bytes, in order; `onEnd` at the zero-length
 * frame. Prefixes may be split across reads.
 */
class Unframer {
  private left = 0;
  private prefix: Buffer = Buffer.alloc(0);
  ended = false;
  constructor(
    private readonly onPayload: (b: Buffer) => void,
    private readonly onEnd: () => void,
  ) {}

  push(c: Buffer): void {
    let pos = 0;
    while (pos < c.length && !this.ended) {
      if (this.left > 0) {
        const n = Math.min(this.left, c.length - pos);
        this.onPayload(c.subarray(pos, pos + n));
        this.left -= n;
        pos += n;
        continue;
      }
      const need = FRAME_PREFIX_BYTES - this.prefix.length;
      this.prefix = Buffer.concat([this.prefix, c.subarray(pos, pos + need)]);
      pos += Math.min(need, c.length - pos);
      if (this.prefix.length < FRAME_PREFIX_BYTES) return;
      this.left = this.prefix.readUInt32BE(0);
      this.prefix = Buffer.alloc(0);
      if (this.left === 0) {
        this.ended = true;
        this.onEnd();
      }
    }
  }
}

/**
 * Verify an upload and answer one verdict line: at its length (length > 0), at the end
 * frame (framed sink), or at the client's FIN (sink of length 0: only the halfclose
 * workload asks for that). A stream that ends first is answered with what arrived.
 */
function sink(s: Duplex, h: Header, rest: Buffer): void {
  const v = new Verifier(h.seed);
  const series = new Series();
  const t0 = performance.now();
  let last = t0;
  const take = (c: Buffer): void => {
    if (v.badOffset !== null || done) return;
    last = performance.now();
    const before = v.offset;
    v.push(c);
    series.add(v.offset - before, last);
    if (v.badOffset !== null || (h.length > 0 && v.offset >= h.length)) finish();
  };
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    const verdict: SinkVerdict = { ok: v.badOffset === null, bytes: v.offset, badOffset: v.badOffset, elapsedMs: last - t0, series: series.bytes };
    s.end(`${JSON.stringify(verdict)}\n`);
  };
  const framed = h.mode === 'framed-sink' ? new Unframer(take, finish) : null;
  const onData = (c: Buffer): void => (framed ? framed.push(c) : take(c));
  if (rest.length) onData(rest);
  s.on('data', onData);
  s.on('end', finish);
  s.resume();
}

function source(s: Duplex, h: Header, _rest: Buffer): void {
  const CHUNK = 64 * 1024;
  let off = 0;
  let stopped = false;
  // The client stops an open-ended download by closing its side.
  s.on('end', () => {
    stopped = true;
    s.destroy();
  });
  s.on('close', () => (stopped = true));
  s.resume();
  const pump = (): void => {
    while (!stopped) {
      const n = h.length > 0 ? Math.min(CHUNK, h.length - off) : CHUNK;
      if (n <= 0) {
        s.end();
        return;
      }
      const ok = s.write(slice(h.seed, off, n));
      off += n;
      if (!ok) {
        s.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
