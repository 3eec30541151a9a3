// The types every stage shares: the link, the lab record, warnings, counters. Types that
// belong to one stage live with it (a workload's parameters and samples in its file under
// workloads/, the resolved scenario in scenario/types.ts, the result file in
// results/types.ts). Units live in names: *Ms milliseconds, *Us microseconds, *Pct percent
// (0..100), *BitsPerSec, *Bytes.
import type { RealPathRecord } from './real-path.js';

/** One direction of an emulated link, fully resolved (no units left to parse). */
export interface LinkDirection {
  /** One-way delay added to every packet. */
  delayMs: number;
  /** Jitter (uniform +-jitterMs around delayMs); packets are never reordered unless `reorder`. */
  jitterMs: number;
  /** Allow jitter to reorder packets (netem's default; off by default in bench). */
  reorder: boolean;
  /** Bernoulli loss probability, percent. Ignored when `gilbert` is set. */
  lossPct: number;
  /** Gilbert-Elliott burst loss (netem `loss gemodel p r 1-h 1-k`), or null. */
  gilbert: GilbertElliott | null;
  /** Serialisation rate; null = unlimited. */
  rateBitsPerSec: number | null;
  /** Queue limit; null = sized from the bandwidth-delay product by the lab. */
  limit: QueueLimit | null;
}

export interface GilbertElliott {
  /** Probability of moving good -> bad, percent per packet. */
  pPct: number;
  /** Probability of moving bad -> good, percent per packet. */
  rPct: number;
  /** Loss probability while in the bad state, percent (netem's 1-h). @default 100 */
  badLossPct: number;
  /** Loss probability while in the good state, percent (netem's 1-k). @default 0 */
  goodLossPct: number;
}

export type QueueLimit = { bytes: number; packets?: undefined } | { packets: number; bytes?: undefined };

/** uplink = client -> server (client egress); downlink = server -> client. */
export interface ResolvedLink {
  uplink: LinkDirection;
  downlink: LinkDirection;
}

export type BackendName = 'netem' | 'userspace' | 'loopback';

/**
 * How a point's link was made, as results record it: a lab backend, or `real-path`, the path
 * between two remote hosts (issue 18), impaired or not (LabRecord.path says).
 */
export type LinkBackend = BackendName | 'real-path';
/** One point of a sweep: the cross product of every list-valued link field. */
export interface LinkPoint {
  index: number;
  /** e.g. "loss=1%" or "base" when nothing is swept. */
  label: string;
  /** Swept field path (e.g. "link.loss", "link.uplink.rate") -> the value as written. */
  params: Record<string, string>;
  link: ResolvedLink;
}

export interface SweepAxis {
  field: string;
  values: string[];
}

export type CellStatus = 'ok' | 'failed' | 'timeout' | 'unsupported';

export interface Warning {
  /** Machine-readable kind, e.g. "calibration-rtt", "cpu-bound", "few-samples". */
  code: string;
  message: string;
  /** What the user can do about it. */
  remedy: string;
  /** Lab point and/or cell the warning is about, when it is about one. */
  point?: number;
  cellId?: string;
}

export interface HostFacts {
  hostname: string;
  kernel: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memBytes: number;
  node: string;
  /** Versions of external tools that took part (ip, tc, cc, iperf3, ...). */
  tools: Record<string, string>;
}

export interface PercentileSummary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** UDP echo probe measurement of a lab link before any workload ran. */
export interface Calibration {
  probes: number;
  payloadBytes: number;
  rttMs: PercentileSummary;
  /** Probes that never reached the server (seen by the server's sequence numbers). */
  uplinkLost: number;
  /** Probes the server answered whose answer never came back. */
  downlinkLost: number;
  uplinkLossPct: number;
  downlinkLossPct: number;
  /** Measured bottleneck rate each way, when measured. */
  uplinkRateBitsPerSec: number | null;
  downlinkRateBitsPerSec: number | null;
  durationMs: number;
  /**
   * Seed of the emulator's loss streams while the probe ran, drawn afresh for every
   * calibration (so the probe's loss pattern is neither the workloads' nor the same every
   * run). Absent in files from before issue 15, whose probe met the workloads' seed.
   */
  lossSeed?: number;
  /** What the emulator itself did to the probe's packets (its counters over the probe); absent without emulator counters. */
  emulator?: { uplink: { packets: number; dropped: number }; downlink: { packets: number; dropped: number } };
  /**
   * Relative error of each direction's measured loss at the 95 % level (half-width of the
   * normal interval over the expected loss), from the probe count; null where no loss is
   * configured. The probe count is chosen to make it <= 0.3 within a time budget.
   */
  lossRelativeError?: { uplink: number | null; downlink: number | null };
}

export interface LabRecord {
  point: number;
  backend: LinkBackend;
  namespaces: { client: string; server: string } | null;
  addresses: { client: string; server: string };
  configured: ResolvedLink;
  measured: Calibration | null;
  /** Everything applied to the lab: sysctls per namespace, qdisc/emulator commands, offloads. */
  applied: {
    congestionControl: string;
    sysctls: Record<string, string>;
    commands: string[];
    /** `tc -s qdisc show` output or emulator counters read back after the point. */
    readback: string[];
    /**
     * The netem backend's middle hop (netem/router.ts): its namespace and the devices whose
     * egress carries each direction's netem (towards the server = uplink, towards the client
     * = downlink). `netemOn: 'endpoints'` only in the placement comparison (a warning says so).
     */
    router?: { namespace: string; uplinkDev: string; downlinkDev: string; netemOn: 'router' | 'endpoints' };
  };
  /** Emulator counters at lab teardown (userspace backend). */
  emulatorCounters?: Record<string, number>;
  /** backend `real-path`: the hosts at its ends and any impairment put on a host (absent for a lab). */
  path?: RealPathRecord;
  warnings: Warning[];
}

export interface CpuUsage {
  userUs: number;
  sysUs: number;
  wallMs: number;
  /** (user+sys)/wall, 1.0 = one full core; summed over the endpoint's processes. */
  coreFraction: number;
  /**
   * The busiest of the endpoint's processes alone (absent: one process, = coreFraction).
   * The CPU-bound rule uses it: bench's agent plus a tunnel process can add up to most of a
   * core while neither is anywhere near its limit.
   */
  busiestFraction?: number;
  /**
   * Share of the time the endpoint's threads were ready to run (on a CPU or on a run queue;
   * at least 5 % of the cell) that they spent waiting for a CPU (run-queue delay, from each
   * thread's schedstat), 0..1; for several processes, the most delayed one's.
   * Absent in files from before it was measured.
   */
  runQueueFraction?: number;
  /**
   * Where the endpoint ran when not on this machine ("client host root@10.1.0.1"): its CPU was
   * read there, from /proc, by its own agent (agent op `cpu`). Absent: read by the controller.
   */
  host?: string;
}

/**
 * Files written before per-end counters (issue 15): TCP counters of the client and server
 * namespaces summed over a cell (/proc/net/snmp), differenced. Read only, never written.
 */
export interface TcpCounters {
  retransSegs: number;
  outSegs: number;
}

/**
 * Files written before per-end counters (issue 15): QUIC settings and counters over a cell,
 * always from the client end (the agent's sessions, or a tunnel's client endpoint). Read only.
 */
export interface QuicCounters {
  settings: Record<string, string | number | boolean>;
  stats: Record<string, number>;
}

/** Which end sends a cell's data, so its loss and retransmission figures are read there (each workload says). */
export type DataSender = 'client' | 'server' | 'both';

/** The two ends of a cell: the client (bench's client agent and the client endpoint of a tunnel or relay), the server likewise. */
export type End = 'client' | 'server';

/** TCP counters of one end over a cell, differenced: segments it sent across the link and how many were retransmissions. */
export interface TcpEndCounters {
  protocol: 'tcp';
  /**
   * What was counted: every TCP socket of the end's namespace (/proc/net/snmp: bench's own
   * agents talk across the link directly), or only the end's sockets whose peer is the far
   * end of the link (tcp_info per socket: a relay's local legs left out; sockets opened and
   * closed within the cell are missed), or `host`: /proc/net/snmp of a real host (a run between
   * two hosts), which counts every TCP socket of the host (its SSH sessions and anything else
   * running there), not only the cell's.
   */
  scope: 'namespace' | 'link-sockets' | 'host';
  retransSegs: number;
  outSegs: number;
}

/**
 * Packet counters of one end over a cell (QUIC from quiche or quic-go's tracer, or what a
 * command transport hands over), with the settings in effect there. `stats` holds counters
 * differenced over the cell (packetsSent, packetsLost, ...) and gauges at its end (rttMs, ...).
 */
export interface PacketEndCounters {
  protocol: 'quic' | 'udp';
  /** The stack that kept them, e.g. "@matrixai/quic 2.0.9 (quiche)", "quic-go 0.29.0". */
  implementation: string;
  settings: Record<string, string | number | boolean>;
  stats: Record<string, number>;
}

export type EndCounters = TcpEndCounters | PacketEndCounters;

/**
 * A cell's link counters, each read from the end it describes. Loss and retransmission of
 * a direction of data are the sending end's: the server's for a download, the client's for
 * an upload, each end for its own direction of an echo.
 */
export interface LinkCounters {
  sender: DataSender;
  client: EndCounters | null;
  server: EndCounters | null;
}
