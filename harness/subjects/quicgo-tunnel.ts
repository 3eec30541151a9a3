// The quic-go TCP-over-QUIC tunnel (harness/subjects/quic-go), a native QUIC reference: a
// command subject carrying QUIC, built into bench.
import { QUICGO_BIN } from '../core/native.js';
import { CommandSubject } from './command.js';
import { QUICGO_MISSING, quicGoVersion } from './quicgo.js';
import { TUNNEL_NO_RESUMPTION, TUNNELLED_TCP_HANDSHAKE, unavailable, type TransportEntry } from './types.js';

export const quicGoTunnel: TransportEntry = {
  family: 'tunnel',
  carries: 'quic',
  encrypted: true,
  defaultRank: null,
  reference: null,
  // The agent's TCP connect is answered by the tunnel's local end, and the tunnel's QUIC
  // connection is already open (one per link point): no round trip before the first request.
  handshake: TUNNELLED_TCP_HANDSHAKE,
  resumption: { unsupported: TUNNEL_NO_RESUMPTION },
  async start(env) {
    const version = quicGoVersion();
    if (!version) return unavailable(QUICGO_MISSING, 'quic');
    const bin = QUICGO_BIN;
    return CommandSubject.start(
      {
        name: 'quicgo-tunnel',
        implementation: `${version} tunnel (harness/subjects/quic-go)`,
        server: `${bin} tunnel-server --exit-on-stdin-eof --listen {serverAddr}:{serverPort} --cert {certFile} --key {keyFile} --allow {token}={targetAddr}:{targetPort}`,
        client: `${bin} tunnel-client --exit-on-stdin-eof --listen {clientAddr}:{clientPort} --server {serverAddr}:{serverPort} --fingerprint {fingerprint} --token {token}`,
        readyTimeoutMs: 15_000,
        carries: 'quic',
        stats: 'sigusr1',
      },
      env,
    );
  },
};
