// Tunnel client endpoint: listens on TCP or a UNIX socket; every accepted connection becomes
// one QUIC stream that starts with `BTUN1 <token>\n`. The app's bytes are pipelined right
// behind the header; the server's `OK`/`ERR` line is stripped before anything reaches the app.
// mode "stream": all streams share one QUIC connection (re-made when it dies).
// mode "connection": one QUIC connection per TCP connection, as quic-tun does.
import net from 'node:net';
import { rm } from 'node:fs/promises';
import { QuicCertificateError, quicConnect, sumQuicCounters, type QuicClientConnection, type QuicTuning } from '../quic/lib.js';
import { encodeHeader, newCounters, parseStatus, readLine, TUNNEL_ALPN, type HostPort, type ListenSpec } from './protocol.js';
import { Relay, resetSocket } from './relay.js';

export type TunnelMode = 'stream' | 'connection';

/** Time to wait for the server's OK/ERR line, milliseconds. */
const STATUS_TIMEOUT_MS = 15_000;

export interface TunnelClientOptions {
  listen: ListenSpec;
  server: HostPort;
  /** Names the backend in the server's allowlist. */
  token: string;
  /** SHA-256 fingerprint the server's certificate must have. */
  fingerprint: string;
  /** Client certificate, for servers started with --client-fingerprint. */
  certPem?: string;
  keyPem?: string;
  /** @default 'stream' */
  mode?: TunnelMode;
  /**
   * mode "connection": how long a connection stays up after its stream ended, so the last
   * data, FIN and ACKs are delivered (closing a QUIC connection discards unsent data). @default 2000
   */
  lingerMs?: number;
  /** Startup: keep trying to reach the server this long (it may still be starting). @default 15000 */
  startupTimeoutMs?: number;
  quic?: QuicTuning;
  log?: (line: string) => void;
}

export interface TunnelClient {
  /** Where applications connect: TCP host/port, or a UNIX socket path. */
  host?: string;
  port?: number;
  path?: string;
  close(): Promise<void>;
  /** Tunnel counters plus QUIC counters summed over this endpoint's connections, flat. */
  counters(): Record<string, number>;
  settings(): Record<string, string | number | boolean>;
}

export async function startTunnelClient(o: TunnelClientOptions): Promise<TunnelClient> {
  const mode = o.mode ?? 'stream';
  const log = o.log ?? ((l: string) => process.stderr.write(`bench tunnel client: ${l}\n`));
  const header = encodeHeader(o.token);
  const c = newCounters();
  let quicDone: Record<string, number> = {};
  const conns = new Set<QuicClientConnection>();
  const live = new Set<Relay>();
  let closing = false;
  let settings: Record<string, string | number | boolean> = {};
  const abort = new AbortController();

  const connect = async (): Promise<QuicClientConnection> => {
    const conn = await quicConnect({
      ...o.quic,
      host: o.server.host,
      port: o.server.port,
      alpn: TUNNEL_ALPN,
      fingerprint: o.fingerprint,
      certPem: o.certPem,
      keyPem: o.keyPem,
      signal: abort.signal,
    });
    c.connectionsOpened++;
    conns.add(conn);
    settings = conn.settings();
    void conn.closed.then(() => {
      conns.delete(conn);
      quicDone = sumQuicCounters(quicDone, [conn.stats()]);
    });
    return conn;
  };

  // Fail fast on a wrong certificate; anything else may be a server still starting up.
  const deadline = Date.now() + (o.startupTimeoutMs ?? 15_000);
  let first: QuicClientConnection | undefined;
  for (;;) {
    try {
      first = await connect();
      break;
    } catch (err) {
      if (err instanceof QuicCertificateError || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  // A dead shared connection is replaced lazily, by the next application connection: no
  // background retry loop that could spin against a server that keeps refusing us.
  let shared: QuicClientConnection | undefined;
  let connecting: Promise<QuicClientConnection> | undefined;
  const adopt = (conn: QuicClientConnection): QuicClientConnection => {
    shared = conn;
    void conn.closed.then((reason) => {
      if (shared === conn) shared = undefined;
      if (!closing) log(`QUIC connection lost (${reason}); the next TCP connection makes a new one`);
    });
    return conn;
  };
  const getShared = (): Promise<QuicClientConnection> => {
    if (shared && !shared.isClosed) return Promise.resolve(shared);
    connecting ??= connect().then(adopt).finally(() => (connecting = undefined));
    return connecting;
  };
  if (mode === 'stream') adopt(first);
  else await first.close();

  const onApp = async (sock: net.Socket): Promise<void> => {
    c.streamsOpened++;
    sock.on('error', () => {});
    if (closing) return refuseApp(sock, 'client shutting down');
    let conn: QuicClientConnection | undefined;
    let stream;
    try {
      conn = mode === 'stream' ? await getShared() : await connect();
      try {
        stream = conn.openStream();
      } catch (err) {
        // The shared connection died between the check and the open: one fresh try.
        if (mode !== 'stream' || !conn.isClosed) throw err;
        conn = await getShared();
        stream = conn.openStream();
      }
    } catch (err) {
      if (mode === 'connection') void conn?.close();
      return refuseApp(sock, `no QUIC stream: ${(err as Error).message}`);
    }
    const own = mode === 'connection' ? conn : undefined;
    if (sock.destroyed || closing) {
      stream.destroy();
      void own?.close();
      return refuseApp(sock, 'application connection gone before the stream opened');
    }
    let refused = false;
    const relay: Relay = new Relay(sock, stream, {
      onTcpBytes: (n) => void (c.bytesUp += n),
      onQuicBytes: (n) => void (c.bytesDown += n),
      onDone: (outcome, err) => {
        live.delete(relay);
        c.streamsClosed++;
        if (outcome === 'reset' && !refused) {
          c.streamsReset++;
          if (!closing) log(`stream ${stream.streamId} reset: ${err?.message ?? 'unknown'}`);
        }
        if (own) setTimeout(() => void own.close(), outcome === 'closed' ? (o.lingerMs ?? 2000) : 0).unref();
      },
    });
    live.add(relay);
    stream.write(header);
    relay.startTcpToQuic();
    readLine(stream, STATUS_TIMEOUT_MS).then(
      ({ line, rest }) => {
        const st = parseStatus(line);
        if (st.ok) return relay.startQuicToTcp(rest);
        refused = true;
        c.streamsRefused++;
        log(`server refused the connection: ${st.reason}`);
        relay.reset(new Error(st.reason));
      },
      (err: Error) => {
        if (live.has(relay)) {
          refused = true;
          c.streamsRefused++;
          log(`no answer from the server: ${err.message}`);
          relay.reset(err);
        }
      },
    );
  };

  const refuseApp = (sock: net.Socket, why: string): void => {
    c.streamsRefused++;
    c.streamsClosed++;
    log(why);
    resetSocket(sock);
  };

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (s) => void onApp(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (o.listen.kind === 'tcp') server.listen({ host: o.listen.host, port: o.listen.port, backlog: 1024 }, done);
    else server.listen({ path: o.listen.path, backlog: 1024 }, done);
  }).catch(async (err: Error) => {
    closing = true;
    await Promise.all([...conns].map((x) => x.close()));
    throw err;
  });
  const addr = server.address();
  const where = typeof addr === 'string' || addr === null ? { path: o.listen.kind === 'unix' ? o.listen.path : String(addr) } : { host: addr.address, port: addr.port };

  let closed: Promise<void> | undefined;
  return {
    ...where,
    close: () => (closed ??= (async () => {
      closing = true;
      abort.abort(new Error('tunnel client closed'));
      const stopped = new Promise<void>((r) => server.close(() => r()));
      for (const r of [...live]) r.reset(new Error('client shutting down'));
      await Promise.all([...conns].map((x) => x.close()));
      await stopped;
      if (o.listen.kind === 'unix') await rm(o.listen.path, { force: true });
    })()),
    counters: () => ({ ...sumQuicCounters(quicDone, [...conns].map((x) => x.stats())), ...c }),
    settings: () => ({ ...settings, mode }),
  };
}
