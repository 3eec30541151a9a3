// One emulated link (10 ms each way, 1 % loss each way, 20 Mbit/s), driven two ways: by local
// agents in the lab's namespaces (`ip netns exec`, today's lab) and by agents reached over SSH
// in the same namespaces (test/kit/ssh-hosts.ts option `lab`). Calibration over SSH measures
// what the lab's own calibration measures, and the same TCP and QUIC cells run through both;
// the figures are printed side by side. Only physical bounds are asserted (shared machine).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent, type Agent } from '../harness/agent/controller.js';
import { generateCredentials } from '../harness/core/certs.js';
import { startRemoteAgent } from '../harness/remote/agent.js';
import { calibrateRemotePath } from '../harness/remote/calibrate.js';
import { prepareRemoteHosts, type RemoteHosts } from '../harness/remote/hosts.js';
import { binomialInterval } from '../harness/core/stats.js';
import type { Credentials } from '../harness/core/certs.js';
import type { Calibration } from '../harness/core/types.js';
import { UndoStack } from '../harness/core/undo.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { calibrationOf, probeLink } from '../netem/calibrate.js';
import { point } from './kit/testkit.js';
import { skipUnlessSsh, SshHosts } from './kit/ssh-hosts.js';

const skip = skipUnlessSsh();
const DELAY_MS = 10;
const LOSS_PCT = 1;
const RATE = 20e6;
let kit: SshHosts;
const undo = new UndoStack();
let hosts: RemoteHosts;
let creds: Credentials;

before(async () => {
  if (skip) return;
  kit = await SshHosts.create({ lab: point({ delayMs: DELAY_MS, lossPct: LOSS_PCT, rateBitsPerSec: RATE }) });
  hosts = await prepareRemoteHosts({ client: kit.placement('a', 'client', { benchPath: PROJECT_ROOT }), server: kit.placement('b', 'server', { benchPath: PROJECT_ROOT }) }, undo, { ssh: kit.sshOptions() });
  creds = await generateCredentials();
});
after(async () => {
  assert.deepEqual(await undo.run(), []);
  if (kit) {
    await kit.destroy();
    assert.deepEqual(await kit.remains(), []);
  }
});

function checkCalibration(c: Calibration, how: string): void {
  // Physical bound: no probe returns before the two configured delays.
  assert.ok(c.rttMs.min >= 2 * DELAY_MS, `${how}: RTT min ${c.rttMs.min} ms >= ${2 * DELAY_MS} ms`);
  for (const [lost, n] of [[c.uplinkLost, c.probes], [c.downlinkLost, c.probes - c.uplinkLost]]) {
    const iv = binomialInterval(lost, n, 0.999);
    assert.ok(LOSS_PCT / 100 >= iv.lo && LOSS_PCT / 100 <= iv.hi, `${how}: ${lost}/${n} lost, configured ${LOSS_PCT} % outside its 99.9 % interval`);
  }
}

test('calibration over SSH measures the link as the lab\'s own calibration does', { skip, timeout: 90_000 }, async (t) => {
  const o = { probes: 1000, payloadBytes: 64, intervalMs: 2, waitMs: 1000 };
  const local = calibrationOf(await probeLink(kit.lab!, o), 64);
  const { calibration: remote } = await calibrateRemotePath(hosts, o);
  for (const [how, c] of [['local', local], ['over ssh', remote]] as const) {
    t.diagnostic(`${how}: RTT p50 ${c.rttMs.p50.toFixed(2)} ms p99 ${c.rttMs.p99.toFixed(2)} ms; lost up ${c.uplinkLost}/${c.probes} down ${c.downlinkLost}/${c.probes - c.uplinkLost}`);
    checkCalibration(c, how);
  }
});

async function bulk(client: Agent, server: Agent, transport: string): Promise<number> {
  const { ports } = await server.request({ op: 'serve', host: kit.hosts.b.testAddress, transports: [transport], creds, idleTimeoutMs: 30_000 });
  const r = await client.request({ op: 'run', transport, workload: { kind: 'bulk', id: 'dl', direction: 'download', bytes: null, durationMs: 4000, streams: 1 }, host: kit.hosts.b.testAddress, port: ports[transport], creds, seed: 3, timeoutMs: 30_000 });
  await client.request({ op: 'close' });
  assert.equal(r.status, 'ok', r.reason ?? '');
  const bps = ((r.samples.bytes ?? 0) * 8) / (r.samples.elapsedMs! / 1000);
  // The link carries 20 Mbit/s of IP bytes; payload is less. 4 % for the timer edges.
  assert.ok(bps > 0 && bps <= RATE * 1.04, `${transport} ${(bps / 1e6).toFixed(2)} Mbit/s within the link's rate`);
  return bps;
}

test('the same TCP and QUIC bulk cells through local agents and through agents over SSH', { skip, timeout: 180_000 }, async (t) => {
  const lines: string[] = [];
  for (const transport of ['tcp', 'quic']) {
    const figures: Record<string, number> = {};
    for (const how of ['local', 'ssh'] as const) {
      const u = new UndoStack();
      try {
        const [client, server] =
          how === 'local'
            ? await Promise.all([startAgent('client', kit.lab!.clientNs, u), startAgent('server', kit.lab!.serverNs, u)])
            : await Promise.all([startRemoteAgent('client', hosts.client, u), startRemoteAgent('server', hosts.server, u)]);
        figures[how] = await bulk(client, server, transport);
      } finally {
        assert.deepEqual(await u.run(), []);
      }
    }
    lines.push(`${transport} download 4 s: local agents ${(figures.local / 1e6).toFixed(2)} Mbit/s, agents over ssh ${(figures.ssh / 1e6).toFixed(2)} Mbit/s`);
  }
  for (const l of lines) t.diagnostic(l);
});
