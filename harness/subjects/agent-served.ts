// The subject of a stack the agents run themselves (transports/index.ts: tcp, tls, quic,
// udp): the server agent listens, the client agent connects. No other process takes part.
import { implementationOf } from '../transports/index.js';
import type { AgentTransport } from '../transports/types.js';
import { defOf } from '../workloads/index.js';
import { runOnClient, SERVE_DEADLINE_MS, type Subject, type TransportEntry } from './types.js';

export function agentServed(name: string, t: AgentTransport): TransportEntry {
  const { family, carries, encrypted, defaultRank, reference, handshake, resumption } = t;
  return {
    family,
    carries,
    encrypted,
    defaultRank,
    reference,
    handshake,
    resumption,
    async start(env) {
      const { ports } = await env.server.request({ op: 'serve', host: env.lab.serverAddr, transports: [name], creds: env.creds, idleTimeoutMs: env.idleTimeoutMs }, { deadlineMs: SERVE_DEADLINE_MS });
      // Each end counts for itself: TCP in its agent's namespace; QUIC in the client agent's
      // sessions (returned with the outcome) and the server agent's QUIC server.
      const counterSources: Subject['counterSources'] =
        carries === 'tcp'
          ? { client: { kind: 'namespace-tcp' }, server: { kind: 'namespace-tcp' } }
          : carries === 'quic'
            ? { client: { kind: 'outcome' }, server: { kind: 'reading', read: () => env.server.request({ op: 'serverstats', transport: name }, { deadlineMs: 5000 }) } }
            : { client: null, server: null };
      return {
        implementation: implementationOf(t),
        carries,
        counterSources,
        unsupported: (w) => {
          const d = defOf(w).datagram;
          return family === 'datagram' && 'unsupported' in d ? `${name}: ${d.unsupported}` : null;
        },
        clientPids: () => [env.client.endPid ?? 0].filter(Boolean),
        serverPids: () => [env.server.endPid ?? 0].filter(Boolean),
        run: (w, o) =>
          runOnClient(env.client, { transport: name, workload: w, host: env.lab.serverAddr, port: ports[name], creds: env.creds, seed: o.seed, timeoutMs: o.timeoutMs }),
      };
    },
  };
}
