// Tunnel server endpoint: accepts QUIC streams, reads the `BTUN1 <token>` header and
// connects only to the backend its allowlist names for that token. It is never an open
// proxy: an unknown or malformed token is answered with ERR and no connection is attempted.
// Every refusal a client can provoke reads the same (`ERR refused`), so answers tell a
// guesser nothing; the log says why. Limits: ./guard.ts.
import net from 'node:net';
import { quicListen, type QuicPeer, type QuicServerHandle, type QuicTuning } from '../transports/quic-lib.js';
import { DEFAULT_GUARD, TunnelGuard, type GuardLimits } from './guard.js';
import type { QuicStreamDuplex } from '../transports/quic-duplex.js';
import { newCounters, parseHeader, readLine, TUNNEL_ALPN, type HostPort, type TunnelCounters } from './protocol.js';
import { Relay, resetSocket } from './relay.js';

export interface TunnelServerOptions {
  /** UDP address to listen on; port 0 = any free port. */
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** token -> backend; the only places this server ever connects to. */
  allow: ReadonlyMap<string, HostPort>;
  /** Require clients to present a certificate with this SHA-256 fingerprint. */
  clientFingerprint?: string;
  /** Time a stream may take to send its header, milliseconds. @default 10000 */
  headerTimeoutMs?: number;
  /** Time a backend connect may take, milliseconds. @default 10000 */
  backendTimeoutMs?: number;
  quic?: QuicTuning;
  /** QUIC connections at once; more are closed at once ("busy"). @default 256 */
  maxConnections?: number;
  /** Stream and token limits. @default DEFAULT_GUARD */
  limits?: Partial<GuardLimits>;
  /** Where human-readable events go. @default stderr */
  log?: (line: string) => void;
}

/** QUIC connections a tunnel server keeps at once unless told otherwise. */
const DEFAULT_MAX_CONNECTIONS = 256;

export class TunnelServer {
  private readonly c: TunnelCounters = newCounters();
  private readonly log: (line: string) => void;
  private readonly live = new Set<Relay>();
  private closing = false;
  private q!: QuicServerHandle;
  private readonly guard: TunnelGuard;
  /** Refused tokens per connection (by peer address and port). */
  private readonly refusals = new Map<string, number>();

  private constructor(private readonly o: TunnelServerOptions) {
    this.log = o.log ?? ((l: string) => process.stderr.write(`bench tunnel server: ${l}\n`));
    this.guard = new TunnelGuard({ ...DEFAULT_GUARD, ...o.limits });
  }

  static async start(o: TunnelServerOptions): Promise<TunnelServer> {
    const t = new TunnelServer(o);
    t.q = await quicListen({
      ...o.quic,
      host: o.host,
      port: o.port,
      certPem: o.certPem,
      keyPem: o.keyPem,
      alpn: TUNNEL_ALPN,
      clientFingerprint: o.clientFingerprint,
      maxConnections: o.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      onStream: (s, peer) => t.onStream(s, peer),
    });
    return t;
  }

  /** UDP address it listens on. */
  get host(): string {
    return this.q.host;
  }

  get port(): number {
    return this.q.port;
  }

  /** Answer `ERR <answer>`; `detail` (why) goes to the log only. */
  private refuse(s: QuicStreamDuplex, answer: string, detail = answer): void {
    this.c.streamsRefused++;
    this.c.streamsClosed++;
    this.log(`refused stream ${s.streamId}: ${detail}`);
    // FIN after the status line, then stop the client's pipelined bytes (STOP_SENDING).
    s.on('error', () => {});
    s.end(`ERR ${answer}\n`, () => s.destroy());
    setTimeout(() => s.destroy(), 5000).unref();
  }

  private onStream(s: QuicStreamDuplex, peer: QuicPeer): void {
    const c = this.c;
    c.streamsOpened++;
    if (this.closing) return this.refuse(s, 'server shutting down');
    if (!this.guard.acquire()) {
      c.streamsBusy++;
      return this.refuse(s, 'busy', `${this.guard.limits.maxStreams} streams open`);
    }
    s.once('close', () => this.guard.release());
    readLine(s, this.o.headerTimeoutMs ?? 10_000).then(
      ({ line, rest }) => {
        // A peer that spent its refusal budget is refused unread: its guesses learn nothing.
        if (!this.guard.mayTry(peer.host)) return this.refuseToken(s, peer, 'refusal budget of this address spent');
        const token = parseHeader(line);
        if (token === null) return this.refuseToken(s, peer, 'malformed header');
        const backend = this.o.allow.get(token);
        if (!backend) return this.refuseToken(s, peer, 'token not allowed');
        this.connectBackend(s, backend, rest);
      },
      (err: Error) => {
        c.streamsClosed++;
        c.streamsReset++;
        if (!s.destroyed) s.destroy();
        this.log(`stream ${s.streamId} gave no header: ${err.message}`);
      },
    );
  }

  /** A refused token: the same answer for every cause, a budget spent, and a connection that keeps guessing closed. */
  private refuseToken(s: QuicStreamDuplex, peer: QuicPeer, why: string): void {
    this.c.streamsTokenRefused++;
    this.guard.refused(peer.host);
    this.refuse(s, 'refused', `${why} (from ${peer.host}:${peer.port})`);
    const key = `${peer.host}:${peer.port}`;
    const n = (this.refusals.get(key) ?? 0) + 1;
    this.refusals.set(key, n);
    if (n >= this.guard.limits.refusalsPerConnection) {
      this.refusals.delete(key);
      this.log(`closing the connection of ${key} after ${n} refused tokens`);
      peer.closeConnection('refused');
    }
  }

  // The stream died while its backend was being connected: a peer reset, or close()
  // destroying it quietly (no 'error'). Counted like a relay that ended in a reset.
  private lost(s: QuicStreamDuplex, backend: HostPort, err?: Error): void {
    this.c.streamsClosed++;
    this.c.streamsReset++;
    if (!this.closing) this.log(`stream ${s.streamId} to ${backend.host}:${backend.port} reset while connecting: ${err?.message ?? 'stream closed'}`);
  }

  private connectBackend(s: QuicStreamDuplex, backend: HostPort, rest: Buffer): void {
    const c = this.c;
    // Its 'close' may already have been emitted, before these listeners exist.
    if (s.destroyed) return this.lost(s, backend);
    const ms = this.o.backendTimeoutMs ?? 10_000;
    const sock = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true });
    // Bounds the connect, also one abandoned below (its reset waits for the connect).
    const timer = setTimeout(() => sock.destroy(new Error(`connect timed out after ${ms} ms`)), ms).unref();
    sock.once('connect', () => clearTimeout(timer));
    sock.once('close', () => clearTimeout(timer));
    // Exactly one of failed / abandon / connected runs; each starts with settle().
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      sock.off('error', failed);
      s.off('error', abandon);
      s.off('close', abandon);
      return true;
    };
    const failed = (err: Error & { code?: string }): void => {
      if (settle()) this.refuse(s, `backend ${backend.host}:${backend.port} ${err.code ?? err.message}`);
    };
    const abandon = (err?: Error): void => {
      if (!settle()) return;
      sock.on('error', () => {});
      // Also while still connecting: the kernel may have completed the connect already, and
      // destroy() would then close it with a FIN, which the backend takes for a half-close.
      // resetAndDestroy() waits for the connect and resets; the timer above bounds the wait.
      resetSocket(sock);
      this.lost(s, backend, err);
    };
    sock.once('error', failed);
    s.once('error', abandon);
    s.once('close', abandon);
    sock.once('connect', () => {
      if (s.destroyed) return abandon();
      if (!settle()) return;
      const relay: Relay = new Relay(sock, s, {
        onTcpBytes: (n) => void (c.bytesDown += n),
        onQuicBytes: (n) => void (c.bytesUp += n),
        onDone: (outcome, err) => {
          this.live.delete(relay);
          c.streamsClosed++;
          if (outcome !== 'reset') return;
          c.streamsReset++;
          if (!this.closing) this.log(`stream ${s.streamId} to ${backend.host}:${backend.port} reset: ${err?.message ?? 'unknown'}`);
        },
      });
      this.live.add(relay);
      s.write('OK\n');
      // Bytes the client pipelined behind its header go first.
      relay.startQuicToTcp(rest);
      relay.startTcpToQuic();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const r of [...this.live]) r.reset(new Error('server shutting down'));
    await this.q.close();
  }

  /** Tunnel counters plus the QUIC counters summed over connections, flat. */
  counters(): Record<string, number> {
    return { ...this.c, ...this.q.stats() };
  }

  settings(): Record<string, string | number | boolean> {
    return this.q.settings();
  }
}
