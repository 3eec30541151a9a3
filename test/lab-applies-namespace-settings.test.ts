// A userspace lab gets exactly the per-namespace settings the design asks for (IPv6 off,
// offloads off, txqueuelen, TCP buffers, congestion control on every lab connection),
// records them, changes nothing on the host, and goes away completely on down().
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { run, spawn } from '../harness/core/exec.js';
import { UndoStack } from '../harness/core/undo.js';
import { labUp } from '../netem/lab.js';
import { tcpBufferMaxBytes } from '../netem/sizing.js';
import { point, remains, skipUnlessRoot, testRunId, until } from './kit/testkit.js';

const skip = skipUnlessRoot();
const undo = new UndoStack();
after(() => undo.run());

const HOST_SYSCTLS = ['ipv4/tcp_congestion_control', 'ipv4/tcp_rmem', 'ipv4/tcp_wmem', 'ipv6/conf/all/disable_ipv6', 'ipv4/tcp_no_metrics_save'];
const hostSysctls = (): Promise<string[]> => Promise.all(HOST_SYSCTLS.map((k) => readFile(`/proc/sys/net/${k}`, 'utf8')));
const hostLinkNames = async (): Promise<string[]> =>
  [...(await run('ip', ['-o', 'link', 'show'])).stdout.matchAll(/^\d+: ([^:@\s]+)/gm)].map((m) => m[1]);

test('lab namespaces: settings applied and recorded, host untouched, all removed on down', { skip }, async () => {
  const sysBefore = await hostSysctls();
  const linksBefore = await hostLinkNames();
  const runId = testRunId('ts');
  const p = point({ delayMs: 2, rateBitsPerSec: 100e6 });
  const lab = await labUp({ runId, point: p, backend: 'userspace', congestionControl: 'cubic', seed: 1, undo });
  const ns = { c: lab.clientNs!, s: lab.serverNs! };
  assert.deepEqual([ns.c, ns.s], [`bench-${runId}-c`, `bench-${runId}-s`]);
  assert.deepEqual([lab.clientAddr, lab.serverAddr], ['198.18.0.1', '198.18.0.2']);

  const rec = lab.record;
  const max = tcpBufferMaxBytes(p.link, 'userspace');
  for (const role of ['client', 'server']) {
    assert.equal(rec.applied.sysctls[`${role}:net.ipv6.conf.all.disable_ipv6`], '1');
    assert.equal(rec.applied.sysctls[`${role}:net.ipv4.tcp_rmem`], `4096 131072 ${max}`);
    assert.equal(rec.applied.sysctls[`${role}:net.ipv4.tcp_wmem`], `4096 16384 ${max}`);
  }
  assert.equal(rec.applied.congestionControl, 'cubic');
  assert.ok(rec.applied.commands.some((c) => c.includes('linkemu') && c.includes('rate_bps=100000000')), 'emulator command recorded');
  assert.ok(rec.applied.readback.some((r) => /qlen 10000/.test(r)), 'txqueuelen read back');

  for (const n of [ns.c, ns.s]) {
    const v6 = await run('sysctl', ['-n', 'net.ipv6.conf.lab0.disable_ipv6'], { netns: n });
    assert.equal(v6.stdout.trim(), '1', `IPv6 off on lab0 in ${n}`);
    const k = (await run('ethtool', ['-k', 'lab0'], { netns: n })).stdout;
    for (const f of ['tcp-segmentation-offload', 'generic-segmentation-offload', 'generic-receive-offload']) {
      assert.match(k, new RegExp(`^${f}: off`, 'm'), `${f} off in ${n}`);
    }
  }

  // Every TCP connection over the lab link uses the scenario's congestion control, even
  // though this host only allows its namespaces to default to reno/bbr.
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const server = spawn(process.execPath, ['-e', `require('net').createServer((s) => s.pipe(s)).listen(${port}, '198.18.0.2')`], { netns: ns.s });
  await until(async () => (await run('ss', ['-tln'], { netns: ns.s })).stdout.includes(`198.18.0.2:${port}`), 8000, 'listener');
  const client = spawn(process.execPath, ['-e', `const s = require('net').connect(${port}, '198.18.0.2'); s.on('error', () => {}); setTimeout(() => process.exit(0), 8000)`], { netns: ns.c });
  undo.push('tcp pair', () => void (server.kill('SIGKILL'), client.kill('SIGKILL')));
  let info = '';
  await until(async () => /198\.18\.0\.2:/.test((info = (await run('ss', ['-tin', 'state', 'established'], { netns: ns.c })).stdout)), 8000, 'TCP connection');
  assert.match(info, /\bcubic\b/, `client socket uses cubic:\n${info}`);
  // The accepted socket shows once the client's ACK has crossed the link (ss hides SYN_RECV).
  let srvInfo = '';
  await until(async () => /198\.18\.0\.1:/.test((srvInfo = (await run('ss', ['-tin', 'state', 'established'], { netns: ns.s })).stdout)), 8000, 'accepted connection');
  assert.match(srvInfo, /\bcubic\b/, `accepted socket uses cubic:\n${srvInfo}`);
  client.kill('SIGKILL');
  server.kill('SIGKILL');

  await lab.down();
  await lab.down(); // idempotent
  assert.deepEqual(await remains(runId), []);
  assert.deepEqual(await hostSysctls(), sysBefore, 'host sysctls unchanged');
  const added = (await hostLinkNames()).filter((l) => !linksBefore.includes(l));
  assert.deepEqual(added.filter((l) => /lab0|veth0|bench/.test(l)), [], 'no lab link ever appears on the host');
});
