// The transport registry (STYLE rule 1): every transport a scenario can name, with its facts
// (family, what crosses the link, default list, reference) and how it starts in a lab. The
// scenario check, the run engine and, through the facts recorded in each result, the reports
// all ask it; no other file tests a transport's name.
//
// Adding a transport: a protocol stack the agents run is one module in harness/transports/
// and one line in harness/transports/index.ts (it is offered here automatically); a
// transport made of other processes (a tunnel, an interop server) is one module here and
// one line below.
import { agentTransports, type AgentTransportName } from '../transports/index.js';
import { agentServed } from './agent-served.js';
import { benchTunnel } from './bench-tunnel.js';
import { CommandSubject, type CommandTransport } from './command.js';
import { quicGoTunnel } from './quicgo-tunnel.js';
import { quicQuicGo } from './quic-quicgo.js';
import { quicGoNative } from './quicgo-native.js';
import { unavailable, type Subject, type SubjectEnv, type TransportEntry } from './types.js';

const processSubjects = {
  tunnel: benchTunnel,
  'quicgo-tunnel': quicGoTunnel,
  'quic-quicgo': quicQuicGo,
  quicgo: quicGoNative,
};

export type BuiltinTransport = AgentTransportName | keyof typeof processSubjects;

export const transports: Readonly<Record<BuiltinTransport, TransportEntry>> = {
  ...(Object.fromEntries(Object.entries(agentTransports).map(([name, t]) => [name, agentServed(name, t)])) as Record<AgentTransportName, TransportEntry>),
  ...processSubjects,
};

/** A transport as a scenario names it: a registry entry, or external commands. */
export type TransportSpec = { kind: 'builtin'; name: BuiltinTransport } | ({ kind: 'command' } & CommandTransport);

export const BUILTIN_TRANSPORTS = Object.keys(transports) as BuiltinTransport[];

export function isBuiltinTransport(name: string): name is BuiltinTransport {
  return Object.hasOwn(transports, name);
}

/** A scenario's transports when it names none, in their default order. */
export const DEFAULT_TRANSPORTS: BuiltinTransport[] = BUILTIN_TRANSPORTS.filter((n) => transports[n].defaultRank !== null).sort(
  (a, b) => transports[a].defaultRank! - transports[b].defaultRank!,
);

/**
 * Facts of a transport as a scenario names it. A command-defined transport is a relay or
 * tunnel for the app's TCP that carries what it declares across the link (tcp by default);
 * one that carries QUIC is taken to encrypt, as QUIC always does.
 */
export function factsOf(spec: TransportSpec): Omit<TransportEntry, 'start'> {
  if (spec.kind === 'builtin') {
    const { start: _start, ...facts } = transports[spec.name];
    return facts;
  }
  // Files written before `carries` existed hold relays of TCP.
  const carries = spec.carries ?? 'tcp';
  return {
    family: 'tunnel',
    carries,
    encrypted: carries === 'quic',
    defaultRank: null,
    reference: null,
    handshake: null,
    resumption: { unsupported: 'a command-defined transport states no session resumption' },
  };
}

/** Make the transport of `spec` ready in a lab. */
export async function startSubject(spec: TransportSpec, env: SubjectEnv): Promise<Subject> {
  if (spec.kind === 'builtin') return transports[spec.name].start(env);
  // bench switches users only on this machine; on remote hosts the ssh user runs every command.
  if (spec.user && env.places.kind === 'remote') return unavailable(`${spec.name}: \`user: ${spec.user}\` is not supported on remote hosts (commands run as the ssh user); remove it to run there`, factsOf(spec).carries);
  return CommandSubject.start(spec, env);
}
