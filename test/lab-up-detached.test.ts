// `bench lab up` leaves a calibrated lab running after the CLI exits (detached emulator,
// state file), prints how to use it with any tool, and `bench lab down` removes it.
// `bench doctor` reports the backend auto would pick.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from '../harness/core/exec.js';
import { cleanup } from '../netem/cleanup.js';
import { CLI, listening, remains, skipUnlessRoot, testRunId } from './kit/testkit.js';

const skip = skipUnlessRoot();
const dir = mkdtempSync(join(tmpdir(), 'bench-lab-up-'));
const scenario = join(dir, 'lab.yaml');
writeFileSync(scenario, 'name: detached\ndescription: lab for the lab up test\nlink:\n  delay: 5ms\n  rate: 50mbit\ntransports: [tcp]\nworkloads:\n  - echo: { payload: 64B, count: 1 }\n');
const runId = testRunId('tu');
after(async () => {
  await cleanup({ runId });
  rmSync(dir, { recursive: true, force: true });
});

function bench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('lab up: detached lab outlives the CLI, usable by any tool, removed by lab down', { skip, timeout: 90_000 }, async () => {
  const up = bench('lab', 'up', scenario, '--backend', 'userspace', '--run-id', runId, '--probes', '100');
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`lab ${runId} is up \\(backend userspace`));
  assert.match(up.stdout, new RegExp(`ip netns exec bench-${runId}-s iperf3 -s`));
  assert.match(up.stdout, new RegExp(`ip netns exec bench-${runId}-c iperf3 -c 198\\.18\\.0\\.2`));
  // delay 5ms each way: the RTT can be longer on a busy machine, never shorter.
  const rtt = /calibrated: RTT p50 (\d+\.\d+) ms/.exec(up.stdout);
  assert.ok(rtt && Number(rtt[1]) >= 10, `calibrated RTT p50 at least the configured 10 ms: ${up.stdout}`);
  assert.match(up.stdout, new RegExp(`bench lab down ${runId}`));
  const left = await remains(runId);
  assert.ok(left.some((l) => l.startsWith('linkemu')), `emulator survived the CLI: ${left.join(', ')}`);
  assert.match(bench('lab', 'list').stdout, new RegExp(`${runId}\\s+userspace\\s+detached`));

  // iperf3 is installed wherever this runs as root (.ci/apt-packages): its absence is a
  // failure, not a silent skip.
  assert.ok(await hasCommand('iperf3'), 'iperf3 is not installed (apt-get install iperf3; it is in .ci/apt-packages)');
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const s = spawnSync('ip', ['netns', 'exec', `bench-${runId}-s`, 'iperf3', '-s', '-D', '-1', '-p', port]);
  assert.equal(s.status, 0);
  await listening(`bench-${runId}-s`, port); // -D returns before iperf3 listens
  const c = spawnSync('ip', ['netns', 'exec', `bench-${runId}-c`, 'iperf3', '-c', '198.18.0.2', '-p', port, '-t', '2', '-J'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(c.status, 0, c.stderr);
  const bps = (JSON.parse(c.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
  // Goodput (TCP payload) below the 50 Mbit/s of IP bytes; 4 % for iperf3's interval edges.
  assert.ok(bps > 0 && bps <= 50e6 * 1.04, `iperf3 over the 50 Mbit/s lab: ${(bps / 1e6).toFixed(1)} Mbit/s`);

  const down = bench('lab', 'down', runId);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, new RegExp(`lab ${runId} removed; emulator counters: \\{.*"up_forwarded":[1-9]`));
  assert.deepEqual(await remains(runId), []);
  const again = bench('lab', 'down', runId);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /no lab/);
});

test('lab up refuses a point the scenario does not have, before building anything', { skip }, () => {
  const r = bench('lab', 'up', scenario, '--point', '3', '--run-id', testRunId('tu'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /has no point 3 \(allowed: 0 \(/);
});

test('doctor: names the backend auto would use and why; exit 0 when one is usable', { skip }, () => {
  const r = bench('doctor');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /backend: --backend auto would use (netem|userspace) \(/);
  assert.match(r.stdout, /^ok\s+tun\s/m);
  const j = JSON.parse(bench('doctor', '--json').stdout) as { usable: boolean; auto: { backend: string } };
  assert.equal(j.usable, true);
  assert.ok(['netem', 'userspace'].includes(j.auto.backend));
});
