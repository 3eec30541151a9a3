// What a run between two remote hosts records about them, and what it must say up front: a
// real path is measured as it is, so a scenario's emulated link and congestion control are
// not what the cells ran on unless bench was asked to change them.
import { isImpaired } from '../core/link.js';
import type { HostRecord } from '../core/real-path.js';
import type { Warning } from '../core/types.js';
import type { RemoteHost, RemoteHosts } from '../remote/hosts.js';
import { destination } from '../remote/inventory.js';
import type { ResolvedScenario } from '../scenario/types.js';

function hostRecord(h: RemoteHost): HostRecord {
  const { root, pushed, identity } = h.bench;
  return {
    role: h.role,
    destination: destination(h.placement),
    testAddress: h.placement.testAddress,
    bench: { root, pushed, version: identity.version, codeSha256: identity.codeSha256, gitSha: identity.gitSha },
    facts: h.facts,
  };
}

export function hostRecords(hosts: RemoteHosts): { client: HostRecord; server: HostRecord } {
  return { client: hostRecord(hosts.client), server: hostRecord(hosts.server) };
}

/** Warnings of the whole run: the scenario's link not emulated, congestion control not the scenario's. */
export function realPathWarnings(s: ResolvedScenario, hosts: RemoteHosts, impaired = false): Warning[] {
  const out: Warning[] = [];
  if (!impaired && s.points.some((p) => isImpaired(p.link))) {
    out.push({
      code: 'real-path-not-emulated',
      message: `the scenario's link (delay, loss, rate) is not emulated on a real path: every point measured the path between ${destination(hosts.client.placement)} and ${destination(hosts.server.placement)} as it is`,
      remedy: 'read the calibrated RTT and loss of each point; to impair the path, use --impair <host:dev> (client, server or router, and an interface of it) on a host that may be changed',
    });
  }
  for (const h of [hosts.client, hosts.server]) {
    const cc = h.facts.congestionControl;
    if (cc && cc !== s.congestionControl) {
      out.push({
        code: 'congestion-control',
        message: `${h.ssh.label} uses TCP congestion control ${cc}, the scenario asks for ${s.congestionControl}; bench changes no sysctl on a remote host, so TCP ran with ${cc} there`,
        remedy: `set net.ipv4.tcp_congestion_control=${s.congestionControl} on the host yourself, or set congestionControl: ${cc} in the scenario`,
      });
    }
  }
  return out;
}
