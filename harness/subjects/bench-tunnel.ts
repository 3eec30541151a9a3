// bench's own TCP-over-QUIC tunnel (harness/tunnel), run exactly as a user would run it:
// `bench tunnel server` and `bench tunnel client` as a command subject carrying QUIC. Both
// leave when their stdin closes, so a killed bench leaves no endpoint behind.
import { agentTransports, implementationOf } from '../transports/index.js';
import { CommandSubject } from './command.js';
import { TUNNEL_NO_RESUMPTION, TUNNELLED_TCP_HANDSHAKE, type TransportEntry } from './types.js';

export const benchTunnel: TransportEntry = {
  family: 'tunnel',
  carries: 'quic',
  encrypted: true,
  defaultRank: 4,
  reference: null,
  // The agent's TCP connect is answered by the tunnel's local end, and the tunnel's QUIC
  // connection is already open (one per link point): no round trip before the first request.
  handshake: TUNNELLED_TCP_HANDSHAKE,
  resumption: { unsupported: TUNNEL_NO_RESUMPTION },
  start: (env) =>
    CommandSubject.start(
      {
        name: 'tunnel',
        implementation: `bench tunnel over ${implementationOf(agentTransports.quic)}`,
        server: '{bench} tunnel server --exit-on-stdin-eof --listen {serverAddr}:{serverPort} --cert {certFile} --key {keyFile} --allow {token}={targetAddr}:{targetPort}',
        client: '{bench} tunnel client --exit-on-stdin-eof --listen {clientAddr}:{clientPort} --server {serverAddr}:{serverPort} --fingerprint {fingerprint} --token {token}',
        readyTimeoutMs: 15_000,
        carries: 'quic',
        stats: 'sigusr1',
      },
      env,
    ),
};
