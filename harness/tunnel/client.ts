// Tunnel client endpoint: listens on TCP or a UNIX socket; every accepted connection becomes
// one QUIC stream that starts with `BTUN1 <token>\n`. The app's bytes are pipelined right
// behind the header; the server's `OK`/`ERR` line is stripped before anything reaches the app.
// mode "stream": all streams share one QUIC connection (re-made when it dies).
// mode "connection": one QUIC connection per TCP connection, as quic-tun does.
import net from 'node:net';
import { rm } from 'node:fs/promises';
import { QuicCertificateError, quicConnect, sumQuicCounters, type QuicClientConnection, type QuicTuning } from '../transports/quic-lib.js';
import { encodeHeader, newCounters, parseStatus, readLine, TUNNEL_ALPN, type HostPort, type ListenSpec, type TunnelCounters } from './protocol.js';
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

export class TunnelClient {
  /** Where applications connect: TCP host/port, or a UNIX socket path. */
  host?: string;
  port?: number;
  path?: string;

  private readonly mode: TunnelMode;
  private readonly log: (line: string) => void;
  private readonly header: Buffer;
  private readonly c: TunnelCounters = newCounters();
  /** QUIC counters of connections that have closed, summed. */
  private quicDone: Record<string, number> = {};
  private readonly conns = new Set<QuicClientConnection>();
  private readonly live = new Set<Relay>();
  private closing = false;
  /** Settings of the latest QUIC connection. */
  private quicSettings: Record<string, string | number | boolean> = {};
  private readonly abort = new AbortController();
  /** mode "stream": the connection every stream shares, and the one being made to replace it. */
  private shared: QuicClientConnection | undefined;
  private connecting: Promise<QuicClientConnection> | undefined;
  private readonly server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (s) => void this.onApp(s));
  private closed: Promise<void> | undefined;

  private constructor(private readonly o: TunnelClientOptions) {
    this.mode = o.mode ?? 'stream';
    this.log = o.log ?? ((l: string) => process.stderr.write(`bench tunnel client: ${l}\n`));
    this.header = encodeHeader(o.token);
  }

  /** Reach the server (failing fast on a wrong certificate), then listen for applications. */
  static async start(o: TunnelClientOptions): Promise<TunnelClient> {
    const t = new TunnelClient(o);
    const first = await t.firstConnection();
    if (t.mode === 'stream') t.adopt(first);
    else await first.close();
    await t.listen();
    return t;
  }

  /** Fail fast on a wrong certificate; anything else may be a server still starting up. */
  private async firstConnection(): Promise<QuicClientConnection> {
    const deadline = Date.now() + (this.o.startupTimeoutMs ?? 15_000);
    for (;;) {
      try {
        return await this.connect();
      } catch (err) {
        if (err instanceof QuicCertificateError || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async connect(): Promise<QuicClientConnection> {
    const o = this.o;
    const conn = await quicConnect({
      ...o.quic,
      host: o.server.host,
      port: o.server.port,
      alpn: TUNNEL_ALPN,
      fingerprint: o.fingerprint,
      certPem: o.certPem,
      keyPem: o.keyPem,
      signal: this.abort.signal,
    });
    this.c.connectionsOpened++;
    this.conns.add(conn);
    this.quicSettings = conn.settings();
    void conn.closed.then(() => {
      this.conns.delete(conn);
      this.quicDone = sumQuicCounters(this.quicDone, [conn.stats()]);
    });
    return conn;
  }

  // A dead shared connection is replaced lazily, by the next application connection: no
  // background retry loop that could spin against a server that keeps refusing us.
  private adopt(conn: QuicClientConnection): QuicClientConnection {
    this.shared = conn;
    void conn.closed.then((reason) => {
      if (this.shared === conn) this.shared = undefined;
      if (!this.closing) this.log(`QUIC connection lost (${reason}); the next TCP connection makes a new one`);
    });
    return conn;
  }

  private getShared(): Promise<QuicClientConnection> {
    if (this.shared && !this.shared.isClosed) return Promise.resolve(this.shared);
    this.connecting ??= this.connect()
      .then((c) => this.adopt(c))
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** A stream for one application connection, on the shared connection or a new one of its own. */
  private async openStream(): Promise<{ conn: QuicClientConnection; stream: ReturnType<QuicClientConnection['openStream']> }> {
    let conn: QuicClientConnection | undefined;
    try {
      conn = this.mode === 'stream' ? await this.getShared() : await this.connect();
      try {
        return { conn, stream: conn.openStream() };
      } catch (err) {
        // The shared connection died between the check and the open: one fresh try.
        if (this.mode !== 'stream' || !conn.isClosed) throw err;
        conn = await this.getShared();
        return { conn, stream: conn.openStream() };
      }
    } catch (err) {
      if (this.mode === 'connection') void conn?.close();
      throw err;
    }
  }

  private async onApp(sock: net.Socket): Promise<void> {
    const c = this.c;
    c.streamsOpened++;
    sock.on('error', () => {});
    if (this.closing) return this.refuseApp(sock, 'client shutting down');
    let opened;
    try {
      opened = await this.openStream();
    } catch (err) {
      return this.refuseApp(sock, `no QUIC stream: ${(err as Error).message}`);
    }
    const { conn, stream } = opened;
    const own = this.mode === 'connection' ? conn : undefined;
    if (sock.destroyed || this.closing) {
      stream.destroy();
      void own?.close();
      return this.refuseApp(sock, 'application connection gone before the stream opened');
    }
    let refused = false;
    const relay: Relay = new Relay(sock, stream, {
      onTcpBytes: (n) => void (c.bytesUp += n),
      onQuicBytes: (n) => void (c.bytesDown += n),
      onDone: (outcome, err) => {
        this.live.delete(relay);
        c.streamsClosed++;
        if (outcome === 'reset' && !refused) {
          c.streamsReset++;
          if (!this.closing) this.log(`stream ${stream.streamId} reset: ${err?.message ?? 'unknown'}`);
        }
        if (own) setTimeout(() => void own.close(), outcome === 'closed' ? (this.o.lingerMs ?? 2000) : 0).unref();
      },
    });
    this.live.add(relay);
    stream.write(this.header);
    relay.startTcpToQuic();
    readLine(stream, STATUS_TIMEOUT_MS).then(
      ({ line, rest }) => {
        const st = parseStatus(line);
        if (st.ok) return relay.startQuicToTcp(rest);
        refused = true;
        c.streamsRefused++;
        this.log(`server refused the connection: ${st.reason}`);
        relay.reset(new Error(st.reason));
      },
      (err: Error) => {
        if (this.live.has(relay)) {
          refused = true;
          c.streamsRefused++;
          this.log(`no answer from the server: ${err.message}`);
          relay.reset(err);
        }
      },
    );
  }

  private refuseApp(sock: net.Socket, why: string): void {
    this.c.streamsRefused++;
    this.c.streamsClosed++;
    this.log(why);
    resetSocket(sock);
  }

  private async listen(): Promise<void> {
    const { listen } = this.o;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => {
        this.server.off('error', reject);
        resolve();
      };
      if (listen.kind === 'tcp') this.server.listen({ host: listen.host, port: listen.port, backlog: 1024 }, done);
      else this.server.listen({ path: listen.path, backlog: 1024 }, done);
    }).catch(async (err: Error) => {
      this.closing = true;
      await Promise.all([...this.conns].map((x) => x.close()));
      throw err;
    });
    const addr = this.server.address();
    if (typeof addr === 'string' || addr === null) this.path = listen.kind === 'unix' ? listen.path : String(addr);
    else {
      this.host = addr.address;
      this.port = addr.port;
    }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      this.abort.abort(new Error('tunnel client closed'));
      const stopped = new Promise<void>((r) => this.server.close(() => r()));
      for (const r of [...this.live]) r.reset(new Error('client shutting down'));
      await Promise.all([...this.conns].map((x) => x.close()));
      await stopped;
      if (this.o.listen.kind === 'unix') await rm(this.o.listen.path, { force: true });
    })();
    return this.closed;
  }

  /** Tunnel counters plus QUIC counters summed over this endpoint's connections, flat. */
  counters(): Record<string, number> {
    return { ...sumQuicCounters(this.quicDone, [...this.conns].map((x) => x.stats())), ...this.c };
  }

  settings(): Record<string, string | number | boolean> {
    return { ...this.quicSettings, mode: this.mode };
  }
}
