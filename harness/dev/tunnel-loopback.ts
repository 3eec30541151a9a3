// Loopback TCP backends and clients for exercising a tunnel without a lab: used by the
// tunnel tests and by selfbench-quic. Everything binds 127.0.0.1 and is closed by close().
import net from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { generateCredentials } from '../core/certs.js';
import type { Credentials } from '../core/certs.js';
import type { QuicTuning } from '../transports/quic-lib.js';
import { TunnelClient, type TunnelClientOptions, type TunnelMode } from '../tunnel/client.js';
import { resetBehindEof } from '../tunnel/relay.js';
import { TunnelServer, type TunnelServerOptions } from '../tunnel/server.js';

export interface Backend {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 (half-open allowed) whose connections `handler` owns. */
export async function startBackend(handler: (sock: net.Socket) => void): Promise<Backend> {
  const socks = new Set<net.Socket>();
  let accepted = 0;
  const srv = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    accepted++;
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    handler(s);
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  return {
    port: (srv.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** Echo every byte back; end when the peer ends (half-close preserved). */
export const echoHandler = (s: Duplex): void => void s.pipe(s);

/** Swallow everything, then answer the byte count as decimal text and end. */
export const sinkHandler = (s: Duplex): void => {
  let n = 0;
  s.on('data', (d: Buffer) => void (n += d.length));
  s.on('end', () => s.end(String(n)));
};

/** Connect to a TCP port on 127.0.0.1, or to a UNIX socket path. */
export function connectTcp(to: number | string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = typeof to === 'number' ? net.connect({ host: '127.0.0.1', port: to, allowHalfOpen: true, noDelay: true }) : net.connect({ path: to, allowHalfOpen: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * How the peer ended the connection: 'FIN', or the error code of a reset ('ECONNRESET'),
 * also when libuv reported the reset as a plain EOF (see resetBehindEof).
 */
export function howItEnds(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.once('end', () => void resetBehindEof(s).then((err) => resolve(err ? ((err as NodeJS.ErrnoException).code ?? err.message) : 'FIN')));
    s.once('close', () => resolve('closed'));
  });
}

/** Everything the socket sends until its FIN; rejects on reset/error. */
export function readAll(s: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const bufs: Buffer[] = [];
    s.on('data', (d: Buffer) => bufs.push(d));
    s.once('end', () => resolve(Buffer.concat(bufs)));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed without FIN')));
  });
}

/** Write `total` bytes of a repeating pattern in `chunk`-byte writes, honouring backpressure. */
export async function writePattern(s: Duplex, total: number, chunk = 65536): Promise<void> {
  const block = patternBlock(chunk);
  for (let sent = 0; sent < total; ) {
    const n = Math.min(chunk, total - sent);
    const ok = s.write(n === chunk ? block : block.subarray(0, n));
    sent += n;
    if (!ok) await new Promise<void>((r, j) => {
      const onClose = (): void => j(new Error('closed while writing'));
      s.once('drain', () => {
        s.off('close', onClose);
        r();
      });
      s.once('close', onClose);
    });
  }
}

/** The byte pattern writePattern sends: byte i is (i * 7 + (i >> 8)) & 0xff, chunk-periodic. */
export function patternBlock(len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

export interface LoopbackTunnel {
  server: TunnelServer;
  client: TunnelClient;
  creds: Credentials;
  /** Client endpoint's TCP port (NaN when it listens on a UNIX socket). */
  port: number;
  logs: string[];
  close(): Promise<void>;
}

/** A tunnel server and client on 127.0.0.1 with fresh credentials, token "bench" -> `backendPort`. */
export async function startLoopbackTunnel(
  backendPort: number,
  o: { mode?: TunnelMode; quic?: QuicTuning; creds?: Credentials; token?: string; client?: Partial<TunnelClientOptions>; server?: Partial<TunnelServerOptions> } = {},
): Promise<LoopbackTunnel> {
  const creds = o.creds ?? (await generateCredentials());
  const logs: string[] = [];
  const log = (l: string): void => void logs.push(l);
  const server = await TunnelServer.start({
    host: '127.0.0.1', port: 0, certPem: creds.certPem, keyPem: creds.keyPem, quic: o.quic, log,
    allow: new Map([['bench', { host: '127.0.0.1', port: backendPort }]]),
    ...o.server,
  });
  let client: TunnelClient;
  try {
    client = await TunnelClient.start({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, server: { host: '127.0.0.1', port: server.port },
      token: o.token ?? 'bench', fingerprint: creds.fingerprintSha256, mode: o.mode, quic: o.quic, log, ...o.client,
    });
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    server, client, creds, logs, port: client.port ?? NaN,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
