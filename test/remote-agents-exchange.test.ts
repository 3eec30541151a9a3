// Two remote hosts prepared in one call and an agent on each, over SSH: the same agent and
// the same line-delimited JSON channel as in a local lab, with the test traffic between the
// hosts' test addresses through the router (a 50 Mbit/s tbf there, so the path is provably
// the one under test: goodput cannot exceed it). Every byte is verified by the workloads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Agent } from '../harness/agent/controller.js';
import { generateCredentials } from '../harness/core/certs.js';
import { startRemoteAgent } from '../harness/remote/agent.js';
import { calibrateRemotePath } from '../harness/remote/calibrate.js';
import { prepareRemoteHosts, type RemoteHosts } from '../harness/remote/hosts.js';
import type { Credentials } from '../harness/core/certs.js';
import type { Workload } from '../harness/workloads/index.js';
import { UndoStack } from '../harness/core/undo.js';
import { until } from './kit/testkit.js';
import { skipUnlessSsh, SshHosts } from './kit/ssh-hosts.js';

const skip = skipUnlessSsh();
const RATE = 50e6;
let kit: SshHosts;
const undo = new UndoStack();
let hosts: RemoteHosts;
let client: Agent;
let server: Agent;
let creds: Credentials;
let ports: Record<string, number>;

/** Agents of the current "lab point": stopped and started again by the last test, as the run engine does per point. */
let agentsUndo = new UndoStack();

before(async () => {
  if (skip) return;
  kit = await SshHosts.create({ rateBitsPerSec: RATE });
  hosts = await prepareRemoteHosts({ client: kit.placement('a', 'client'), server: kit.placement('b', 'server') }, undo, { ssh: kit.sshOptions() });
  agentsUndo = undo.child('agents');
  [client, server] = await Promise.all([startRemoteAgent('client', hosts.client, agentsUndo), startRemoteAgent('server', hosts.server, agentsUndo)]);
  creds = await generateCredentials();
  ({ ports } = await server.request({ op: 'serve', host: kit.hosts.b.testAddress, transports: ['tcp', 'tls', 'quic', 'udp'], creds, idleTimeoutMs: 30_000 }));
});
after(async () => {
  assert.deepEqual(await undo.run(), []);
  if (kit) {
    // Stopping the agents and closing the masters left nothing on either host, not even the bundles.
    await kit.settled('a', 10_000, { sessions: true });
    await kit.settled('b', 10_000, { sessions: true });
    await kit.destroy();
    assert.deepEqual(await kit.remains(), []);
  }
});

function cell(transport: string, workload: Workload) {
  return client.request({ op: 'run', transport, workload, host: kit.hosts.b.testAddress, port: ports[transport], creds, seed: 7, timeoutMs: 60_000 });
}

test('preflight: both hosts run the controller\'s code; facts of each host and the route between them recorded', { skip }, () => {
  const a = hosts.client.facts;
  const b = hosts.server.facts;
  assert.equal(hosts.client.bench.pushed, true);
  assert.equal(hosts.client.bench.identity.codeSha256, hosts.server.bench.identity.codeSha256);
  assert.deepEqual([a.nic?.name, a.nic?.driver, a.nic?.mtu, b.nic?.name], ['test0', 'veth', 1500, 'test0']);
  assert.deepEqual([a.routeToPeer?.dev, a.routeToPeer?.src, a.routeToPeer?.via], ['test0', '198.18.1.2', '198.18.1.1']);
  assert.deepEqual([b.routeToPeer?.dev, b.routeToPeer?.via], ['test0', '198.18.2.1']);
  for (const f of [a, b]) {
    assert.match(f.kernel, /^Linux /);
    assert.ok(f.congestionControl && f.availableCongestionControl?.includes(f.congestionControl));
    assert.match(f.nic?.qdisc ?? '', /^qdisc /);
    assert.ok(f.cpus >= 1 && f.memBytes > 0);
  }
  // The reachability check's first packets crossed the router both ways.
  assert.ok(hosts.reach.tcpMs > 0 && hosts.reach.udpMs > 0);
});

test('the real path is calibrated like a lab link: RTT percentiles and loss each way, from probe agents on both hosts', { skip, timeout: 60_000 }, async (t) => {
  const { calibration: c, probe, warnings } = await calibrateRemotePath(hosts, { probes: 300 });
  t.diagnostic(`path RTT p50 ${c.rttMs.p50.toFixed(3)} ms p99 ${c.rttMs.p99.toFixed(3)} ms, lost up ${c.uplinkLost} down ${c.downlinkLost}, socket drops ${probe.socketDrops}`);
  assert.equal(c.probes, 300);
  // Nothing on this path drops (tbf at 50 Mbit/s, probes at ~0.4 Mbit/s); a probe socket overrun on a busy machine is counted apart.
  assert.ok(c.uplinkLost + c.downlinkLost <= probe.socketDrops, JSON.stringify(c));
  assert.equal(c.rttMs.n, 300 - c.uplinkLost - c.downlinkLost);
  // Physical bound: two serialisations of a 92-byte probe at 50 Mbit/s.
  assert.ok(c.rttMs.min >= ((2 * 92 * 8) / RATE) * 1000, `RTT min ${c.rttMs.min} ms`);
  assert.deepEqual(warnings.filter((w) => w.code !== 'calibration-probe-overrun'), []);
});

test('tcp and tls echo between the hosts: every exchange verified', { skip, timeout: 60_000 }, async () => {
  for (const transport of ['tcp', 'tls']) {
    const r = await cell(transport, { kind: 'echo', id: 'echo-1KiB', payloadBytes: 1024, count: 200, durationMs: null, concurrency: 2, idleTimeoutMs: 30_000 });
    assert.equal(r.status, 'ok', `${transport}: ${r.reason}`);
    assert.equal(r.samples.rttUs?.length, 400, transport);
    assert.ok(r.samples.rttUs!.every((x) => x > 0));
    await client.request({ op: 'close' });
  }
});

test('tcp bulk both ways through the 50 Mbit/s router: all bytes verified, goodput within the rate, counters from the client host', { skip, timeout: 90_000 }, async (t) => {
  const bytes = 8 * 1024 * 1024;
  for (const direction of ['upload', 'download'] as const) {
    const before = await client.request({ op: 'tcpstats' });
    const r = await cell('tcp', { kind: 'bulk', id: `bulk-${direction}`, direction, bytes, durationMs: null, streams: 2 });
    const after = await client.request({ op: 'tcpstats' });
    assert.equal(r.status, 'ok', `${direction}: ${r.reason}`);
    assert.equal(r.samples.bytes, bytes);
    const bps = (bytes * 8) / (r.samples.elapsedMs! / 1000);
    // IP bytes are limited to 50 Mbit/s; payload is less. 4 % for the timer edges.
    assert.ok(bps <= RATE * 1.04, `${direction} goodput ${(bps / 1e6).toFixed(1)} Mbit/s within the router's rate`);
    t.diagnostic(`tcp ${direction} ${(bps / 1e6).toFixed(1)} Mbit/s`);
    // Counters from the client host's namespace: an upload sends at least bytes / MSS segments there.
    const outSegs = after.outSegs - before.outSegs;
    if (direction === 'upload') assert.ok(outSegs >= bytes / 1460, `client OutSegs ${outSegs}`);
    await client.request({ op: 'close' });
  }
});

test('quic echo and bulk, and udp echo, between the hosts', { skip, timeout: 90_000 }, async () => {
  const echo = await cell('quic', { kind: 'echo', id: 'echo-64B', payloadBytes: 64, count: 50, durationMs: null, concurrency: 1, idleTimeoutMs: 30_000 });
  assert.equal(echo.status, 'ok', echo.reason ?? '');
  assert.equal(echo.samples.rttUs?.length, 50);
  await client.request({ op: 'close' });
  const bulk = await cell('quic', { kind: 'bulk', id: 'bulk-up', direction: 'upload', bytes: 1024 * 1024, durationMs: null, streams: 1 });
  assert.equal(bulk.status, 'ok', bulk.reason ?? '');
  assert.equal(bulk.samples.bytes, 1024 * 1024);
  await client.request({ op: 'close' });
  const udp = await cell('udp', { kind: 'echo', id: 'udp-64B', payloadBytes: 64, count: 100, durationMs: null, concurrency: 1, idleTimeoutMs: 30_000 });
  assert.equal(udp.status, 'ok', udp.reason ?? '');
  assert.equal(udp.samples.sent, 100);
});

test('agents stopped and started again (the next lab point): the pushed bundle is still there, the new agents work', { skip, timeout: 60_000 }, async () => {
  assert.deepEqual(await agentsUndo.run(), []);
  const agentsOn = async (h: 'a' | 'b'): Promise<boolean> => (await kit.processes(h, { sessions: false })).some((p) => p.cmd.includes('dist/harness/agent/main.js'));
  await until(async () => !(await agentsOn('a')) && !(await agentsOn('b')), 10_000, 'the old agents to be gone');
  const left = (await kit.processes('a', { sessions: false })).map((p) => p.cmd);
  assert.ok(left.some((c) => c.includes('--hold')), `the bundle holder stays: ${left.join('; ')}`);
  [client, server] = await Promise.all([startRemoteAgent('client', hosts.client, undo), startRemoteAgent('server', hosts.server, undo)]);
  ({ ports } = await server.request({ op: 'serve', host: kit.hosts.b.testAddress, transports: ['tcp'], creds, idleTimeoutMs: 30_000 }));
  const r = await cell('tcp', { kind: 'echo', id: 'echo-64B', payloadBytes: 64, count: 20, durationMs: null, concurrency: 1, idleTimeoutMs: 30_000 });
  assert.equal(r.status, 'ok', r.reason ?? '');
});
