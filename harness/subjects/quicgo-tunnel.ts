// The quic-go TCP-over-QUIC tunnel (harness/subjects/quic-go), a native QUIC reference: a
// command subject carrying QUIC, built into bench.
import { relative } from 'node:path';
import { QUICGO_BIN } from '../core/native.js';
import { PROJECT_ROOT } from '../core/version.js';
import { CommandSubject } from './command.js';
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
    // Both ends run the binary: each must have it (on remote hosts, the pushed bundle carries it).
    const [srv, cli] = await Promise.all([env.places.quicGo('server'), env.places.quicGo('client')]);
    if ('missing' in srv) return unavailable(srv.missing, 'quic');
    if ('missing' in cli) return unavailable(cli.missing, 'quic');
    // Each end's own copy: {benchDir} is that end's bench (a remote bundle has the binary at the same place).
    const bin = `{benchDir}/${relative(PROJECT_ROOT, QUICGO_BIN)}`;
    const { version } = srv;
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
