// With quic-guarded-socket.ts, the only module that imports @matrixai/quic (STYLE rule 5): an
// upgrade touches these two files. Everything above them sees node Duplex streams, flat settings
// and flat counters.
//
// Library facts this wrapper is built on (read from @matrixai/quic 2.0.9's dist/):
// - Its default Logger prints every INFO record to stderr; a silent logger is passed always.
// - Congestion control, pacing and the window caps are not configurable: quiche's defaults
//   apply (CUBIC + HyStart), and quiche's SendInfo.at is ignored, so nothing is paced.
// - max_udp_payload_size advertised to the peer is maxRecvUdpPayloadSize (default 1350), so
//   raising only maxSendUdpPayloadSize changes nothing; both are set.
// - The server always answers the first Initial with a stateless Retry (one extra RTT).
// - Counters live only on the internal native connection (`connection.conn.stats()`).
// - The UDP socket is created inside QUICSocket with the kernel's default 208 KB buffer,
//   which overflows on loopback (100+ "lost" packets per 2 MB); the socket is created here
//   and its buffers raised through QUICSocket's (untyped) dgram handle.
// - One crafted 0-RTT datagram makes its async datagram handler reject unhandled, which ends
//   the process: every socket here is a GuardedQuicSocket (quic-guarded-socket.ts, issue 16).
import { createRequire } from 'node:module';
import { createHash, createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Socket as UdpSocket } from 'node:dgram';
import type { ReadableStream, WritableStream } from 'node:stream/web';
import { QUICClient, QUICServer, events, native } from '@matrixai/quic';
import type { QUICConnection, QUICStream } from '@matrixai/quic';
// Transitive dependency of @matrixai/quic, needed to silence it.
import Logger, { LogLevel } from '@matrixai/logger';
import { normalizeFingerprint } from '../core/certs.js';
import { QuicStreamDuplex, StreamResetError, RESET_CODE } from './quic-duplex.js';
import { GuardedQuicSocket } from './quic-guarded-socket.js';

const pkg = createRequire(import.meta.url)('@matrixai/quic/package.json') as { version: string };
export const QUIC_IMPLEMENTATION = `@matrixai/quic ${pkg.version} (quiche)`;

/** Tuning knobs, all optional. Defaults favour bulk throughput within reason. */
export interface QuicTuning {
  /** Largest UDP payload sent and accepted, bytes. 1452 = IPv4 on a 1500-byte MTU. @default 1452 */
  maxUdpPayloadBytes?: number;
  /**
   * Initial receive window per stream, bytes; quiche auto-tunes it up to 16 MiB as the reader
   * keeps up. Larger initial windows measured slower on loopback (2 MiB: -25%, 4 MiB: -20%):
   * the CPU-bound receiver only queues more. 1 MiB still allows ~80 Mbit/s at 100 ms RTT,
   * four times this library's ceiling. @default 1048576
   */
  streamWindowBytes?: number;
  /** Initial receive window per connection, bytes (auto-tuned up to 24 MiB): 16 streams at full window. @default 16777216 */
  connectionWindowBytes?: number;
  /** Idle timeout in milliseconds, 0 = never. @default 30000 */
  idleTimeoutMs?: number;
  /** PING interval that keeps an idle connection alive, milliseconds, 0 = off. @default 10000 */
  keepAliveMs?: number;
  /** Concurrent bidirectional streams the peer may open. @default 1024 */
  maxStreams?: number;
  /**
   * SO_RCVBUF/SO_SNDBUF asked for, bytes (the kernel caps it at rmem_max/wmem_max). With the
   * kernel's 208 KB default the socket itself drops 100+ packets per 2 MB on loopback, loss
   * that would be blamed on the emulated link. @default 4194304
   */
  socketBufferBytes?: number;
  /** Bytes taken from quiche per stream read (the library's default is 4 KiB: 8x the reads, events and sends). @default 32768 */
  readChunkBytes?: number;
}

const DEFAULTS: Required<QuicTuning> = {
  maxUdpPayloadBytes: 1452,
  streamWindowBytes: 1024 * 1024,
  connectionWindowBytes: 16 * 1024 * 1024,
  idleTimeoutMs: 30_000,
  keepAliveMs: 10_000,
  maxStreams: 1024,
  socketBufferBytes: 4 * 1024 * 1024,
  readChunkBytes: 32768,
};

/** Handshake deadline for connect, milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;

function tuned(t: QuicTuning = {}): Required<QuicTuning> {
  const r = { ...DEFAULTS };
  for (const [k, v] of Object.entries(t)) if (v !== undefined) (r as Record<string, number>)[k] = v;
  // A keep-alive at or above the idle timeout lets an idle connection die: keep it well below,
  // whoever configures it (the CLI used to be the only place enforcing this).
  if (r.idleTimeoutMs > 0) r.keepAliveMs = Math.min(r.keepAliveMs, Math.floor(r.idleTimeoutMs / 3));
  return r;
}

/** Effective settings of a connection made with `t`, flat, for the result file. */
export function quicSettings(t: QuicTuning = {}): Record<string, string | number | boolean> {
  const r = tuned(t);
  return {
    implementation: QUIC_IMPLEMENTATION,
    congestionControl: 'cubic',
    hystart: true,
    pacing: false,
    statelessRetry: true,
    maxUdpPayloadBytes: r.maxUdpPayloadBytes,
    initialStreamWindowBytes: r.streamWindowBytes,
    initialConnectionWindowBytes: r.connectionWindowBytes,
    maxStreamWindowBytes: native.quiche.MAX_STREAM_WINDOW,
    maxConnectionWindowBytes: native.quiche.MAX_CONNECTION_WINDOW,
    idleTimeoutMs: r.idleTimeoutMs,
    keepAliveMs: r.keepAliveMs,
    maxStreams: r.maxStreams,
    socketBufferBytesRequested: r.socketBufferBytes,
    readChunkBytes: r.readChunkBytes,
  };
}

function libConfig(r: Required<QuicTuning>, alpn: string) {
  return {
    maxIdleTimeout: r.idleTimeoutMs,
    keepAliveIntervalTime: r.keepAliveMs > 0 ? r.keepAliveMs : undefined,
    maxSendUdpPayloadSize: r.maxUdpPayloadBytes,
    maxRecvUdpPayloadSize: r.maxUdpPayloadBytes,
    initialMaxData: r.connectionWindowBytes,
    initialMaxStreamDataBidiLocal: r.streamWindowBytes,
    initialMaxStreamDataBidiRemote: r.streamWindowBytes,
    initialMaxStreamsBidi: r.maxStreams,
    readableChunkSize: r.readChunkBytes,
    applicationProtos: [alpn],
  };
}

interface NativeStats { recv: number; sent: number; lost: number; retrans: number; sentBytes: number; recvBytes: number; lostBytes: number; streamRetransBytes: number }
interface NativePathStats { rtt: number; cwnd: number; deliveryRate: number; pmtu: number }
interface NativeConn { stats(): NativeStats; pathStats(): NativePathStats[] }
const nativeOf = (c: QUICConnection): NativeConn => (c as unknown as { conn: NativeConn }).conn;

/** Names of the summable quiche counters in every stats() record. */
const QUIC_COUNTERS = ['packetsSent', 'packetsReceived', 'packetsLost', 'packetsRetransmitted', 'bytesSent', 'bytesReceived', 'bytesLost', 'streamBytesRetransmitted'] as const;

/** quiche's per-connection counters, flat and summable. */
function counters(c: QUICConnection): Record<string, number> {
  try {
    const s = nativeOf(c).stats();
    return {
      packetsSent: s.sent, packetsReceived: s.recv, packetsLost: s.lost, packetsRetransmitted: s.retrans,
      bytesSent: s.sentBytes, bytesReceived: s.recvBytes, bytesLost: s.lostBytes, streamBytesRetransmitted: s.streamRetransBytes,
    };
  } catch {
    return {};
  }
}

/** `done` plus the QUIC_COUNTERS of every record in `more`, as a new record (gauges are dropped). */
export function sumQuicCounters(done: Record<string, number>, more: Iterable<Record<string, number>>): Record<string, number> {
  const acc = { ...done };
  for (const m of more) for (const k of QUIC_COUNTERS) acc[k] = (acc[k] ?? 0) + (m[k] ?? 0);
  return acc;
}

const silent = new Logger('quic', LogLevel.SILENT, []);

// Reset reasons travel as our StreamResetError; the wire only carries the code.
const reasonToCode = (_type: 'read' | 'write', reason?: unknown): number =>
  reason instanceof StreamResetError ? reason.quicCode : RESET_CODE;
const codeToReason = (type: 'read' | 'write', code: number): Error =>
  type === 'read'
    ? new StreamResetError(`peer reset the stream (code ${code})`, 'ECONNRESET', code)
    : new StreamResetError(`peer stopped reading the stream (code ${code})`, 'EPIPE', code);

/** A stream as the library gives it, for the baseline loop that measures this wrapper's cost. */
export interface RawStream {
  streamId: number;
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** Wrap a stream, tracked in `open` so a local close can end it quietly (no 'error'), like TCP's destroy(). */
function toDuplex(s: QUICStream, open: Set<QuicStreamDuplex>): QuicStreamDuplex {
  const d = new QuicStreamDuplex(s.readable, s.writable, s.streamId, { onClose: () => open.delete(d) });
  open.add(d);
  return d;
}
const destroyAll = (open: Set<QuicStreamDuplex>): void => {
  for (const d of [...open]) d.destroy();
};
const toRaw = (s: QUICStream): RawStream => ({ streamId: s.streamId, readable: s.readable, writable: s.writable });

async function openSocket(host: string, port: number, bufferBytes: number): Promise<{ sock: GuardedQuicSocket; bufferBytes: number }> {
  const sock = new GuardedQuicSocket({ logger: silent });
  await sock.start({ host, port });
  const udp = (sock as unknown as { socket: UdpSocket }).socket;
  if (bufferBytes > 0) {
    udp.setRecvBufferSize(bufferBytes);
    udp.setSendBufferSize(bufferBytes);
  }
  // Linux reports twice the usable size; halve it so the figure means payload bytes.
  return { sock, bufferBytes: Math.floor(udp.getRecvBufferSize() / 2) };
}

/** Pin the peer's leaf certificate by fingerprint; records what was seen for the error message. */
function pinned(expected: string, seen: { fp?: string }) {
  const want = normalizeFingerprint(expected);
  return async (certs: Uint8Array[]) => {
    const leaf = certs[0];
    seen.fp = leaf ? createHash('sha256').update(leaf).digest('hex') : 'none';
    return seen.fp === want ? undefined : native.CryptoError.BadCertificate;
  };
}

export class QuicCertificateError extends Error {
  override name = 'QuicCertificateError';
}

export interface QuicServerOptions extends QuicTuning {
  host: string;
  /** 0 = any free port. */
  port: number;
  certPem: string;
  keyPem: string;
  alpn: string;
  /** Require a client certificate with this SHA-256 fingerprint. */
  clientFingerprint?: string;
  /** Each peer-opened bidirectional stream, as a Duplex, with the peer it came from. */
  onStream?: (s: QuicStreamDuplex, peer: QuicPeer) => void;
  /**
   * Connections open at once; one more is closed as soon as it is accepted (a QUIC server
   * keeps state per connection, so an unbounded number is a memory exhaustion). @default unbounded
   */
  maxConnections?: number;
  /** Each peer-opened stream as the library's web streams (baseline measurement only). */
  onRawStream?: (s: RawStream) => void;
}

/** The peer of a server-side stream: its address (validated by the handshake) and a way to drop its connection. */
export interface QuicPeer {
  host: string;
  port: number;
  /** Close the stream's whole connection (application error), e.g. after repeated refusals. */
  closeConnection(reason: string): void;
}

/** Application error code a server closes a connection with when it refuses it (busy, abusive). */
export const REFUSED_CODE = 0x62;

export interface QuicServerHandle {
  host: string;
  port: number;
  close(): Promise<void>;
  /** quiche counters summed over every connection so far, plus connection counts and datagramsRefused. */
  stats(): Record<string, number>;
  settings(): Record<string, string | number | boolean>;
}

export async function quicListen(o: QuicServerOptions): Promise<QuicServerHandle> {
  const r = tuned(o);
  const { sock, bufferBytes } = await openSocket(o.host, o.port, r.socketBufferBytes);
  const hmacKey = randomFillSync(Buffer.alloc(32));
  const mac = (data: ArrayBuffer): Buffer => createHmac('sha256', hmacKey).update(Buffer.from(data)).digest();
  const server = new QUICServer({
    socket: sock,
    logger: silent,
    reasonToCode,
    codeToReason,
    // The HMAC key only signs connection IDs and Retry tokens; it never leaves the process.
    crypto: {
      key: hmacKey.buffer.slice(hmacKey.byteOffset, hmacKey.byteOffset + 32),
      ops: {
        sign: async (_k, data) => new Uint8Array(mac(data)).buffer,
        verify: async (_k, data, sig) => {
          const want = mac(data);
          const got = Buffer.from(sig);
          return got.length === want.length && timingSafeEqual(got, want);
        },
      },
    },
    config: {
      ...libConfig(r, o.alpn),
      key: o.keyPem,
      cert: o.certPem,
      verifyPeer: o.clientFingerprint !== undefined,
      verifyCallback: o.clientFingerprint !== undefined ? pinned(o.clientFingerprint, {}) : undefined,
    },
  });
  let done: Record<string, number> = {};
  const live = new Set<QUICConnection>();
  const open = new Set<QuicStreamDuplex>();
  let opened = 0;
  let refused = 0;
  const refuse = (conn: QUICConnection, reason: string): void =>
    void conn.stop({ isApp: true, errorCode: REFUSED_CODE, reason: new TextEncoder().encode(reason) }).catch(() => undefined);
  server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const conn = (evt as events.EventQUICServerConnection).detail;
    if (o.maxConnections !== undefined && live.size >= o.maxConnections) {
      refused++;
      return refuse(conn, 'busy');
    }
    opened++;
    live.add(conn);
    const peer: QuicPeer = { host: conn.remoteHost, port: conn.remotePort, closeConnection: (reason) => refuse(conn, reason) };
    conn.addEventListener(events.EventQUICConnectionStream.name, (e) => {
      const s = (e as events.EventQUICConnectionStream).detail;
      if (o.onRawStream) o.onRawStream(toRaw(s));
      else if (o.onStream) o.onStream(toDuplex(s, open), peer);
      else s.cancel(new StreamResetError('no stream handler', 'ECONNRESET', RESET_CODE));
    });
    conn.addEventListener(events.EventQUICConnectionStopped.name, () => {
      done = sumQuicCounters(done, [counters(conn)]);
      live.delete(conn);
    }, { once: true });
  });
  await server.start();
  let closing: Promise<void> | undefined;
  return {
    host: sock.host,
    port: sock.port,
    close: () => (closing ??= (async () => {
      destroyAll(open);
      await server.stop({ force: true });
      await sock.stop({ force: true });
    })()),
    stats: () => ({ ...sumQuicCounters(done, [...live].map(counters)), connectionsOpened: opened, connectionsOpen: live.size, connectionsRefused: refused, datagramsRefused: sock.datagramsRefused }),
    settings: () => ({ ...quicSettings(o), socketBufferBytes: bufferBytes }),
  };
}

export interface QuicClientOptions extends QuicTuning {
  host: string;
  port: number;
  alpn: string;
  /** SHA-256 fingerprint the server's leaf certificate must have (hex, colons allowed). */
  fingerprint: string;
  /** Client certificate, for servers that require one. */
  certPem?: string;
  keyPem?: string;
  /** Abandons the handshake (the connect rejects) when aborted. */
  signal?: AbortSignal;
}

export interface QuicClientConnection {
  /** Open a bidirectional stream; throws once the connection is closed or out of stream credit. */
  openStream(): QuicStreamDuplex;
  openRawStream(): RawStream;
  /** Resolves with the reason as soon as the connection is closing (locally, by the peer, idle). */
  readonly closed: Promise<string>;
  readonly isClosed: boolean;
  close(): Promise<void>;
  /** quiche counters for this connection, plus the path's RTT, cwnd and delivery rate. */
  stats(): Record<string, number>;
  settings(): Record<string, string | number | boolean>;
}

export async function quicConnect(o: QuicClientOptions): Promise<QuicClientConnection> {
  const r = tuned(o);
  const { sock, bufferBytes } = await openSocket(isIPv6(o.host) ? '::' : '0.0.0.0', 0, r.socketBufferBytes);
  const seen: { fp?: string } = {};
  let client: QUICClient;
  try {
    client = await QUICClient.createQUICClient({
      host: o.host,
      port: o.port,
      socket: sock,
      logger: silent,
      reasonToCode,
      codeToReason,
      crypto: { ops: { randomBytes: async (b: ArrayBuffer) => void randomFillSync(new Uint8Array(b)) } },
      config: {
        ...libConfig(r, o.alpn),
        ...(o.certPem && o.keyPem ? { cert: o.certPem, key: o.keyPem } : {}),
        // Never switched off: the callback is the verification, by pinned fingerprint.
        verifyPeer: true,
        verifyCallback: pinned(o.fingerprint, seen),
      },
    }, { timer: CONNECT_TIMEOUT_MS, signal: o.signal });
  } catch (err) {
    await sock.stop({ force: true }).catch(() => {});
    const at = `${o.host}:${o.port}`;
    if (seen.fp !== undefined && seen.fp !== normalizeFingerprint(o.fingerprint)) {
      throw new QuicCertificateError(`QUIC server ${at} presented a certificate with SHA-256 fingerprint ${seen.fp}, not the pinned ${normalizeFingerprint(o.fingerprint)}`);
    }
    throw new Error(`QUIC connect to ${at} failed: ${describe(err)}`);
  }
  // `closed` settles on the first close event (peer close, idle timeout, local close), not
  // when the library has finished draining, which takes a few PTOs longer.
  let reason = '';
  let markClosed!: (why: string) => void;
  const closed = new Promise<string>((r) => (markClosed = r));
  client.addEventListener(events.EventQUICClientClose.name, (evt) => {
    reason = describe((evt as events.EventQUICClientClose).detail) || 'closed';
    markClosed(reason);
  }, { once: true });
  const drained = client.closedP.then(async () => {
    await sock.stop({ force: true }).catch(() => {});
    markClosed(reason || 'closed');
  });
  let closing: Promise<void> | undefined;
  const open = new Set<QuicStreamDuplex>();
  return {
    openStream: () => toDuplex(client.connection.newStream('bidi'), open),
    openRawStream: () => toRaw(client.connection.newStream('bidi')),
    closed,
    get isClosed() {
      return reason !== '' || client.closed;
    },
    close: () => (closing ??= (async () => {
      reason ||= 'closed locally';
      destroyAll(open);
      await client.destroy({ force: true });
      await drained;
    })()),
    stats: () => {
      const s = counters(client.connection);
      // Gauges of the active path (rtt: whole milliseconds, as the binding reports it);
      // pathStats throws once the connection is closed, and the counters still matter.
      try {
        const p = nativeOf(client.connection).pathStats()[0];
        if (p) Object.assign(s, { rttMs: p.rtt, cwndBytes: p.cwnd, deliveryRateBytesPerSec: p.deliveryRate, pmtuBytes: p.pmtu });
      } catch {}
      return s;
    },
    settings: () => ({ ...quicSettings(o), socketBufferBytes: bufferBytes }),
  };
}

/** One line for an error from the library: its message, the TLS alert it carries, its cause. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { data?: { errorCode?: number } }).data?.errorCode ?? -1;
  const { CRYPTO_ERROR_START: lo, CRYPTO_ERROR_STOP: hi } = native.quiche;
  const alert = code >= lo && code <= hi ? ` (TLS alert ${native.CryptoError[code] ?? code - lo})` : '';
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message || err.name}${alert}${cause}`;
}
