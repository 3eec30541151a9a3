// The seam every transport plugs into. Workloads only see byte streams (node Duplex), so
// echo, bulk and handshake run unchanged over tcp, tls, quic, the tunnel and external relays.
import type { Duplex } from 'node:stream';
import type { Credentials } from '../core/certs.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface ClientSession {
  /**
   * Open one bidirectional byte stream. For tcp/tls a session carries exactly one stream
   * (calling twice throws); for quic a session is one connection with many streams.
   */
  openStream(): Promise<Duplex>;
  close(): Promise<void>;
  /** Implementation counters (e.g. quiche's sent/lost/retransmitted packets). */
  stats?(): Record<string, number>;
  /**
   * A stack that resumes sessions (its facts say so): the state a later connect may offer as
   * `resume` (a TLS session ticket), once the peer sent one; null when none came in time.
   */
  resumeState?(): Promise<unknown>;
  /** Whether this connection resumed the session it offered. */
  resumed?(): boolean;
}

export interface ClientTransport {
  /** e.g. "node:net", "node:tls (OpenSSL 3.0.19)", "@matrixai/quic 2.0.9 (quiche)". */
  implementation: string;
  /** true when several streams share one connection (quic): echo concurrency = streams. */
  multiStream: boolean;
  connect(to: Endpoint, creds: Credentials, opts?: { noDelay?: boolean; resume?: unknown }): Promise<ClientSession>;
  /** Effective settings worth recording in the result (congestion control, windows, ...). */
  settings?(): Record<string, string | number | boolean>;
}

export interface ServerHandle {
  port: number;
  close(): Promise<void>;
  /** Counters summed over every connection served so far (a stack that keeps them: QUIC). */
  stats?(): Record<string, number>;
  /** Settings in effect for its connections, flat. */
  settings?(): Record<string, string | number | boolean>;
}

export interface ServerTransport {
  implementation: string;
  /** Listen on host:port (0 = any free port) and hand every accepted stream to onStream. */
  listen(at: Endpoint, creds: Credentials, onStream: (s: Duplex) => void): Promise<ServerHandle>;
}

/** A datagram socket connected to one peer (the udp transport): no connection, no stream. */
export interface DatagramSocket {
  send(b: Buffer): void;
  onMessage(fn: (b: Buffer) => void): void;
  close(): void;
}

export interface DatagramTransport {
  implementation: string;
  connect(to: Endpoint): Promise<DatagramSocket>;
  /** An echo server: every datagram goes back to its sender. */
  listenEcho(at: Endpoint): Promise<ServerHandle>;
}

/**
 * What crosses the link when a transport runs, which decides the counters a cell records
 * (TCP retransmits from /proc/net/snmp, QUIC packets from the stack) and how reports read it.
 */
export type LinkProtocol = 'tcp' | 'quic' | 'udp';

/** The facts every transport states about itself, whoever runs it (agent or subject). */
export interface TransportFacts {
  /** stream: a reliable byte stream per connection or QUIC stream; datagram: messages only; tunnel: TCP carried through another protocol. */
  family: 'stream' | 'datagram' | 'tunnel';
  carries: LinkProtocol;
  /** Whether its traffic is encrypted (TLS or QUIC): TCP is the baseline verdicts read against, TLS when plain TCP is absent. */
  encrypted: boolean;
  /** Position in the transport list of a scenario that names none; null: only when named. */
  defaultRank: number | null;
  /** Set when the transport's rows are a reference beside the competitors, never one of them (with why). */
  reference: string | null;
  /** Connection setup in round trips of the link; null: not stated (no connection, an external command). */
  handshake: HandshakeFacts | null;
  /** A second connection resuming the first one's session: its round trips, or why it cannot. */
  resumption: ResumptionFacts;
}

/**
 * Round trips across the link from a connect call until the new connection may carry its
 * first request: what the protocol promises (TCP 1, TLS 1.3 over TCP 2, QUIC 1) and what
 * this implementation takes, so a report can tell a measured count from both.
 */
export interface HandshakeFacts {
  promisedRoundTrips: number;
  expectedRoundTrips: number;
  /** Why the expected count differs from the promise, or what the count covers; null when nothing needs saying. */
  note: string | null;
}

export type ResumptionFacts =
  /** Round trips before a resumed connection may carry its first request (0 with 0-RTT early data). */
  | { roundTrips: number; earlyData: boolean; note: string }
  | { unsupported: string };

/** One entry of the agent's transport registry (transports/index.ts). */
export type AgentTransport = TransportFacts &
  ({ family: 'stream' | 'tunnel'; client: ClientTransport; server: ServerTransport } | { family: 'datagram'; datagram: DatagramTransport });
