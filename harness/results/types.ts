// The result file: one JSON document per run, rewritten atomically after every cell
// (harness/results/result-file.ts). Complete enough to re-render any report (STYLE: flent).
import type { CellStatus, CpuUsage, HostFacts, LabRecord, LinkBackend, LinkCounters, QuicCounters, TcpCounters, Warning } from '../core/types.js';
import type { HostRecord } from '../core/real-path.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { TransportFacts } from '../transports/types.js';
import type { HostLoad } from './host-load.js';
import type { CellSamples, WorkloadKind } from '../workloads/index.js';
import type { RunVerdicts } from './verdict-types.js';

export type { ResolvedScenario } from '../scenario/types.js';
export type { CellSamples, Workload, WorkloadKind } from '../workloads/index.js';
export type { BulkWorkload } from '../workloads/bulk.js';
export type { EchoWorkload } from '../workloads/echo.js';
export type { StreamsWorkload } from '../workloads/streams.js';

export const FORMAT_VERSION = 1;

/**
 * A transport's facts as the run recorded them, with the implementation it found. Handshake
 * and resumption facts are absent in files written before they were recorded.
 */
export type TransportRecord = Pick<TransportFacts, 'family' | 'carries' | 'encrypted' | 'reference'> &
  Partial<Pick<TransportFacts, 'handshake' | 'resumption'>> & { implementation: string };

export interface CellResult {
  /** `${point}/${transport}/${workload.id}/${repetition}` */
  id: string;
  point: number;
  transport: string;
  /** Implementation under test, e.g. "node:net", "node:tls (OpenSSL 3.0)", "@matrixai/quic 2.0.9 (quiche)". */
  implementation: string;
  workload: string;
  kind: WorkloadKind;
  repetition: number;
  status: CellStatus;
  reason: string | null;
  startedAt: string;
  durationMs: number;
  samples: CellSamples;
  /** Derived by the controller from samples (each workload's metricsOf). */
  metrics: Record<string, number>;
  /**
   * Metrics the samples cannot carry, with why ("n too small: 62 exchanges, p99 needs >= 100"):
   * not in `metrics`, so no statistic uses them. Absent in files written before it existed.
   */
  metricsWithheld?: Record<string, string>;
  cpu: { client: CpuUsage | null; server: CpuUsage | null; cpuBound: boolean } | null;
  /** The whole host over the cell's window (absent in files from before it was measured; null on a real path, see hostLoads). */
  host?: HostLoad | null;
  /** Real path: each endpoint's own host over the cell's window, read there by its agent. */
  hostLoads?: { client: HostLoad | null; server: HostLoad | null };
  /**
   * Link counters per end, each read from the end it describes, with the end that sent the
   * data (harness/results/counters.ts reads them, and the two fields below in older files).
   * Absent in files written before issue 15; null when no end kept counters.
   */
  counters?: LinkCounters | null;
  /** Older files only: TCP counters of both namespaces summed. */
  tcp?: TcpCounters | null;
  /** Older files only: QUIC settings and counters of the client end. */
  quic?: QuicCounters | null;
  /** Output tail of external processes (command-defined transports). */
  logs?: Record<string, string>;
  warnings: Warning[];
}

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

export interface ResultFile {
  formatVersion: typeof FORMAT_VERSION;
  tool: { name: 'bench'; version: string; gitSha: string | null };
  label: string;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  host: HostFacts;
  scenario: ResolvedScenario;
  scenarioSha256: string;
  scenarioSource: string;
  /** The lab backend, or `real-path` for a run between two remote hosts (`hosts` then says which). */
  backend: LinkBackend;
  /** A run between remote hosts (--client/--server/--hosts): each host's facts and bench. Absent for a lab. */
  hosts?: { client: HostRecord; server: HostRecord; router?: HostRecord };
  /**
   * Facts of every transport of the run, by name, from the transport registry (absent in
   * files written before they were recorded: harness/results/transports.ts derives them).
   */
  transports?: Record<string, TransportRecord>;
  labs: LabRecord[];
  cells: CellResult[];
  /**
   * The run's stopping rule and each comparison's decision with why it stopped (issue 13);
   * with `gate` when the run was judged against a baseline file. Absent in files written
   * before verdicts were recorded: results/run-verdicts.ts decides those in one look.
   */
  verdicts?: RunVerdicts;
  warnings: Warning[];
}
