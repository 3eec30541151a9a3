// `bench run --client ssh://... --server ssh://...` end to end, for real: two "hosts" made of
// network namespaces with Debian's OpenSSH server (test/kit/ssh-hosts.ts), joined by a lab link
// (userspace emulator, 10 ms each way, 1 % loss, 20 Mbit/s). Every cell must be ok (each
// workload verifies its bytes), and the hosts run nothing and hold no file of bench's
// afterwards, also when bench is killed or its connections drop mid-cell. The same link driven
// by local and by remote agents is compared in remote-same-link-local-and-ssh.test.ts. One kit
// for every test (sshd start-up and a lab are the slow part). Only physical bounds are
// asserted (shared machine).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, spawn } from '../harness/core/exec.js';
import { EXIT } from '../harness/core/errors.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import type { ResultFile } from '../harness/results/types.js';
import { skipUnlessSsh, SshHosts, type HostName } from './kit/ssh-hosts.js';
import { point, until } from './kit/testkit.js';

const skip = skipUnlessSsh();
/** This kernel has sch_netem (CI may): the no-netem refusal cannot be shown here then. */
const NETEM_HERE = existsSync('/sys/module/sch_netem') || (await run('modprobe', ['-n', '-q', 'sch_netem'], { reject: false })).exitCode === 0;
const CLI = join(PROJECT_ROOT, 'dist', 'harness', 'cli.js');
const DELAY_MS = 10;
const RATE = 20e6;
let kit: SshHosts;
const USER = { name: 'bench18b', uid: 64993 };
let dir: string;

const SCENARIO = `name: two-hosts
description: The same link driven by local agents and by agents on two hosts over SSH.
link: { delay: ${DELAY_MS}ms, loss: 1%, rate: 20mbit }
transports: [tcp, quic, tunnel, quicgo-tunnel, quic-quicgo]
workloads:
  - echo: { payload: 64B, duration: 1s }
  - bulk: { direction: download, duration: 2s }
repetitions: 1
warmup: 0
timeout: 30s
`;

before(async () => {
  if (skip) return;
  kit = await SshHosts.create({ lab: point({ delayMs: DELAY_MS, lossPct: 1, rateBitsPerSec: RATE }), users: [USER] });
  dir = await mkdtemp(join(tmpdir(), 'bench-two-hosts-'));
});
after(async () => {
  if (kit) {
    await kit.destroy();
    assert.deepEqual(await kit.remains(), []);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An endpoint flag for kit host `name`, with the kit's key and known_hosts, its bench the checkout's. */
function spec(name: HostName, o: { port?: number; bench?: boolean; user?: string } = {}): string {
  const h = kit.hosts[name];
  const q = new URLSearchParams({ addr: h.testAddress, identity: kit.identityFile, 'known-hosts': kit.knownHostsFile, node: process.execPath, ...(o.bench === false ? {} : { bench: PROJECT_ROOT }) });
  return `ssh://${o.user ?? 'root'}@${h.sshAddress}:${o.port ?? h.port}?${q}`;
}

/** `bench run` in the kit's controller namespace (where the hosts' management addresses are). */
async function benchRemote(args: string[], timeoutMs = 240_000): Promise<{ code: number; stderr: string; stdout: string }> {
  const r = await run(process.execPath, [CLI, 'run', ...args], { netns: kit.ctl, reject: false, timeoutMs });
  return { code: r.exitCode, stderr: r.stderr, stdout: r.stdout };
}

/** Files bench leaves in a host's temp dir (bundles, credentials): the hosts share this machine's /tmp. */
async function benchFilesOnHosts(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((e) => /^bench-(creds|bundle)-/.test(e));
}

/** A bulk cell through bench's tunnel long enough to be cut in the middle. */
const LONG_TUNNEL = SCENARIO.replace('transports: [tcp, quic, tunnel, quicgo-tunnel, quic-quicgo]', 'transports: [tunnel]').replace(/  - echo: .*\n/, '').replace('duration: 2s', 'duration: 60s').replace('timeout: 30s', 'timeout: 90s');

/** Both tunnel endpoints run on their hosts; a little later the bulk cell is under way. */
async function tunnelRunning(): Promise<void> {
  await until(async () => (await kit.processes('b')).some((p) => p.cmd.includes('tunnel server')) && (await kit.processes('a')).some((p) => p.cmd.includes('tunnel client')), 90_000, 'tunnel endpoints on both hosts');
  await new Promise((res) => setTimeout(res, 4000));
}

/** A hosts file naming both kit hosts (root, the kit's key). */
async function hostsFile(): Promise<string> {
  const file = join(dir, 'hosts.yaml');
  const entry = (name: HostName): string => `  host: ${kit.hosts[name].sshAddress}\n  user: root\n  address: ${kit.hosts[name].testAddress}\n  identity: ${kit.identityFile}\n  knownHosts: ${kit.knownHostsFile}\n  node: ${process.execPath}\n`;
  await writeFile(file, `client:\n${entry('a')}server:\n${entry('b')}`);
  return file;
}

async function hostsClean(): Promise<void> {
  await kit.settled('a', 45_000);
  await kit.settled('b', 45_000);
  await until(async () => (await benchFilesOnHosts()).length === 0, 45_000, 'no bench files on the hosts');
}

test('one scenario through two hosts over SSH: every cell ok, each end measured on its own host, marked real path', { skip, timeout: 300_000 }, async (t) => {
  const scenario = join(dir, 'scenario.yaml');
  await writeFile(scenario, SCENARIO);
  const out = join(dir, 'remote');
  const r = await benchRemote([scenario, '--out', out, '--client', spec('a'), '--server', spec('b'), '--calibration-probes', '200']);
  assert.equal(r.code, 0, r.stderr);
  const remote = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as ResultFile;

  assert.equal(remote.backend, 'real-path');
  assert.equal(remote.hosts?.client.testAddress, kit.hosts.a.testAddress);
  assert.ok(remote.hosts?.server.facts?.kernel && remote.hosts.client.facts?.nic, 'both hosts\' facts recorded');
  assert.deepEqual(remote.labs[0].path?.impairments, []);
  // The scenario asks for delay and loss, which a real path does not get: said up front.
  assert.ok(remote.warnings.some((w) => w.code === 'real-path-not-emulated'));
  for (const c of remote.cells) {
    // The quic-go echo server only echoes (harness/subjects/quic-quicgo.ts).
    if (c.transport === 'quic-quicgo' && c.kind === 'bulk') {
      assert.equal(c.status, 'unsupported');
      continue;
    }
    assert.equal(c.status, 'ok', `${c.id}: ${c.reason}`);
    // Each end's CPU was read on its host by its agent, not from the local ssh client.
    assert.match(c.cpu?.client?.host ?? '', /^client host root@/, `${c.id} client CPU read on the client host`);
    assert.ok(c.hostLoads?.server, `${c.id}: server host load`);
    // TCP through bench's own agents is counted per host (/proc/net/snmp there), and says so.
    for (const e of [c.counters?.client, c.counters?.server]) if (e?.protocol === 'tcp' && e.scope !== 'link-sockets') assert.equal(e.scope, 'host', `${c.id}: TCP counters labelled host-wide`);
    t.diagnostic(`${c.id}: ${c.status}; client CPU ${c.cpu?.client?.coreFraction.toFixed(2)} core, server ${c.cpu?.server?.coreFraction.toFixed(2)}${c.kind === 'bulk' ? `; ${(c.metrics.goodputBitsPerSec / 1e6).toFixed(2)} Mbit/s` : ''}${c.counters?.client?.protocol === 'tcp' ? `; client TCP retrans ${c.counters.client.retransSegs}/${c.counters.client.outSegs} (${c.counters.client.scope})` : ''}`);
    if (c.kind === 'bulk') assert.ok(c.metrics.goodputBitsPerSec > 0 && c.metrics.goodputBitsPerSec <= RATE * 1.04, `${c.id}: goodput within the link's rate`);
  }
  // The label check above runs only where TCP counters exist: some must.
  assert.ok(remote.cells.some((c) => c.transport === 'tcp' && [c.counters?.client, c.counters?.server].some((e) => e?.protocol === 'tcp' && e.scope === 'host')), 'the tcp cells carry host-wide TCP counters');
  assert.ok(remote.cells.some((c) => c.transport === 'quic-quicgo' && c.status === 'ok' && c.implementation.includes('quic-go')), 'quic-go server ran on the server host');
  const cal = remote.labs[0].measured!;
  t.diagnostic(`calibrated RTT p50 ${cal.rttMs.p50.toFixed(2)} ms, loss up ${cal.uplinkLossPct.toFixed(2)} % down ${cal.downlinkLossPct.toFixed(2)} %`);
  assert.ok(cal.rttMs.min >= 2 * DELAY_MS, `real path RTT min ${cal.rttMs.min} >= ${2 * DELAY_MS} ms`);
  assert.match(await readFile(join(out, 'summary.md'), 'utf8'), /Link: real path root@/);
  assert.match(await readFile(join(out, 'report.html'), 'utf8'), /Hosts at the ends of the real path/);
  assert.match(r.stderr, /link: REAL PATH/);
  await hostsClean();
});

test('bench killed mid-cell (a tunnel cell over SSH): nothing runs on the hosts and no file of bench is left there', { skip, timeout: 180_000 }, async () => {
  const scenario = join(dir, 'long.yaml');
  await writeFile(scenario, LONG_TUNNEL);
  const child = spawn(process.execPath, [CLI, 'run', scenario, '--out', join(dir, 'killed'), '--client', spec('a'), '--server', spec('b'), '--calibration-probes', '50'], { netns: kit.ctl });
  child.catch(() => undefined);
  await tunnelRunning();
  child.kill('SIGKILL');
  await child.catch(() => undefined);
  await hostsClean();
  // What it left on this machine (ssh socket dirs, named by its pid) goes with bench cleanup.
  const mine = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await readdir(tmpdir())) {
      if (e.startsWith('bench-ssh-') && (await readFile(join(tmpdir(), e, 'owner-pid'), 'utf8').catch(() => '')).trim() === String(child.pid)) out.push(e);
    }
    return out;
  };
  assert.ok((await mine()).length > 0, 'a killed bench leaves its ssh socket dirs');
  const cl = await run(process.execPath, [CLI, 'cleanup', '--hosts', await hostsFile()], { netns: kit.ctl, reject: false, timeoutMs: 60_000 });
  assert.equal(cl.exitCode, 0, cl.stderr);
  assert.deepEqual(await mine(), []);
  // The killed run's own state on this machine (its temp dir, its run record) goes too.
  const gone = /cleaned up after killed run (\S+): temp dir (\S+) removed/.exec(cl.stdout);
  assert.ok(gone, cl.stdout);
  await assert.rejects(stat(gone[2]), 'the temp dir is removed');
  await assert.rejects(stat(join(process.env.BENCH_STATE_DIR ?? '/run/bench', 'runs', `${gone[1]}.json`)), 'the run record is removed');
});

test('SSH connections dropped mid-cell (masters killed): the cell fails naming the agent, the run ends, nothing is left on the hosts', { skip, timeout: 240_000 }, async (t) => {
  const scenario = join(dir, 'drop.yaml');
  await writeFile(scenario, LONG_TUNNEL);
  const out = join(dir, 'dropped');
  const child = spawn(process.execPath, [CLI, 'run', scenario, '--out', out, '--client', spec('a'), '--server', spec('b'), '--calibration-probes', '50'], { netns: kit.ctl });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  await tunnelRunning();
  // The multiplexing masters carry every session of the run: killing them drops all at once.
  const masters: number[] = [];
  for (const pid of (await run('ip', ['netns', 'pids', kit.ctl])).stdout.split(/\s+/).filter(Boolean).map(Number)) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    // This run's masters only (an earlier test's killed bench may still have some in their ControlPersist time).
    const sock = /^ssh: (\S+) \[mux\]/.exec(cmd)?.[1];
    if (sock && (await readFile(join(dirname(sock), 'owner-pid'), 'utf8').catch(() => '')).trim() === String(child.pid)) masters.push(pid);
  }
  assert.equal(masters.length, 2, 'one master per host');
  for (const pid of masters) process.kill(pid, 'SIGKILL');
  const r = await child;
  assert.equal(r.exitCode, EXIT.cellsFailed, stderr);
  const res = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as ResultFile;
  const cell = res.cells.find((c) => c.kind === 'bulk')!;
  assert.equal(cell.status, 'failed');
  assert.match(cell.reason ?? '', /agent|tunnel|exited|closed/i);
  t.diagnostic(`cell after the drop: ${cell.status}: ${cell.reason}`);
  await hostsClean();
});

test('errors of a two-host run name the flag or the host, and leave no output directory', { skip, timeout: 180_000 }, async (t) => {
  const scenario = join(dir, 'scenario.yaml');
  await writeFile(scenario, SCENARIO);
  const cases: { args: string[]; code: number; message: RegExp }[] = [
    { args: ['--client', spec('a')], code: EXIT.usage, message: /--server is missing/ },
    { args: ['--client', spec('a'), '--server', spec('b'), '--backend', 'userspace'], code: EXIT.usage, message: /--backend userspace applies to the local lab/ },
    { args: ['--client', spec('a'), '--server', 'ssh://root:secret@198.19.200.6?addr=198.18.0.2'], code: EXIT.usage, message: /--server .* password: passwords are not accepted/ },
    // Nothing listens on port 2 of host b: the host is named, with what to do.
    { args: ['--client', spec('a'), '--server', spec('b', { port: 2 })], code: EXIT.environment, message: /server host root@[\d.]+:2/ },
  ];
  // Impairment (--impair): each refusal before anything changes on the host.
  const testDev = /dev (\S+)/.exec((await run('ip', ['-o', 'route', 'get', kit.hosts.b.testAddress], { netns: kit.hosts.a.netns })).stdout)![1];
  const both = ['--client', spec('a'), '--server', spec('b')];
  cases.push(
    { args: ['--impair', 'client:eth0'], code: EXIT.usage, message: /--impair applies to a run between two hosts/ },
    { args: [...both, '--impair', 'router:eth1'], code: EXIT.usage, message: /--impair router:eth1: no router given/ },
    { args: [...both, '--impair', 'client:nosuch0'], code: EXIT.environment, message: /client host root@[\d.]+: cannot impair: it has no interface nosuch0 \(it has .*mgmt0/ },
    // The session's own interface is refused, whatever netem would do there.
    { args: [...both, '--impair', 'client:mgmt0'], code: EXIT.environment, message: /cannot impair: mgmt0 carries bench's own SSH session \(from 198\.19\.200\.1\)/ },
    { args: ['--client', spec('a', { user: USER.name }), '--server', spec('b'), '--impair', `client:${testDev}`], code: EXIT.environment, message: new RegExp(`client host ${USER.name}@[\\d.]+: netem on ${testDev} needs root, and ${USER.name} is not root`) },
  );
  if (!NETEM_HERE) cases.push({ args: [...both, '--impair', `client:${testDev}`], code: EXIT.environment, message: /client host root@[\d.]+: cannot impair: its kernel \(.*\) has no sch_netem/ });
  // All at once: each waits mostly on its SSH round trips.
  const runs = await Promise.all(cases.map((c, i) => benchRemote([scenario, '--out', join(dir, `err-${i}`), ...c.args], 150_000)));
  for (const [i, c] of cases.entries()) {
    const out = join(dir, `err-${i}`);
    const r = runs[i];
    assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, c.message);
    t.diagnostic(`exit ${r.code}: ${r.stderr.trim().split('\n').filter((l) => l.startsWith('bench: error') || l.startsWith('  ')).join(' / ').slice(0, 400)}`);
    assert.equal(existsSync(out), false, `${out} not created`);
  }
  // bench cleanup --hosts: finds no netem of bench's on either host (and needs no local root for it).
  const cl = await run(process.execPath, [CLI, 'cleanup', '--hosts', await hostsFile()], { netns: kit.ctl, reject: false, timeoutMs: 60_000 });
  assert.equal(cl.exitCode, 0, cl.stderr);
  assert.match(cl.stdout, /nothing to clean up on the hosts|removed/);
  await hostsClean();
});
