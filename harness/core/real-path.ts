// What a result file records about a real path between two hosts (issue 18): each host's
// facts as probed over SSH, the bench each ran, and any impairment put on a host's interface
// for a point. Types only: harness/remote/ fills them, results and reports read them.

/** A host's facts, probed on the host itself (harness/remote/host-probe.ts). */
export interface RemoteHostFacts {
  hostname: string;
  kernel: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memBytes: number;
  node: string;
  testAddress: string;
  /** The interface holding the test address, null when the address is not on this host. */
  nic: { name: string; driver: string | null; speedMbps: number | null; mtu: number | null; qdisc: string | null; offloads: Record<string, string> } | null;
  /** Every IPv4 address of the host, for an error message when the test address is not among them. */
  ipv4: string[];
  congestionControl: string | null;
  availableCongestionControl: string | null;
  tcpRmem: string | null;
  tcpWmem: string | null;
  /** `ip route get <peer>`: the interface and source address the test traffic leaves by. */
  routeToPeer: { dev: string | null; src: string | null; via: string | null; raw: string } | null;
}

/** One host of a remote run, as the result file records it. */
export interface HostRecord {
  role: 'client' | 'server' | 'router';
  /** `user@host[:port]` as ssh was given it. */
  destination: string;
  /** The address the test traffic used on this host (a router has none). */
  testAddress: string | null;
  /** The bench the host ran: its own install (pushed false) or the controller's bundle. */
  bench: { root: string; pushed: boolean; version: string; codeSha256: string; gitSha: string | null } | null;
  facts: RemoteHostFacts | null;
}

/** netem put on one interface of a host for a point (`bench run --impair-interface`). */
export interface ImpairmentRecord {
  /** "router host root@10.0.0.1" */
  host: string;
  dev: string;
  /** The direction of the test traffic that leaves by `dev` (found from the host's routes). */
  direction: 'uplink' | 'downlink';
  /** The tc command run on the host. */
  command: string;
  /** `tc qdisc show dev <dev>` before it was changed (restored by deleting bench's root qdisc). */
  qdiscBefore: string;
}

/** A link point measured on a real path rather than an emulated link. */
export interface RealPathRecord {
  client: string;
  server: string;
  /** Empty: the path as it is, nothing changed on any host. */
  impairments: ImpairmentRecord[];
}
