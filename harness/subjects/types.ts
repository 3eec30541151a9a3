// A "subject" is one transport made ready inside one lab: servers listening, tunnel or
// external endpoints started, and a way to run a workload through it. Agent-served stacks,
// bench's own tunnel, the quic-go subjects and command-defined transports all look the same
// to the run engine.
import type { Agent } from '../agent/controller.js';
import type { Credentials } from '../core/certs.js';
import type { UndoStack } from '../core/undo.js';
import type { PacketEndCounters } from '../core/types.js';
import type { SubjectPlaces } from './places.js';
import type { HandshakeFacts, LinkProtocol, TransportFacts } from '../transports/types.js';
import type { CellSamples, Workload } from '../workloads/index.js';
import type { CellOutcome } from '../workloads/types.js';

/** The addresses of a point's two ends: a lab's, or the test addresses of two remote hosts. */
export interface LinkEnds {
  clientAddr: string;
  serverAddr: string;
}

export interface SubjectEnv {
  lab: LinkEnds;
  /** Where the subject's own processes run (lab namespaces or remote hosts). */
  places: SubjectPlaces;
  server: Agent;
  client: Agent;
  creds: Credentials;
  undo: UndoStack;
  /** Idle timeout for bench's servers in this lab, ms (the longest any workload asks for). */
  idleTimeoutMs: number;
  /** The run's private temp directory (mode 0700), removed with the run or by `bench cleanup`. */
  tmpDir: string;
}

export type Outcome = CellOutcome<CellSamples>;

/**
 * Where one end's link counters come from; harness/run/counters.ts reads them before and
 * after every cell, outside its window, and differences them.
 */
export type CounterSource =
  /** Every TCP socket of the end agent's namespace (/proc/net/snmp): bench's agents talk across the link themselves. */
  | { kind: 'namespace-tcp' }
  /** The end agent's namespace's TCP sockets whose peer is `peer`, the far end's lab address: a relay's link legs, not its local ones. */
  | { kind: 'link-sockets'; peer: string }
  /** The client agent's own connections, returned with the cell's outcome (agent-run QUIC). */
  | { kind: 'outcome' }
  /** A cumulative reading the subject takes itself: a tunnel endpoint's stats, the server agent's QUIC server. */
  | { kind: 'reading'; read(): Promise<PacketEndCounters | null> };

export interface Subject {
  implementation: string;
  /** What crosses the link: it decides which counters the ends keep. */
  carries: LinkProtocol;
  /** Where each end's counters come from; null: that end keeps none bench can read. */
  counterSources: { client: CounterSource | null; server: CounterSource | null };
  /** A reason when this subject cannot run the workload, else null. */
  unsupported(w: Workload): string | null;
  clientPids(): number[];
  serverPids(): number[];
  run(w: Workload, o: { seed: number; timeoutMs: number }): Promise<Outcome>;
  /** A process of this subject that is dead or stopped, named; null while all run. */
  health?(): string | null;
  /** After run(), outside the window: a dying process named as the cell's cause, output tails. */
  check?(out: Outcome): Promise<Outcome>;
  stop?(): Promise<void>;
}

/** A TCP connection through a tunnel that keeps its QUIC connection open: accepted locally, no round trip. */
export const TUNNELLED_TCP_HANDSHAKE: HandshakeFacts = {
  promisedRoundTrips: 0,
  expectedRoundTrips: 0,
  note: 'the tunnel\'s local end accepts the TCP connection, and its QUIC connection is already open',
};

export const TUNNEL_NO_RESUMPTION = 'the tunnel carries every TCP connection on its one open QUIC connection: there is no second handshake to resume';

/** One entry of the transport registry (harness/subjects/index.ts). */
export interface TransportEntry extends TransportFacts {
  /** Make the transport ready in a lab; a transport this build lacks yields an `unavailable` subject. */
  start(env: SubjectEnv): Promise<Subject>;
}

/** A subject that cannot run here: every cell is `unsupported` with the reason. */
export function unavailable(reason: string, carries: LinkProtocol): Subject {
  return {
    implementation: 'n/a',
    carries,
    counterSources: { client: null, server: null },
    unsupported: () => reason,
    clientPids: () => [],
    serverPids: () => [],
    run: () => Promise.reject(new Error(reason)),
  };
}

/** Deadline of a setup request to an agent (listen, wait for an endpoint), beyond its own wait, ms. */
export const SERVE_DEADLINE_MS = 10_000;

/** The guard on a workload request: the agent's own timeout plus this much, then the cell is the agent's fault. */
const AGENT_GRACE_MS = 15_000;

/** Run a workload on the client agent, with a deadline in case the agent hangs. */
export function runOnClient(client: Agent, req: { transport: string; workload: Workload; host: string; port: number; creds: Credentials; seed: number; timeoutMs: number }): Promise<Outcome> {
  return client.request({ op: 'run', ...req }, { deadlineMs: req.timeoutMs + AGENT_GRACE_MS });
}
