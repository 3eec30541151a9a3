// The agent's transport registry (STYLE rule 1): the protocol stacks an agent can serve and
// connect with, by name. Adding one touches this object and one new module; the transport
// registry of the run (harness/subjects/index.ts) offers every entry here as a transport,
// beside the subjects made of other processes (tunnels, interop servers).
import { quic } from './quic.js';
import { tcp } from './tcp.js';
import { tls13 } from './tls.js';
import type { AgentTransport } from './types.js';
import { udp } from './udp.js';

export const agentTransports = { tcp, tls: tls13, quic, udp } satisfies Record<string, AgentTransport>;

export type AgentTransportName = keyof typeof agentTransports;

export function agentTransport(name: string): AgentTransport | undefined {
  return Object.hasOwn(agentTransports, name) ? agentTransports[name as AgentTransportName] : undefined;
}

/** The implementation of a registry entry, as reports name it. */
export function implementationOf(t: AgentTransport): string {
  return t.family === 'datagram' ? t.datagram.implementation : t.client.implementation;
}
