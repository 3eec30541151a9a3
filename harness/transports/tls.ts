// TLS 1.3 over TCP (node:tls): the fair comparison for QUIC, which always encrypts. The
// client pins the per-run certificate by SHA-256 fingerprint; verification is never off:
// the chain check is replaced by the pin (self-signed), the pin itself is mandatory.
import tls from 'node:tls';
import { fingerprintOf } from '../core/certs.js';
import { once, singleStreamSession } from './tcp.js';
import type { AgentTransport, ClientTransport, ServerTransport } from './types.js';

const impl = `node:tls TLS 1.3 (OpenSSL ${process.versions.openssl})`;

export const tlsClient: ClientTransport = {
  implementation: impl,
  multiStream: false,
  async connect(to, creds, opts) {
    const sock = tls.connect({
      host: to.host,
      port: to.port,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ca: [creds.certPem],
      servername: 'bench.test',
      noDelay: opts?.noDelay ?? false,
      // A ticket of an earlier connection (resumeState), offered for TLS 1.3 resumption.
      session: Buffer.isBuffer(opts?.resume) ? opts.resume : undefined,
      checkServerIdentity: (_host, cert) => {
        const got = fingerprintOf(cert.raw);
        return got === creds.fingerprintSha256
          ? undefined
          : new Error(`server certificate fingerprint ${got} does not match the pinned ${creds.fingerprintSha256}`);
      },
    } as tls.ConnectionOptions);
    const ticket = sessionTicket(sock);
    await once(sock, 'secureConnect');
    return { ...singleStreamSession(sock), resumeState: ticket, resumed: () => sock.isSessionReused() };
  },
  settings: () => ({ protocol: 'TLSv1.3', verification: 'pinned sha256 fingerprint' }),
};

/** How long a connection waits for the server's session ticket before saying it has none. */
const TICKET_WAIT_MS = 3000;

/**
 * The session a later connection can resume: in TLS 1.3 the server sends its tickets after
 * the handshake (with or after the first response), so they are awaited, never assumed.
 */
function sessionTicket(sock: tls.TLSSocket): () => Promise<Buffer | null> {
  let got: Buffer | null = null;
  const waiting = new Set<(b: Buffer | null) => void>();
  sock.on('session', (s: Buffer) => {
    got = s;
    for (const w of waiting) w(s);
    waiting.clear();
  });
  return () =>
    got
      ? Promise.resolve(got)
      : new Promise((resolve) => {
          const timer = setTimeout(() => (waiting.delete(resolve), resolve(null)), TICKET_WAIT_MS);
          waiting.add((b) => (clearTimeout(timer), resolve(b)));
        });
}

export const tlsServer: ServerTransport = {
  implementation: impl,
  async listen(at, creds, onStream) {
    const srv = tls.createServer(
      { cert: creds.certPem, key: creds.keyPem, minVersion: 'TLSv1.3', noDelay: true } as tls.TlsOptions,
      (sock) => onStream(sock),
    );
    srv.on('tlsClientError', () => {
      /* a client that fails the handshake is its own cell's problem */
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ host: at.host, port: at.port, backlog: 1024 }, () => resolve());
    });
    return {
      port: (srv.address() as { port: number }).port,
      close: () => new Promise<void>((r) => srv.close(() => r())),
    };
  },
};

export const tls13: AgentTransport = {
  family: 'stream',
  carries: 'tcp',
  encrypted: true,
  defaultRank: 2,
  reference: null,
  // TCP's SYN-ACK, then TLS 1.3's one round trip: secureConnect fires on the server's Finished.
  handshake: { promisedRoundTrips: 2, expectedRoundTrips: 2, note: 'TCP 1 + TLS 1.3 1' },
  resumption: {
    roundTrips: 2,
    earlyData: false,
    note: 'TLS 1.3 resumption (a session ticket as PSK) skips the certificate, not a round trip: node:tls offers no 0-RTT early data',
  },
  client: tlsClient,
  server: tlsServer,
};
