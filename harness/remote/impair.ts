// Optional impairment of a real path (`bench run --impair <host>:<dev>`): netem on one named
// interface of one host, preferably a middle hop (--router, which needs only sh, ip and tc,
// no bench or Node.js). Checked before anything changes: root or passwordless sudo there, the
// interface exists, it is not the one carrying bench's own SSH session (unless told), netem
// exists in that kernel, and the interface carries test traffic (which direction it shapes
// comes from the host's routes). Applied per link point by a session that holds it: a shell
// that removes the qdisc when its stdin closes or it is signalled, so the impairment goes with
// the point's undo, SIGINT, a killed bench or a dropped connection; `bench cleanup --hosts`
// removes what a silently dead path may have left.
import { EnvironmentError, InputError } from '../core/errors.js';
import type { Child } from '../core/exec.js';
import type { ImpairmentRecord } from '../core/real-path.js';
import type { ResolvedLink } from '../core/types.js';
import type { UndoStack } from '../core/undo.js';
import { netemArgs } from '../../netem/backend-netem.js';
import { netemLimitPackets } from '../../netem/sizing.js';
import { requirePrivilege, type RemoteHosts } from './hosts.js';
import { type HostRole, type SshPlacement } from './inventory.js';
import { openSsh, remoteCommand, type SshHost, type SshOptions } from './ssh.js';

export interface ImpairRequest {
  /** Which host: an endpoint, or the router of the inventory. */
  where: HostRole;
  dev: string;
  /** Allow the interface that carries bench's own SSH session (--impair-ssh-interface). */
  allowSshInterface: boolean;
}

/** `client:eth1`, `server:eth1` or `router:eth1` (--impair). */
export function parseImpairFlag(spec: string, allowSshInterface: boolean): ImpairRequest {
  const m = /^(client|server|router):([A-Za-z0-9_.@-]{1,15})$/.exec(spec.trim());
  if (!m) throw new InputError(`--impair ${JSON.stringify(spec)}: not <host>:<interface> (allowed hosts: client, server, router; an interface name of 1-15 characters)`, 'e.g. --impair router:eth1 (the router given with --router or in the hosts file)');
  return { where: m[1] as HostRole, dev: m[2], allowSshInterface };
}

export interface ImpairTarget {
  ssh: SshHost;
  dev: string;
  direction: 'uplink' | 'downlink';
  /** Commands run through `sudo -n` (the user is not root). */
  sudo: boolean;
  qdiscBefore: string;
}

const q = (s: string): string => remoteCommand([s]);

/** The root qdisc handle bench's impairment uses: how cleanup tells it from anyone else's netem. */
export const BENCH_HANDLE = 'bec0:';

/** Refusals of impairment on a host, each naming the host and the remedy. */
function refuse(ssh: SshHost, what: string, remedy: string): EnvironmentError {
  return new EnvironmentError(`${ssh.label}: cannot impair: ${what}`, remedy);
}

async function sh(ssh: SshHost, script: string, sudo: boolean): Promise<{ code: number; out: string; err: string }> {
  const r = await ssh.shell(sudo ? `sudo -n sh -c ${q(script)}` : script, { timeoutMs: 30_000 });
  return { code: r.exitCode, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** The interface a route to `addr` leaves by on the host, or null. */
async function routeDev(ssh: SshHost, addr: string): Promise<string | null> {
  const r = await sh(ssh, `ip -o route get ${q(addr)}`, false);
  return / dev (\S+)/.exec(r.out)?.[1] ?? null;
}

/**
 * Every check before anything changes on the impaired host. `router` is the inventory's
 * middle hop (connected here: it needs no bench); an endpoint's connection is reused.
 */
export async function prepareImpairment(req: ImpairRequest, hosts: RemoteHosts, router: SshPlacement | undefined, undo: UndoStack, sshOptions?: SshOptions): Promise<ImpairTarget> {
  let ssh: SshHost;
  if (req.where === 'router') {
    if (!router) throw new InputError(`--impair router:${req.dev}: no router given`, 'give the middle hop with --router ssh://root@<router> or a router: entry in the hosts file');
    ssh = await openSsh(router, undo, sshOptions);
  } else ssh = hosts[req.where].ssh;
  const why = `netem on ${req.dev}`;
  const id = await sh(ssh, 'id -u', false);
  const uid = id.code === 0 ? Number(id.out) : null;
  const sudo = (await requirePrivilege(ssh, uid, why)) === 'sudo';
  const devs = (await sh(ssh, "ip -o link show | sed -n 's/^[0-9]*: \\([^:@]*\\).*/\\1/p'", false)).out.split('\n').filter(Boolean);
  if (!devs.includes(req.dev)) throw refuse(ssh, `it has no interface ${req.dev} (it has ${devs.join(', ') || 'none'})`, 'name an interface of that host on the path between the test addresses');
  // The session's own path: SSH_CONNECTION is "<client ip> <client port> <server ip> <server port>".
  const conn = (await sh(ssh, 'echo "$SSH_CONNECTION"', false)).out.split(/\s+/);
  const sshDev = conn[0] ? await routeDev(ssh, conn[0]) : null;
  if (sshDev === req.dev && !req.allowSshInterface) {
    throw refuse(ssh, `${req.dev} carries bench's own SSH session (from ${conn[0]}): impairing it would slow or cut the control connection and every measurement would include it`, 'impair another interface (a test-only network or a middle hop), or pass --impair-ssh-interface if that is really meant');
  }
  const netem = await sh(ssh, 'test -d /sys/module/sch_netem || modprobe -n -q sch_netem 2>/dev/null || ls /lib/modules/"$(uname -r)"/kernel/net/sched/sch_netem.ko* >/dev/null 2>&1', false);
  if (netem.code !== 0) throw refuse(ssh, `its kernel (${(await sh(ssh, 'uname -r', false)).out}) has no sch_netem`, 'install the kernel modules that carry it (Debian: linux-image-* ships sch_netem; some cloud kernels need linux-modules-extra-$(uname -r)), or impair on another host');
  const toServer = await routeDev(ssh, hosts.server.placement.testAddress);
  const toClient = await routeDev(ssh, hosts.client.placement.testAddress);
  const direction = toServer === req.dev ? 'uplink' : toClient === req.dev ? 'downlink' : null;
  if (!direction) {
    throw refuse(ssh, `${req.dev} carries no test traffic: the route to the server ${hosts.server.placement.testAddress} leaves by ${toServer ?? 'nothing'}, to the client ${hosts.client.placement.testAddress} by ${toClient ?? 'nothing'}`, 'name the interface the test traffic leaves by');
  }
  const before = await sh(ssh, `tc qdisc show dev ${q(req.dev)}`, false);
  if (before.code === 127 || /not found/.test(before.err)) throw refuse(ssh, 'no tc there', 'install iproute2 on that host');
  return { ssh, dev: req.dev, direction, sudo, qdiscBefore: before.out };
}

/**
 * The shell that holds the impairment: it applies netem, says so, and removes it when its stdin
 * closes (the point's undo, a killed bench or a dropped session) or it gets HUP/TERM/INT.
 */
function holderScript(dev: string, args: string[]): string {
  const tc = remoteCommand(['tc', ...args]);
  return [
    `${tc} || exit 3`,
    `trap 'tc qdisc del dev ${dev} root 2>/dev/null' EXIT`,
    "trap 'exit 0' HUP TERM INT",
    'echo bench-impairment: applied',
    'while read -r line; do :; done',
  ].join('\n');
}

/** Put the point's link direction on the target's interface; undo (or the holder's end) removes it. */
export async function applyImpairment(t: ImpairTarget, link: ResolvedLink, undo: UndoStack): Promise<ImpairmentRecord> {
  const dir = link[t.direction];
  const args = netemArgs(t.dev, dir, netemLimitPackets(dir, link));
  // Handle bec0: marks the qdisc as bench's, for `bench cleanup --hosts` (['qdisc','replace','dev',dev,'root',...]).
  args.splice(5, 0, 'handle', BENCH_HANDLE);
  const script = holderScript(t.dev, args);
  const child: Child = t.ssh.spawn(t.sudo ? ['sudo', '-n', 'sh', '-c', script] : ['sh', '-c', script]);
  child.stdin!.on('error', () => undefined);
  undo.push(`netem on ${t.dev} of ${t.ssh.label}`, async () => {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    await child.catch(() => undefined);
    clearTimeout(timer);
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  const ok = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('bench-impairment: applied')) resolve(true);
    });
    void child.then(() => resolve(false), () => resolve(false));
  });
  if (!ok) throw refuse(t.ssh, `tc ${args.join(' ')} failed: ${err.trim().split('\n').slice(-2).join(' | ') || 'no output'}`, 'check that the interface is up and netem loads there (modprobe sch_netem)');
  return { host: t.ssh.label, dev: t.dev, direction: t.direction, command: `tc ${args.join(' ')}`, qdiscBefore: t.qdiscBefore };
}

/** `bench cleanup --hosts`: remove every netem qdisc of bench's (handle bec0:) from a host. */
export async function removeImpairments(p: SshPlacement, undo: UndoStack, sshOptions?: SshOptions): Promise<string[]> {
  const ssh = await openSsh(p, undo, sshOptions);
  const show = await sh(ssh, 'tc qdisc show', false);
  const devs = [...show.out.matchAll(/^qdisc netem bec0: dev (\S+) root/gm)].map((m) => m[1]);
  if (!devs.length) return [];
  const id = await sh(ssh, 'id -u', false);
  const sudo = (await requirePrivilege(ssh, id.code === 0 ? Number(id.out) : null, `removing bench's netem from ${devs.join(', ')}`)) === 'sudo';
  const done: string[] = [];
  for (const dev of devs) {
    const del = await sh(ssh, `tc qdisc del dev ${q(dev)} root handle ${BENCH_HANDLE}`, sudo);
    if (del.code !== 0) throw refuse(ssh, `tc qdisc del dev ${dev} root failed: ${del.err}`, 'remove it by hand there');
    done.push(`${ssh.label}: removed bench's netem from ${dev}`);
  }
  return done;
}
