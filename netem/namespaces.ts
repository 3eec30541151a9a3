// Lab namespaces: creation, the per-namespace sysctls that make results comparable, lab
// link addressing, and removal. Only per-namespace state is ever written: net.ipv4.tcp_*
// and net.ipv6.conf.* are per network namespace; net.core.* is not, so it is never touched.
import { run } from '../harness/core/exec.js';
import { EnvironmentError } from '../harness/core/errors.js';
import type { LabSetup } from './setup.js';

export const CLIENT_ADDR = '198.18.0.1';
export const SERVER_ADDR = '198.18.0.2';

export function namespaceNames(runId: string): { client: string; server: string } {
  return { client: `bench-${runId}-c`, server: `bench-${runId}-s` };
}

export async function listNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { reject: false });
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

/** Stop every process inside `ns` (agents, a user's iperf3 -s), then delete it. */
export async function deleteNamespace(ns: string): Promise<void> {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    const r = await run('ip', ['netns', 'pids', ns], { reject: false });
    const pids = r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((p) => p !== process.pid);
    if (pids.length === 0) break;
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        /* already gone */
      }
    }
    await new Promise((res) => setTimeout(res, sig === 'SIGTERM' ? 300 : 100));
  }
  const del = await run('ip', ['netns', 'del', ns], { reject: false });
  if (del.exitCode !== 0 && !/No such file|not found|does not exist/i.test(del.stderr)) {
    throw new Error(`ip netns del ${ns}: ${del.stderr.trim()}`);
  }
}

export async function createNamespace(setup: LabSetup, ns: string): Promise<void> {
  // A failed add may still have created it (killed by its timeout); one that existed already is not ours.
  const madeAnyway = async (err: unknown): Promise<void> => {
    if (!/exists/i.test(String((err as Error).message))) await deleteNamespace(ns);
  };
  await setup.acquire(`namespace ${ns}`, () => setup.exec('ip', ['netns', 'add', ns]), () => deleteNamespace(ns), madeAnyway);
  await setup.cmd('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export interface NamespaceTuning {
  congestionControl: string;
  tcpBufferMaxBytes: number;
}

/** The sysctls a lab namespace gets, in order (IPv6 off first, before any link exists). */
function labSysctls(t: NamespaceTuning): [string, string][] {
  return [
    ['net.ipv6.conf.all.disable_ipv6', '1'],
    ['net.ipv6.conf.default.disable_ipv6', '1'],
    ['net.ipv6.conf.lo.disable_ipv6', '1'],
    ['net.ipv4.tcp_rmem', `4096 131072 ${t.tcpBufferMaxBytes}`],
    ['net.ipv4.tcp_wmem', `4096 16384 ${t.tcpBufferMaxBytes}`],
    // A connection must not start from the ssthresh/RTT cached by the previous repetition.
    ['net.ipv4.tcp_no_metrics_save', '1'],
  ];
}

export async function tuneNamespace(setup: LabSetup, ns: string, role: 'client' | 'server', t: NamespaceTuning): Promise<void> {
  const kv = labSysctls(t);
  await setup.cmd('sysctl', ['-q', '-w', ...kv.map(([k, v]) => `${k}=${v}`)], { netns: ns });
  // The namespace default is only settable to algorithms the host lists in
  // tcp_allowed_congestion_control (EPERM otherwise, e.g. cubic on a bbr host). The lab
  // route carries `congctl` as well, which every connection over the lab link uses and
  // which has no such restriction, so a refusal here is recorded, not fatal.
  const cc = await setup.cmd('sysctl', ['-q', '-w', `net.ipv4.tcp_congestion_control=${t.congestionControl}`], { netns: ns, reject: false });
  if (cc.exitCode !== 0) {
    setup.record.applied.readback.push(
      `${role}: namespace default tcp_congestion_control=${t.congestionControl} refused (${cc.stderr.trim().replace(/^sysctl: /, '')}); ` +
        `the lab route carries congctl ${t.congestionControl} instead (see the route readback)`,
    );
  }
  const keys = [...kv.map(([k]) => k), 'net.ipv4.tcp_congestion_control'];
  const back = await run('sysctl', keys, { netns: ns, reject: false });
  for (const line of back.stdout.split('\n')) {
    const m = /^(\S+) = (.*)$/.exec(line.trim());
    if (m) setup.record.applied.sysctls[`${role}:${m[1]}`] = m[2].replace(/\s+/g, ' ');
  }
}

/** One lost "packet" must be one MTU-sized packet, not a 64 KB super-packet. */
export async function offloadsOff(setup: LabSetup, ns: string, dev: string): Promise<void> {
  const off = await setup.cmd('ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { netns: ns, reject: false });
  if (off.exitCode !== 0 && !/Could not change any device features/.test(off.stderr)) {
    throw new EnvironmentError(`cannot turn offloads off on ${dev} in ${ns}: ${off.stderr.trim()}`, 'install ethtool (apt-get install ethtool)');
  }
}

/**
 * Address the lab link and pin congestion control on its route. `peer` addressing for
 * point-to-point TUN devices; a /30 for veth.
 */
export async function addressLink(
  setup: LabSetup,
  ns: string,
  dev: string,
  local: string,
  remote: string,
  kind: 'p2p' | 'veth',
  congestionControl: string,
): Promise<void> {
  if (kind === 'p2p') await setup.cmd('ip', ['-n', ns, 'addr', 'add', local, 'peer', `${remote}/32`, 'dev', dev]);
  else await setup.cmd('ip', ['-n', ns, 'addr', 'add', `${local}/30`, 'dev', dev]);
  await setup.cmd('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  await offloadsOff(setup, ns, dev);
  const dst = kind === 'p2p' ? `${remote}/32` : `${local.replace(/\.\d+$/, '.0')}/30`;
  const route = await setup.cmd(
    'ip',
    ['-n', ns, 'route', 'replace', dst, 'dev', dev, 'proto', 'kernel', 'scope', 'link', 'src', local, 'congctl', congestionControl],
    { reject: false },
  );
  if (route.exitCode !== 0) {
    const avail = await run('sysctl', ['-n', 'net.ipv4.tcp_available_congestion_control'], { reject: false });
    throw new EnvironmentError(
      `cannot use TCP congestion control "${congestionControl}" in the lab: ${route.stderr.trim()}`,
      `available on this kernel: ${avail.stdout.trim() || 'unknown'}; set congestionControl in the scenario to one of them`,
    );
  }
}
