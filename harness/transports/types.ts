// The seam every transport plugs into. Workloads only see byte streams (node Duplex), so
// echo, bulk and handshake run unchanged over tcp, tls, quic, the tunnel and external relays.
import type { Duplex } from 'node:stream';

/** Per-run credentials: one self-signed certificate, pinned by its SHA-256 fingerprint. */
export interface Credentials {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER certificate, lowercase hex without colons. */
  fingerprintSha256: string;
}

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
}

export interface ClientTransport {
  /** e.g. "node:net", "node:tls (OpenSSL 3.0.19)", "@matrixai/quic 2.0.9 (quiche)". */
  implementation: string;
  /** true when several streams share one connection (quic): echo concurrency = streams. */
  multiStream: boolean;
  connect(to: Endpoint, creds: Credentials, opts?: { noDelay?: boolean }): Promise<ClientSession>;
  /** Effective settings worth recording in the result (congestion control, windows, ...). */
  settings?(): Record<string, string | number | boolean>;
}

export interface ServerHandle {
  port: number;
  close(): Promise<void>;
  stats?(): Record<string, number>;
}

export interface ServerTransport {
  implementation: string;
  /** Listen on host:port (0 = any free port) and hand every accepted stream to onStream. */
  listen(at: Endpoint, creds: Credentials, onStream: (s: Duplex) => void): Promise<ServerHandle>;
}
