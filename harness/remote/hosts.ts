// Everything that must hold before a remote run measures anything, in one call: both hosts
// reachable and logged into, Node.js there, the same bench code at both ends (found or
// pushed), the hosts' facts for the result file, each test address on its own host, and the
// server's test address reachable from the client over TCP and UDP along a path that leaves
// the host. Each failure is a typed error naming the host and the remedy; nothing on the hosts
// is changed before the checks that need no change have passed, and whatever was changed
// (bundles) is undone by `undo`.
import type { UndoStack } from '../core/undo.js';
import { buildBundle, type Bundle } from './bundle.js';
import { addressNotOnHost, noPrivilege, pathIsLocal, peerUnreachable } from './errors.js';
import type { ProbedFacts } from './host-probe.js';
import { ensureBench, localIdentity, probeArgv, runProbe, type RemoteBench } from './install.js';
import type { Role, SshInventory, SshPlacement } from './inventory.js';
import { openSsh, type SshHost, type SshOptions } from './ssh.js';

export interface RemoteHost {
  role: Role;
  placement: SshPlacement;
  ssh: SshHost;
  bench: RemoteBench;
  facts: ProbedFacts;
}

export interface RemoteHosts {
  client: RemoteHost;
  server: RemoteHost;
  /** First-packet times of the reachability check (one TCP connect + answer, one UDP echo): a sign of life, not a calibration. */
  reach: { tcpMs: number; udpMs: number };
}

export interface PrepareOptions {
  ssh?: SshOptions;
  /** A bundle built already (tests share one); built on first need otherwise. */
  bundle?: Bundle;
  /** A host that will be asked to change its qdiscs (impairment): it must be root or have passwordless sudo. */
  privileged?: { role: Role; why: string }[];
  /** @default 10000 */
  reachTimeoutMs?: number;
}

/** Root, or passwordless sudo when the entry allows it; otherwise the host-named error. */
export async function requirePrivilege(ssh: SshHost, uid: number | null, why: string): Promise<'root' | 'sudo'> {
  if (uid === 0) return 'root';
  const p = ssh.placement;
  if (!p.sudo) throw noPrivilege(p, why, '');
  const r = await ssh.exec(['sudo', '-n', 'true'], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw noPrivilege(p, why, r.stderr.trim().split('\n').pop() || `sudo exit ${r.exitCode}`);
  return 'sudo';
}

/** The server's test address answers the client over TCP and UDP, and the path leaves the client host. */
export async function checkReach(client: RemoteHost, server: RemoteHost, timeoutMs: number): Promise<{ tcpMs: number; udpMs: number }> {
  const route = client.facts.routeToPeer;
  if (route?.dev === 'lo') throw pathIsLocal(client.placement, server.placement, 'lo');
  const listener = server.ssh.spawn(probeArgv(server.ssh, 'listen', [server.placement.testAddress, String(timeoutMs + 15_000)]));
  try {
    const first = await firstLine(listener, timeoutMs + 15_000);
    const ports = JSON.parse(first) as { tcpPort: number; udpPort: number } | { error: string; code: string | null };
    if ('error' in ports) {
      if (ports.code === 'EADDRNOTAVAIL') throw addressNotOnHost(server.placement, server.facts.ipv4);
      throw new Error(`${server.ssh.label}: cannot listen on ${server.placement.testAddress}: ${ports.error}`);
    }
    const r = await runProbe<{ tcp: Check; udp: Check }>(client.ssh, 'connect', [server.placement.testAddress, String(ports.tcpPort), String(ports.udpPort), String(timeoutMs)], timeoutMs + 30_000);
    if (!r.tcp.ok) throw peerUnreachable(client.placement, server.placement, 'TCP', r.tcp.error);
    if (!r.udp.ok) throw peerUnreachable(client.placement, server.placement, 'UDP', r.udp.error);
    return { tcpMs: r.tcp.ms, udpMs: r.udp.ms };
  } finally {
    listener.stdin?.end();
    const t = setTimeout(() => listener.kill('SIGKILL'), 3000);
    await listener.catch(() => undefined);
    clearTimeout(t);
  }
}

type Check = { ok: true; ms: number } | { ok: false; error: string };

function firstLine(child: ReturnType<SshHost['spawn']>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no answer from the listener within ${timeoutMs} ms`)), timeoutMs);
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const i = out.indexOf('\n');
      if (i >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, i));
      }
    });
    void child.then((r) => {
      clearTimeout(timer);
      reject(new Error(`the listener exited (${r.exitCode ?? r.signal}) before answering: ${err.trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}

async function prepareOne(p: SshPlacement, peer: SshPlacement, undo: UndoStack, bundle: () => Promise<Bundle>, o: PrepareOptions): Promise<RemoteHost> {
  const ssh = await openSsh(p, undo, o.ssh);
  const bench = await ensureBench(ssh, undo, bundle, localIdentity());
  for (const q of o.privileged ?? []) if (q.role === p.role) await requirePrivilege(ssh, bench.node.uid, q.why);
  const facts = await runProbe<ProbedFacts>(ssh, 'facts', [p.testAddress, peer.testAddress]);
  if (!facts.nic) throw addressNotOnHost(p, facts.ipv4);
  // Only endpoints are prepared here (a router needs no bench: harness/remote/impair.ts).
  return { role: p.role as Role, placement: p, ssh, bench, facts };
}

/**
 * Connect to both hosts and check everything a remote run needs. The caller starts agents
 * with startRemoteAgent(role, hosts[role], undo) afterwards.
 */
export async function prepareRemoteHosts(inv: SshInventory, undo: UndoStack, o: PrepareOptions = {}): Promise<RemoteHosts> {
  let building: Promise<Bundle> | null = o.bundle ? Promise.resolve(o.bundle) : null;
  const bundle = (): Promise<Bundle> => (building ??= buildBundle(undo));
  // Both hosts at once; the first failure wins, the other's acquisitions are still undone.
  const [c, s] = await Promise.allSettled([prepareOne(inv.client, inv.server, undo, bundle, o), prepareOne(inv.server, inv.client, undo, bundle, o)]);
  if (c.status === 'rejected') throw c.reason;
  if (s.status === 'rejected') throw s.reason;
  const reach = await checkReach(c.value, s.value, o.reachTimeoutMs ?? 10_000);
  return { client: c.value, server: s.value, reach };
}
