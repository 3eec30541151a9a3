// All public types of bench in one place (as tinybench does). Units live in names:
// *Ms milliseconds, *Us microseconds, *Pct percent (0..100), *BitsPerSec, *Bytes.

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
export const BUILTIN_TRANSPORTS = ['tcp', 'tls', 'quic', 'tunnel', 'udp', 'quicgo-tunnel', 'quic-quicgo'] as const;
export type BuiltinTransport = (typeof BUILTIN_TRANSPORTS)[number];
export const WORKLOAD_KINDS = ['echo', 'bulk', 'handshake'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/**
 * A transport defined by external commands (a tunnel or relay under test). Placeholders
 * such as {serverAddr} {serverPort} {clientPort} {targetPort} are filled in by the run.
 */
export interface CommandTransport {
  name: string;
  /** Command started in the server namespace. */
  server: string;
  /** Command started in the client namespace; bench's TCP workloads connect to its {clientPort}. */
  client: string;
  /** Implementation name shown in reports, e.g. "quic-go 0.29". */
  implementation: string;
  /** How long to wait for the client endpoint to accept, ms. @default 10000 */
  readyTimeoutMs: number;
}

export type TransportSpec =
  | { kind: 'builtin'; name: BuiltinTransport }
  | ({ kind: 'command' } & CommandTransport);

export interface EchoWorkload {
  kind: 'echo';
  /** Stable id used to match cells across runs, e.g. "echo-64B-c1-n200". */
  id: string;
  payloadBytes: number;
  /** Exchanges per connection; exactly one of count / durationMs is set. */
  count: number | null;
  durationMs: number | null;
  /** Connections (tcp/tls) or streams on one connection (quic). @default 1 */
  concurrency: number;
  /** The echo server closes a connection idle this long. @default 30000 */
  idleTimeoutMs: number;
}

export interface BulkWorkload {
  kind: 'bulk';
  id: string;
  direction: 'upload' | 'download';
  /** Exactly one of bytes / durationMs is set. */
  bytes: number | null;
  durationMs: number | null;
  /** Parallel streams (connections for tcp/tls). @default 1 */
  streams: number;
}

export interface HandshakeWorkload {
  kind: 'handshake';
  id: string;
  /** Sequential connection setups. */
  count: number;
}

export type Workload = EchoWorkload | BulkWorkload | HandshakeWorkload;

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

/** A scenario after parsing: immutable, units resolved, sweep expanded. */
export interface ResolvedScenario {
  name: string;
  description: string;
  sourceFile: string;
  profile: string | null;
  sweep: SweepAxis[];
  points: LinkPoint[];
  transports: TransportSpec[];
  workloads: Workload[];
  repetitions: number;
  /** Unrecorded warm-up repetitions of each transport x workload at every point. @default 0 */
  warmup: number;
  /** Per-cell timeout, ms. @default 60000 */
  timeoutMs: number;
  /** TCP congestion control set in the lab namespaces. @default "cubic" */
  congestionControl: string;
  /** Seed for loss patterns and payloads. @default 1 */
  seed: number;
}

// ---------------------------------------------------------------- results

export const FORMAT_VERSION = 1;

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
}

export interface LabRecord {
  point: number;
  backend: BackendName;
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
  };
  /** Emulator counters at lab teardown (userspace backend). */
  emulatorCounters?: Record<string, number>;
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
}

/** Raw numbers only: statistics are computed by the controller and reporters. */
export interface CellSamples {
  /** Per-exchange round-trip times (echo), microseconds. */
  rttUs?: number[];
  /** First exchange including connection setup (echo), microseconds. */
  firstExchangeUs?: number;
  /** Connection setup until first echoed byte (handshake), microseconds. */
  handshakeUs?: number[];
  /** Bytes delivered and verified (bulk). */
  bytes?: number;
  /**
   * Bulk transfer time, ms, ending at the last byte verified. Download: from the client's
   * request (so it includes one RTT); upload: from the request's arrival at the receiving
   * sink (one-way delay earlier, so it excludes it). Both after connection setup.
   */
  elapsedMs?: number;
  /** Goodput time series: verified bytes per interval (bulk). */
  series?: { intervalMs: number; bytes: number[] };
  /** UDP echo: requests that got no answer in time. */
  lost?: number;
  sent?: number;
}

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
  /** Derived by the controller from samples (harness/metrics.ts). */
  metrics: Record<string, number>;
  cpu: { client: CpuUsage | null; server: CpuUsage | null; cpuBound: boolean } | null;
  tcp: { retransSegs: number; outSegs: number } | null;
  quic: { settings: Record<string, string | number | boolean>; stats: Record<string, number> } | null;
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
  backend: BackendName;
  labs: LabRecord[];
  cells: CellResult[];
  warnings: Warning[];
}
