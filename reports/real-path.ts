// How reports mark a run between two remote hosts: the link was the real path between them,
// not an emulated one, and each host's facts (kernel, CPU, NIC, qdisc, congestion control) are
// shown beside the figures they shaped. Pure functions of the result file.
import type { HostRecord } from '../harness/core/real-path.js';
import type { LabRecord } from '../harness/core/types.js';
import type { ResultFile } from '../harness/results/types.js';

export function isRealPath(result: ResultFile): boolean {
  return result.backend === 'real-path';
}

/** "real path root@a → root@b" for a real path, else "<backend> backend" (one line, plain text). */
export function linkWhere(result: ResultFile): string {
  if (!isRealPath(result)) return `${result.backend} backend`;
  const h = result.hosts;
  return h ? `real path ${h.client.destination} (${h.client.testAddress}) → ${h.server.destination} (${h.server.testAddress})` : 'real path';
}

/** A point measured on a real path that bench did not impair: nothing was configured, the path was as it is. */
export function realPathAsIs(lab: LabRecord | undefined): boolean {
  return lab?.backend === 'real-path' && !(lab.path?.impairments.length);
}

/** Rows of fact / client / server for a real path's two hosts (plain strings; the caller escapes). */
export function hostFactRows(result: ResultFile): string[][] {
  const h = result.hosts;
  if (!h) return [];
  const f = (r: HostRecord, pick: (x: NonNullable<HostRecord['facts']>) => string): string => (r.facts ? pick(r.facts) : '?');
  const nic = (x: NonNullable<HostRecord['facts']>): string =>
    x.nic ? `${x.nic.name}${x.nic.driver ? ` (${x.nic.driver})` : ''}${x.nic.speedMbps ? `, ${x.nic.speedMbps} Mbit/s` : ''}, MTU ${x.nic.mtu ?? '?'}, qdisc ${x.nic.qdisc ?? '?'}` : '?';
  const rows: [string, (r: HostRecord) => string][] = [
    ['SSH destination', (r) => r.destination],
    ['Test address', (r) => r.testAddress ?? '–'],
    ['Hostname', (r) => f(r, (x) => x.hostname)],
    ['Kernel', (r) => f(r, (x) => `${x.kernel} ${x.arch}`)],
    ['CPU', (r) => f(r, (x) => `${x.cpus} × ${x.cpuModel}`)],
    ['Node', (r) => f(r, (x) => x.node)],
    ['NIC of the test address', (r) => f(r, nic)],
    ['Route to the peer', (r) => f(r, (x) => x.routeToPeer?.raw ?? '?')],
    ['TCP congestion control', (r) => f(r, (x) => x.congestionControl ?? '?')],
    ['bench', (r) => (r.bench ? `${r.bench.version} ${r.bench.codeSha256.slice(0, 12)} at ${r.bench.root}${r.bench.pushed ? ' (pushed for this run)' : ''}` : '?')],
  ];
  return rows.map(([name, get]) => [name, get(h.client), get(h.server)]);
}
