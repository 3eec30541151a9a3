// The agent protocol: line-delimited JSON, one request per line on the agent's stdin, one
// response line per request on its stdout ({id, ok, result} or {id, ok: false, error}),
// logs on stderr. Requests and their results are typed here, for both ends.
import type { Credentials } from '../core/certs.js';
import type { CpuMark, HostMark } from '../core/cpu-reading.js';
import type { PacketEndCounters, TcpCounters } from '../core/types.js';
import type { CellSamples, Workload } from '../workloads/index.js';
import type { CellOutcome } from '../workloads/types.js';

/** Listen with the named transports of the agent's registry; answers their ports. */
export interface ServeRequest {
  op: 'serve';
  host: string;
  transports: string[];
  creds: Credentials;
  idleTimeoutMs: number;
}

/** Run one workload as the client, against host:port, with one transport. */
export interface RunRequest {
  op: 'run';
  transport: string;
  workload: Workload;
  host: string;
  port: number;
  creds: Credentials;
  seed: number;
  timeoutMs: number;
}

export type AgentRequest =
  | ServeRequest
  | RunRequest
  /** This namespace's TCP counters (/proc/net/snmp is per namespace). */
  | { op: 'tcpstats' }
  /** TCP counters (tcp_info, via ss) of this namespace's sockets whose peer address is `peer`, cumulative over sockets alive and closed. */
  | { op: 'tcpsockets'; peer: string }
  /** Cumulative counters and settings of the agent's server for `transport`, over every connection it served (null: that stack keeps none). */
  | { op: 'serverstats'; transport: string }
  /**
   * CPU readings taken on the agent's own host: the agent process itself and `pids` (other
   * processes of the endpoint there, e.g. a tunnel endpoint), and the host's CPU time. How a
   * controller measures an endpoint it cannot read /proc of (a remote host).
   */
  | { op: 'cpu'; pids: number[] }
  /** Close the last cell's connections (outside its clock and CPU window). */
  | { op: 'close' }
  /** Wait until something accepts TCP connections on host:port (an external endpoint coming up). */
  | { op: 'probe'; host: string; port: number; timeoutMs: number };

export type AgentOp = AgentRequest['op'];

/** What each request answers. */
export interface AgentResults {
  serve: { ports: Record<string, number> };
  run: CellOutcome<CellSamples>;
  tcpstats: TcpCounters;
  tcpsockets: TcpCounters;
  serverstats: PacketEndCounters | null;
  /** procs[0] is the agent, then one per requested pid (null: gone). Clocks are the agent's. */
  cpu: { procs: (CpuMark | null)[]; host: HostMark | null };
  close: void;
  probe: { afterMs: number };
}

export type AgentResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
