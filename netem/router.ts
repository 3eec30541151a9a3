// The netem backend's link (issue 14): client - router - server, three namespaces joined by
// two veth pairs, netem on the router's egress in each direction (towards the server =
// uplink, towards the client = downlink) and no qdisc on the endpoints (veth is noqueue).
// Why a middle hop: a qdisc on the sender's own egress is part of the sender's stack; its
// TCP sees the queue (TCP small queues, local backpressure) instead of meeting the link
// behind a router, and the results differ from the userspace emulator, which is a middle
// box too. Measured once on Debian's 6.1 kernel at 5 % loss, 25 ms each way, 5 Mbit/s:
// netem on the endpoints 1.51 Mbit/s with 2.9 % of data packets dropped, on a router
// 0.93 Mbit/s with 5.05 % (see README, "How the netem backend builds its link").
//
// The router forwards at layer 3 with static neighbour entries on all four ends, so no ARP
// ever crosses the impaired link (an ARP request lost at 5 % would stall a connection's
// first packet for a second) and the endpoints keep the addresses and /30 of a direct link.
import { EnvironmentError } from '../harness/core/errors.js';
import { run } from '../harness/core/exec.js';
import type { LinkDirection, ResolvedLink } from '../harness/core/types.js';
import { netemArgsOf, netemSettings, parseTcStats, type NetemSettings } from './backend-netem.js';
import { netemDifferences, parseQdiscJson } from './netem-readback.js';
import { addressLink, CLIENT_ADDR, offloadsOff, SERVER_ADDR } from './namespaces.js';
import type { LabSetup } from './setup.js';
import { netemLimitPackets } from './sizing.js';

/** The endpoints' end of each veth pair (the name a direct link had). */
export const VETH_DEV = 'veth0';
/** The router's ends: each carries the netem of the direction it sends in. */
export const ROUTER_DEV = { toClient: 'toclient', toServer: 'toserver' } as const;

/** Fixed, locally administered MACs: each lab is its own L2 world, so they never meet. */
export const MAC = {
  client: '02:62:00:00:00:01',
  server: '02:62:00:00:00:02',
  routerToClient: '02:62:00:00:01:01',
  routerToServer: '02:62:00:00:01:02',
} as const;

export interface LabNamespaces {
  client: string;
  server: string;
  router: string;
}

export function routerNamespace(runId: string): string {
  return `bench-${runId}-r`;
}

/**
 * Where the qdiscs go. Always the router, except for the measurement that compares the two
 * placements (.ci/netem-vm/compare-backends.sh), which sets BENCH_DEV_NETEM_ON=endpoints;
 * such a lab carries a warning in its record.
 */
export type NetemPlacement = 'router' | 'endpoints';

export function netemPlacement(env: NodeJS.ProcessEnv = process.env): NetemPlacement {
  const v = env.BENCH_DEV_NETEM_ON;
  if (v === undefined || v === '' || v === 'router') return 'router';
  if (v === 'endpoints') return 'endpoints';
  throw new EnvironmentError(`BENCH_DEV_NETEM_ON="${v}" (allowed: router, endpoints)`, 'unset it: it exists only for the placement comparison');
}

export interface NetemStep {
  direction: 'uplink' | 'downlink';
  ns: string;
  dev: string;
  settings: NetemSettings;
  /** argv of `tc -n <ns> ...` */
  args: string[];
}

/** The qdisc of each direction: where it goes and what it is (pure; tested as data). */
export function netemPlan(link: ResolvedLink, ns: LabNamespaces, placement: NetemPlacement = 'router'): NetemStep[] {
  const step = (direction: NetemStep['direction'], dir: LinkDirection, at: string, dev: string): NetemStep => {
    const settings = netemSettings(dir, netemLimitPackets(dir, link));
    return { direction, ns: at, dev, settings, args: netemArgsOf(dev, settings) };
  };
  return placement === 'router'
    ? [step('uplink', link.uplink, ns.router, ROUTER_DEV.toServer), step('downlink', link.downlink, ns.router, ROUTER_DEV.toClient)]
    : [step('uplink', link.uplink, ns.client, VETH_DEV), step('downlink', link.downlink, ns.server, VETH_DEV)];
}

/** The devices that must carry no qdisc (noqueue) for a placement. */
function bareDevices(ns: LabNamespaces, placement: NetemPlacement): { ns: string; dev: string }[] {
  return placement === 'router'
    ? [{ ns: ns.client, dev: VETH_DEV }, { ns: ns.server, dev: VETH_DEV }]
    : [{ ns: ns.router, dev: ROUTER_DEV.toServer }, { ns: ns.router, dev: ROUTER_DEV.toClient }];
}

/** The router's sysctls: forwarding on; IPv6 off first, so no router solicitation crosses the link. */
export const ROUTER_SYSCTLS: [string, string][] = [
  ['net.ipv6.conf.all.disable_ipv6', '1'],
  ['net.ipv6.conf.default.disable_ipv6', '1'],
  ['net.ipv6.conf.lo.disable_ipv6', '1'],
  ['net.ipv4.ip_forward', '1'],
];

export async function tuneRouter(setup: LabSetup, router: string): Promise<void> {
  await setup.cmd('sysctl', ['-q', '-w', ...ROUTER_SYSCTLS.map(([k, v]) => `${k}=${v}`)], { netns: router });
  const back = await run('sysctl', ROUTER_SYSCTLS.map(([k]) => k), { netns: router, reject: false });
  for (const m of back.stdout.matchAll(/^(\S+) = (.*)$/gm)) setup.record.applied.sysctls[`router:${m[1]}`] = m[2].trim();
}

/**
 * Build the path in three existing, tuned namespaces, put netem where `placement` says, and
 * check the kernel holds exactly that. Every device lives inside a lab namespace (created
 * there directly), so deleting the namespaces removes them all.
 */
export async function buildRouterLink(setup: LabSetup, ns: LabNamespaces, link: ResolvedLink, congestionControl: string, placement: NetemPlacement): Promise<NetemStep[]> {
  const r = ns.router;
  const ends = [
    { endNs: ns.client, mac: MAC.client, routerDev: ROUTER_DEV.toClient, routerMac: MAC.routerToClient, addr: CLIENT_ADDR, peer: SERVER_ADDR },
    { endNs: ns.server, mac: MAC.server, routerDev: ROUTER_DEV.toServer, routerMac: MAC.routerToServer, addr: SERVER_ADDR, peer: CLIENT_ADDR },
  ];
  for (const e of ends) {
    await setup.cmd('ip', ['link', 'add', VETH_DEV, 'address', e.mac, 'netns', e.endNs, 'type', 'veth', 'peer', 'name', e.routerDev, 'address', e.routerMac, 'netns', r]);
    await addressLink(setup, e.endNs, VETH_DEV, e.addr, e.peer, 'veth', congestionControl);
    // The peer's address is the router's MAC: the endpoint sees a direct /30 link.
    await setup.cmd('ip', ['-n', e.endNs, 'neigh', 'replace', e.peer, 'lladdr', e.routerMac, 'dev', VETH_DEV, 'nud', 'permanent']);
    await setup.cmd('ip', ['-n', r, 'link', 'set', e.routerDev, 'up']);
    await offloadsOff(setup, r, e.routerDev);
    await setup.cmd('ip', ['-n', r, 'route', 'replace', `${e.addr}/32`, 'dev', e.routerDev]);
    await setup.cmd('ip', ['-n', r, 'neigh', 'replace', e.addr, 'lladdr', e.mac, 'dev', e.routerDev, 'nud', 'permanent']);
  }
  const plan = netemPlan(link, ns, placement);
  for (const s of plan) await setup.cmd('tc', ['-n', s.ns, ...s.args]);
  setup.record.applied.router = { namespace: r, uplinkDev: ROUTER_DEV.toServer, downlinkDev: ROUTER_DEV.toClient, netemOn: placement };
  if (placement === 'endpoints') {
    setup.record.warnings.push({
      code: 'netem-on-endpoints',
      message: "netem sits on the endpoints' own egress (BENCH_DEV_NETEM_ON=endpoints): the sender's TCP sees its local queue, so this lab is not the link bench promises",
      remedy: 'unset BENCH_DEV_NETEM_ON; it exists only to compare placements',
      point: setup.record.point,
    });
  }
  await verifyQdiscs(setup, ns, plan, placement);
  for (const [role, name] of [['client', ns.client], ['router', r], ['server', ns.server]] as const) {
    await setup.readback(role, 'ip', ['-n', name, '-d', 'link', 'show']);
    await setup.readback(role, 'ip', ['-n', name, 'route', 'show']);
    await setup.readback(role, 'ip', ['-n', name, 'neigh', 'show']);
    await setup.readback(role, 'tc', ['-n', name, '-s', 'qdisc', 'show']);
  }
  return plan;
}

/**
 * The kernel must hold what bench set: each netem equal to its settings (within the units
 * the kernel keeps), every other lab device bare. A difference refuses the lab; a tc too old
 * to print netem as JSON leaves a warning instead.
 */
async function verifyQdiscs(setup: LabSetup, ns: LabNamespaces, plan: NetemStep[], placement: NetemPlacement): Promise<void> {
  const problems: string[] = [];
  const unreadable: string[] = [];
  const show = async (at: string, dev: string) => (await run('tc', ['-j', '-n', at, 'qdisc', 'show', 'dev', dev], { reject: false, timeoutMs: 15_000 })).stdout;
  for (const s of plan) {
    const q = parseQdiscJson(await show(s.ns, s.dev));
    if (!q) unreadable.push(`${s.ns} ${s.dev}`);
    else problems.push(...netemDifferences(s.settings, q).map((d) => `${s.direction} (${s.ns} ${s.dev}): ${d}`));
  }
  for (const b of bareDevices(ns, placement)) {
    const q = parseQdiscJson(await show(b.ns, b.dev));
    if (!q) unreadable.push(`${b.ns} ${b.dev}`);
    else if (q.kind !== 'noqueue') problems.push(`${b.ns} ${b.dev} has a ${q.kind} qdisc; it must have none`);
  }
  if (problems.length) {
    throw new EnvironmentError(`the kernel holds a different link than bench set: ${problems.join('; ')}`, 'see the tc lines in the lab record; report this with `tc -V` and `uname -r`');
  }
  if (unreadable.length) {
    setup.record.warnings.push({
      code: 'netem-readback-unverified',
      message: `could not read back the qdiscs as JSON (tc -j) on ${unreadable.join(', ')}, so what the kernel holds was not compared with what bench set`,
      remedy: 'use iproute2 >= 5.15 (Debian 12, Ubuntu 22.04)',
      point: setup.record.point,
    });
  }
}

/** qdisc counters of each direction, as the emulator names them (up_*, down_*). */
export async function netemCounters(plan: NetemStep[]): Promise<Record<string, number> | null> {
  const out: Record<string, number> = {};
  for (const s of plan) {
    const r = await run('tc', ['-n', s.ns, '-s', 'qdisc', 'show', 'dev', s.dev], { reject: false });
    const c = parseTcStats(r.stdout);
    if (!c) return null;
    const d = s.direction === 'uplink' ? 'up' : 'down';
    Object.assign(out, { [`${d}_forwarded`]: c.sentPackets, [`${d}_bytes`]: c.sentBytes, [`${d}_dropped`]: c.dropped, [`${d}_in_flight`]: c.backlogPackets });
  }
  return out;
}
