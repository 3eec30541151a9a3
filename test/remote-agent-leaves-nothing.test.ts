// A remote agent never outlives its controller (issue 18): whether the ssh client is killed
// mid-transfer, the connection drops, the path dies silently, or bench itself is killed, the
// remote agent wrapper kills the agent's whole process group, and the hosts are left running
// nothing but sshd (a pushed bundle is removed too). Checked inside the hosts' namespaces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Agent } from '../harness/agent/controller.js';
import { generateCredentials } from '../harness/core/certs.js';
import { run } from '../harness/core/exec.js';
import { startRemoteAgent } from '../harness/remote/agent.js';
import { prepareRemoteHosts, type RemoteHosts } from '../harness/remote/hosts.js';
import { UndoStack } from '../harness/core/undo.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { until } from './kit/testkit.js';
import { skipUnlessSsh, SshHosts } from './kit/ssh-hosts.js';

const skip = skipUnlessSsh();
let kit: SshHosts;

before(async () => {
  if (!skip) kit = await SshHosts.create();
});
after(async () => {
  await kit?.destroy();
  if (kit) assert.deepEqual(await kit.remains(), []);
});

/** Hosts a (client) and b (server) using this checkout as their bench, agents on both, a long tcp download running. */
async function running(undo: UndoStack, agentOpts = {}): Promise<{ hosts: RemoteHosts; client: Agent; server: Agent; cell: Promise<unknown> }> {
  const hosts = await prepareRemoteHosts({ client: kit.placement('a', 'client', { benchPath: PROJECT_ROOT }), server: kit.placement('b', 'server', { benchPath: PROJECT_ROOT }) }, undo, { ssh: kit.sshOptions() });
  const [client, server] = await Promise.all([startRemoteAgent('client', hosts.client, undo, agentOpts), startRemoteAgent('server', hosts.server, undo, agentOpts)]);
  const creds = await generateCredentials();
  const { ports } = await server.request({ op: 'serve', host: kit.hosts.b.testAddress, transports: ['tcp'], creds, idleTimeoutMs: 60_000 });
  const cell = client.request({ op: 'run', transport: 'tcp', workload: { kind: 'bulk', id: 'long', direction: 'download', bytes: null, durationMs: 60_000, streams: 2 }, host: kit.hosts.b.testAddress, port: ports.tcp, creds, seed: 1, timeoutMs: 90_000 });
  cell.catch(() => undefined);
  // The transfer is under way: the agents and their connections exist on both hosts.
  await until(async () => (await kit.processes('a', { sessions: false })).some((p) => p.cmd.includes('dist/harness/agent/main.js')), 10_000, 'the client agent on host a');
  await new Promise((r) => setTimeout(r, 500));
  return { hosts, client, server, cell };
}

/** The agent's local ssh client (the pid execa started: `ip netns exec` execs into ssh). */
async function sshClientPid(agent: Agent): Promise<number> {
  const pid = agent.pid!;
  assert.equal((await readFile(`/proc/${pid}/comm`, 'utf8')).trim(), 'ssh');
  return pid;
}

test('ssh client killed (SIGKILL) mid-transfer: the host runs nothing of ours within seconds, the controller sees the agent gone', { skip, timeout: 90_000 }, async (t) => {
  const undo = new UndoStack();
  try {
    const { client, cell } = await running(undo);
    const t0 = Date.now();
    process.kill(await sshClientPid(client), 'SIGKILL');
    await assert.rejects(cell, /client \[root@198\.19\.200\.2\] agent exited/);
    await kit.settled('a', 15_000);
    t.diagnostic(`host a clean ${Date.now() - t0} ms after the ssh client was killed`);
  } finally {
    assert.deepEqual(await undo.run(), []);
  }
  await kit.settled('b', 15_000);
});

test('connection dropped (master killed): host b runs nothing but its listening sshd', { skip, timeout: 90_000 }, async () => {
  const undo = new UndoStack();
  try {
    const { hosts, server } = await running(undo);
    const master = await hosts.server.ssh.masterPid();
    assert.ok(master);
    process.kill(master, 'SIGKILL');
    await assert.rejects(server.request({ op: 'tcpstats' }), /server \[root@198\.19\.200\.6\] agent exited/);
    // sessions: true: not even sshd's connection processes are left.
    await kit.settled('b', 15_000, { sessions: true });
  } finally {
    assert.deepEqual(await undo.run(), []);
  }
  await kit.settled('a', 15_000);
});

test('path to the host dies silently: the wrapper stops the agent after its idle limit', { skip, timeout: 90_000 }, async (t) => {
  const undo = new UndoStack();
  try {
    await running(undo, { keepaliveMs: 500, idleExitMs: 3000, graceMs: 1000 });
    // Host a's management link goes down on the controller side: no FIN, no RST reaches host a,
    // whose sshd would notice only when TCP gives up (minutes).
    await run('ip', ['-n', kit.ctl, 'link', 'set', 'toa', 'down']);
    const t0 = Date.now();
    await kit.settled('a', 20_000);
    const ms = Date.now() - t0;
    // Physical bound: not before the idle limit since the last keepalive (>= 3000 - 500 ms).
    assert.ok(ms >= 2000, `stopped after ${ms} ms, not before the idle limit`);
    t.diagnostic(`host a clean ${ms} ms after its path went down (idle limit 3000 ms)`);
  } finally {
    await run('ip', ['-n', kit.ctl, 'link', 'set', 'toa', 'up']);
    await undo.run();
  }
  await kit.settled('b', 15_000);
});

test('the agent\'s children die with it: the wrapper kills the whole process group', { skip, timeout: 60_000 }, async () => {
  const undo = new UndoStack();
  try {
    const hosts = await prepareRemoteHosts({ client: kit.placement('a', 'client', { benchPath: PROJECT_ROOT }), server: kit.placement('b', 'server', { benchPath: PROJECT_ROOT }) }, undo, { ssh: kit.sshOptions() });
    // In place of the agent, a node program that starts a long-lived child (as an agent starting a tunnel endpoint would) and ignores stdin.
    const prog = "require('child_process').spawn('sleep', ['300'], { stdio: 'ignore' }); setInterval(() => {}, 1000);";
    const child = hosts.client.ssh.spawn([process.execPath, `${PROJECT_ROOT}/dist/harness/remote/agent-wrapper.js`, '--grace-ms', '500', '--', '-e', prog]);
    await until(async () => (await kit.processes('a', { sessions: false })).some((p) => p.cmd.startsWith('sleep 300')), 10_000, 'sleep on host a');
    process.kill(child.pid!, 'SIGKILL');
    await child.catch(() => undefined);
    await kit.settled('a', 15_000);
  } finally {
    assert.deepEqual(await undo.run(), []);
  }
});

test('bench killed (SIGKILL, no undo): agents, pushed bundles and ssh masters are all gone soon after', { skip, timeout: 120_000 }, async (t) => {
  const script = fileURLToPath(new URL('./fixtures/remote-controller.js', import.meta.url));
  const cfg = { client: kit.placement('a', 'client'), server: kit.placement('b', 'server'), ssh: kit.sshOptions({ persistSec: 3 }) };
  const ctl = spawn(process.execPath, [script, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => ctl.on('exit', r));
  const lines = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    ctl.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (/^running .*\n/m.test(out)) resolve(out.split('\n'));
    });
    ctl.on('exit', (code) => reject(new Error(`controller exited ${code} before running`)));
  });
  const pack = lines.find((l) => l.startsWith('pack '))!.slice(5);
  t.after(() => rm(pack, { recursive: true, force: true }));
  const [, bundleA, bundleB] = lines.find((l) => l.startsWith('running '))!.split(' ');
  assert.match(bundleA, /^\/tmp\/bench-bundle-/);
  for (const h of ['a', 'b'] as const) assert.ok((await kit.processes(h, { sessions: false })).some((p) => p.cmd.includes('dist/harness/agent/main.js')), `agent on host ${h}`);
  ctl.kill('SIGKILL');
  await exited;
  await kit.settled('a', 15_000);
  await kit.settled('b', 15_000);
  // The last wrapper to leave a pushed bundle removes it.
  for (const dir of [bundleA, bundleB]) await until(() => access(dir).then(() => false, () => true), 10_000, `${dir} removed`);
  // The masters had no session left and a 3 s ControlPersist: they exit by themselves, and the hosts close their connection processes.
  await until(async () => (await run('ip', ['netns', 'pids', kit.ctl])).stdout.trim() === '', 15_000, 'no ssh master left in the controller namespace');
  await kit.settled('a', 10_000, { sessions: true });
  await kit.settled('b', 10_000, { sessions: true });
});
