// QUIC through @matrixai/quic (wrapped by harness/transports/quic-lib.ts). A session is one QUIC
// connection; every openStream() is a new bidirectional stream on it, so echo concurrency
// maps to streams of one connection, as QUIC is meant to be used.
import type { Duplex } from 'node:stream';
import { QUIC_IMPLEMENTATION, quicConnect, quicListen, quicSettings, type QuicTuning } from './quic-lib.js';
import type { AgentTransport, ClientSession, ClientTransport, ServerTransport } from './types.js';

/** ALPN of bench's own QUIC workloads (the tunnel uses bench-tun/1). */
export const BENCH_QUIC_ALPN = 'bench/1';

export function quicClientTransport(tuning: QuicTuning = {}): ClientTransport {
  let last: { settings(): Record<string, string | number | boolean> } | undefined; // the latest connection
  return {
    implementation: QUIC_IMPLEMENTATION,
    multiStream: true,
    async connect(to, creds): Promise<ClientSession> {
      // noDelay has no QUIC meaning: quiche sends as soon as the congestion window allows.
      const conn = await quicConnect({ ...tuning, host: to.host, port: to.port, alpn: BENCH_QUIC_ALPN, fingerprint: creds.fingerprintSha256 });
      last = conn; // its settings are read when asked, not inside a timed handshake
      return {
        openStream: async (): Promise<Duplex> => conn.openStream(),
        close: () => conn.close(),
        stats: () => conn.stats(),
      };
    },
    // Before any connection the requested values; after one, including the kernel's socket buffer.
    settings: () => last?.settings() ?? quicSettings(tuning),
  };
}

export function quicServerTransport(tuning: QuicTuning = {}): ServerTransport {
  return {
    implementation: QUIC_IMPLEMENTATION,
    async listen(at, creds, onStream) {
      const srv = await quicListen({
        ...tuning,
        host: at.host,
        port: at.port,
        certPem: creds.certPem,
        keyPem: creds.keyPem,
        alpn: BENCH_QUIC_ALPN,
        onStream,
      });
      return { port: srv.port, close: () => srv.close(), stats: () => srv.stats(), settings: () => srv.settings() };
    },
  };
}

export const quicClient: ClientTransport = quicClientTransport();
export const quicServer: ServerTransport = quicServerTransport();

export const quic: AgentTransport = {
  family: 'stream',
  carries: 'quic',
  encrypted: true,
  defaultRank: 3,
  reference: null,
  handshake: {
    promisedRoundTrips: 1,
    expectedRoundTrips: 2,
    // Read in @matrixai/quic 2.0.9 dist/QUICServer.js, acceptConnection.
    note: '@matrixai/quic\'s server answers every Initial without a token with a stateless Retry (QUICServer.acceptConnection): one more round trip',
  },
  resumption: {
    unsupported:
      '@matrixai/quic 2.0.9 cannot resume a session: QUICClient.createQUICClient creates and starts the quiche connection in one step and never calls ' +
      'the binding\'s setSession, and its server builds a new TLS context for every connection (buildQuicheConfig in the QUICConnection constructor) ' +
      'without setTicketKey, so no ticket key outlives a connection',
  },
  client: quicClient,
  server: quicServer,
};
