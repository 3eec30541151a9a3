// The seam every workload plugs into (STYLE rule 1): one file per workload kind exports a
// WorkloadDef, and harness/workloads/index.ts lists it. The scenario check, the agent, the
// run engine, the metrics and the reports all ask the registry; no other file tests a
// workload's kind.
import type { Credentials } from '../core/certs.js';
import type { FieldPath, ProblemSink } from '../core/problems.js';
import type { CellStatus, DataSender, EndCounters, LinkCounters, ResolvedLink, Warning } from '../core/types.js';
import type { ClientTransport, DatagramTransport, Endpoint, TransportFacts } from '../transports/types.js';
import type { Sessions } from './wire/sessions.js';

/** Every resolved workload has these; `id` matches cells across runs, e.g. "echo-64B-c1-n200". */
export interface WorkloadBase {
  kind: string;
  id: string;
}

export interface MetricDef {
  label: string;
  /** Column title in compact tables (summary.md), e.g. "echo p50"; default: the label. */
  short?: string;
  /** rtt: round trips of the cell's link (its calibrated RTT); bool: 1 yes, 0 no (a median between: yes in that share of repetitions). */
  unit: 'us' | 'bit/s' | 'pct' | 'rtt' | 'bool';
  better: 'lower' | 'higher';
  /**
   * A headline metric some cells cannot carry (metricsOf withholds it): verdicts about a
   * measurement whose ok cells lack it use this metric instead, and say so.
   */
  fallback?: string;
}


/**
 * What one cell produced: the one outcome type from the workload on the agent, through the
 * agent protocol and the subject, to the run engine. Raw numbers only.
 */
export interface CellOutcome<S extends object = object> {
  status: Exclude<CellStatus, 'unsupported'>;
  reason: string | null;
  samples: S;
  /** Counters of the cell's own QUIC connections (agent-run QUIC), summed over sessions. */
  stats?: Record<string, number>;
  /** The client agent's own connections' counters and settings, when its stack keeps them (agent-run QUIC). */
  clientEnd?: EndCounters;
  /** Link counters of both ends (harness/run/counters.ts), read outside the cell's window. */
  counters?: LinkCounters;
  /** Output tail of external processes (command-defined transports). */
  logs?: Record<string, string>;
}

/** A stream workload's run on the client agent. */
export interface RunContext {
  transport: ClientTransport;
  to: Endpoint;
  creds: Credentials;
  seed: number;
  /** Aborted by the agent when the cell's timeout expires. */
  signal: AbortSignal;
  /**
   * Where the cell's connections are kept. The workload never closes them: the agent does,
   * on the controller's `close` after the cell's clock and CPU window (a QUIC close drains
   * for up to 3 PTO, which no TCP cell pays).
   */
  sessions: Sessions;
}

/** A datagram workload's run on the client agent. */
export interface DatagramContext {
  transport: DatagramTransport;
  to: Endpoint;
  seed: number;
  signal: AbortSignal;
}

export type CellNote = Pick<Warning, 'code' | 'message' | 'remedy'>;

/** Connection setups of a handshake-like workload (harness/workloads/wire/setups.ts runs them). */
export interface SetupPlan {
  /** Connections, one after another. */
  connections: number;
  /** Pairs: every second connection offers the session of the one before it. */
  resume: boolean;
}

export interface SetupRecord {
  /** Connect call until the stack reports the connection usable, microseconds. */
  setupUs: number;
  /** Connect call until the first request's echo is back and verified, microseconds. */
  firstByteUs: number;
  /** It offered an earlier connection's session. */
  offered: boolean;
  /** It resumed that session (as its stack reports). */
  resumed: boolean;
  /** Its request went as 0-RTT early data and the server accepted it. */
  earlyData: boolean;
}

/** What a cell's metrics may know of its link besides the samples. */
export interface CellLink {
  /** The link point's calibrated RTT p50, ms; null when it was not calibrated. */
  rttMs: number | null;
  /** The link's configured RTT (both directions' delays), ms, where known: a stand-in when it was not calibrated. */
  configuredRttMs?: number;
}

export interface WorkloadDef<W extends WorkloadBase, S extends object> {
  /** Section title in reports, e.g. "Echo latency". */
  title: string;
  /** Fields of its YAML mapping as JSON Schema properties, checked before `resolve`. */
  schema: Record<string, object>;
  /** The mapping used when a scenario lists no workloads; null: not among the defaults. */
  byDefault: Record<string, unknown> | null;
  /** YAML mapping (shape already checked) -> resolved workload; problems go to `probs`. */
  resolve(o: Record<string, unknown>, path: FieldPath, probs: ProblemSink): W;
  /** One line for reports, e.g. "64 B payload, 200 exchanges, concurrency 1". */
  describe(w: W): string;
  /**
   * Which end sends its data across the link: the end whose loss and retransmission counters
   * describe it (server for a download, client for an upload, both for an exchange).
   */
  sender(w: W): DataSender;
  /** The metrics its cells carry, by name; names are unique across workloads. */
  metrics: Record<string, MetricDef>;
  /** The metrics verdicts, summaries and sweeps speak about, in order. */
  headline: string[];
  /** One cell's metrics from its raw samples (and the link's RTT, for counts in round trips and the bulk steady state). A metric the samples cannot carry (a p99 of 30 exchanges) is left out, and `withheld` says why. */
  metricsOf(s: S, link: CellLink): Record<string, number>;
  /** The metrics metricsOf leaves out for these samples, each with why (shown instead of a number). */
  withheld?(s: S, link: CellLink): Record<string, string>;
  /**
   * The workload as it runs on this link, for parameters sized from the link (a bulk
   * transfer without an amount); absent: it runs as resolved. Cells keep the resolved id.
   */
  sized?(w: W, link: ResolvedLink): W;
  /** Run on the client agent over a stream transport (or a tunnel's TCP). */
  run(ctx: RunContext, w: W): Promise<CellOutcome<S>>;
  /** Whether it runs against a plain echo server (bench's stream preamble is echo-safe), needing no sink or source. */
  echoSafe: boolean;
  /** Over a datagram transport: how it runs, or why it cannot. */
  datagram: { run(ctx: DatagramContext, w: W): Promise<CellOutcome<S>> } | { unsupported: string };
  /**
   * For a throughput workload: its throughput metric and the link rate that bounds it, so
   * the CPU-bound rule can ask whether a core could have carried the link (harness/results/cpu.ts).
   */
  throughput: { metric: string; linkRateBitsPerSec(link: ResolvedLink, w: W): number | null } | null;
  /**
   * Why an outcome reported `ok` did not measure what the workload claims (too few exchanges,
   * no byte moved, no answer at all), or null when it did. A cell is `ok` only when this is null.
   */
  unmeasured(w: W, samples: S): string | null;
  /** Warnings about a finished ok cell's samples. */
  notes(samples: S): CellNote[];
  /** Why a transport with these facts cannot run it (the cell is `unsupported`), or null. */
  requires?(facts: TransportFacts): string | null;
  /**
   * A workload that is a series of connection setups: its plan and how records become its
   * samples, so a subject with a client of its own (the quic-go client) can run it too.
   */
  setups?: { plan(w: W): SetupPlan; samples(records: SetupRecord[]): S };
}
