// Tunnel server endpoint: accepts QUIC streams, reads the `BTUN1 <token>` header and
// connects only to the backend its allowlist names for that token. It is never an open
// proxy: an unknown or malformed token is answered with ERR and no connection is attempted.
import net from 'node:net';
import { quicListen, type QuicTuning } from '../quic/lib.js';
import type { QuicStreamDuplex } from '../quic/duplex.js';
import { newCounters, parseHeader, readLine, TUNNEL_ALPN, type HostPort } from './protocol.js';
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
  /** Where human-readable events go. @default stderr */
  log?: (line: string) => void;
}

export interface TunnelServer {
  host: string;
  port: number;
  close(): Promise<void>;
  /** Tunnel counters plus the QUIC counters summed over connections, flat. */
  counters(): Record<string, number>;
  settings(): Record<string, string | number | boolean>;
}

export async function startTunnelServer(o: TunnelServerOptions): Promise<TunnelServer> {
  const c = newCounters();
  const log = o.log ?? ((l: string) => process.stderr.write(`bench tunnel server: ${l}\n`));
  const live = new Set<Relay>();
  let closing = false;

  const refuse = (s: QuicStreamDuplex, reason: string): void => {
    c.streamsRefused++;
    c.streamsClosed++;
    log(`refused stream ${s.streamId}: ${reason}`);
    // FIN after the status line, then stop the client's pipelined bytes (STOP_SENDING).
    s.on('error', () => {});
    s.end(`ERR ${reason}\n`, () => s.destroy());
    setTimeout(() => s.destroy(), 5000).unref();
  };

  const onStream = (s: QuicStreamDuplex): void => {
    c.streamsOpened++;
    if (closing) return refuse(s, 'server shutting down');
    readLine(s, o.headerTimeoutMs ?? 10_000).then(
      ({ line, rest }) => {
        const token = parseHeader(line);
        if (token === null) return refuse(s, 'malformed header');
        const backend = o.allow.get(token);
        if (!backend) return refuse(s, 'token not allowed');
        connectBackend(s, backend, rest);
      },
      (err: Error) => {
        c.streamsClosed++;
        c.streamsReset++;
        if (!s.destroyed) s.destroy();
        log(`stream ${s.streamId} gave no header: ${err.message}`);
      },
    );
  };

  // The stream died while its backend was being connected: a peer reset, or close()
  // destroying it quietly (no 'error'). Counted like a relay that ended in a reset.
  const lost = (s: QuicStreamDuplex, backend: HostPort, err?: Error): void => {
    c.streamsClosed++;
    c.streamsReset++;
    if (!closing) log(`stream ${s.streamId} to ${backend.host}:${backend.port} reset while connecting: ${err?.message ?? 'stream closed'}`);
  };

  const connectBackend = (s: QuicStreamDuplex, backend: HostPort, rest: Buffer): void => {
    // Its 'close' may already have been emitted, before these listeners exist.
    if (s.destroyed) return lost(s, backend);
    const ms = o.backendTimeoutMs ?? 10_000;
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
      if (settle()) refuse(s, `backend ${backend.host}:${backend.port} ${err.code ?? err.message}`);
    };
    const abandon = (err?: Error): void => {
      if (!settle()) return;
      sock.on('error', () => {});
      // Also while still connecting: the kernel may have completed the connect already, and
      // destroy() would then close it with a FIN, which the backend takes for a half-close.
      // resetAndDestroy() waits for the connect and resets; the timer above bounds the wait.
      resetSocket(sock);
      lost(s, backend, err);
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
          live.delete(relay);
          c.streamsClosed++;
          if (outcome !== 'reset') return;
          c.streamsReset++;
          if (!closing) log(`stream ${s.streamId} to ${backend.host}:${backend.port} reset: ${err?.message ?? 'unknown'}`);
        },
      });
      live.add(relay);
      s.write('OK\n');
      // Bytes the client pipelined behind its header go first.
      relay.startQuicToTcp(rest);
      relay.startTcpToQuic();
    });
  };

  const q = await quicListen({
    ...o.quic,
    host: o.host,
    port: o.port,
    certPem: o.certPem,
    keyPem: o.keyPem,
    alpn: TUNNEL_ALPN,
    clientFingerprint: o.clientFingerprint,
    onStream,
  });
  return {
    host: q.host,
    port: q.port,
    async close() {
      closing = true;
      for (const r of [...live]) r.reset(new Error('server shutting down'));
      await q.close();
    },
    counters() {
      const qs = q.stats();
      return { ...c, ...qs };
    },
    settings: () => q.settings(),
  };
}
