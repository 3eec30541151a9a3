// Values the link backends or Node's timers refuse are refused by the parser, at their
// position, before any lab exists (issue 16, item 6): before, 1e36 bit/s, a 1e9 s delay,
// jitter above delay and a 1000000GB queue built a lab that then failed (exit 4), and a
// timeout above 2^31 ms made every cell fail in 3 ms. The bounds are the link emulator's
// (netem/emulator/linkemu.c) and tc's, cited in harness/scenario-bounds.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EMULATOR_BIN } from '../harness/core/native.js';
import { directionSpec } from '../netem/backend-userspace.js';
import { parseScenario } from '../harness/scenario/load.js';
import { formatProblem, ScenarioError } from '../harness/scenario/source.js';
import { MAX_DELAY_MS, MAX_LIMIT_BYTES, MAX_RATE_BITS_PER_SEC } from '../harness/scenario/bounds.js';
import { TIMER_MAX_MS } from '../harness/core/problems.js';

const FILE = 'bad.yaml';
const HEAD = 'name: t\ndescription: d\n';

async function problems(text: string): Promise<string[]> {
  try {
    await parseScenario(FILE, text);
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`);
    return err.problems.map(formatProblem);
  }
  assert.fail('the scenario was accepted');
}

async function rejects(text: string, expected: string[]): Promise<void> {
  assert.deepEqual(await problems(text), expected.map((e) => `${FILE}:${e}`));
}

const accepts = async (text: string): Promise<void> => void (await parseScenario(FILE, text));

test('the reproductions of the issue are refused, each at its value', async () => {
  await rejects(`${HEAD}link:\n  rate: 1000000000000000000000000000000000000bit\n`, [
    '4:9 link.rate: "1000000000000000000000000000000000000bit" is more than 1000gbit (allowed: 8bit to 1000gbit, or unlimited)',
  ]);
  await rejects(`${HEAD}link:\n  delay: 1000000000s\n`, ['4:10 link.delay: "1000000000s" is more than 60s (allowed: 0s to 60s, the link emulator\'s range)']);
  await rejects(`${HEAD}link:\n  limit: 1000000GB\n  rate: 10mbit\n`, ['4:10 link.limit: "1000000GB" is more than 10GB (allowed: auto, 1B to 10GB, 1p to 6666666p)']);
  await rejects(`${HEAD}link:\n  delay: 10ms\n  jitter: 20ms\n`, [
    '5:11 link.jitter: uplink jitter 20ms exceeds its delay 10ms: a packet would leave before it was sent (allowed: jitter <= delay in each direction)',
    '5:11 link.jitter: downlink jitter 20ms exceeds its delay 10ms: a packet would leave before it was sent (allowed: jitter <= delay in each direction)',
  ]);
  await rejects(`${HEAD}timeout: 2147484s\n`, ['3:10 timeout: "2147484s" is 2147484000 ms, more than Node\'s timers hold (allowed: at most 2147483647 ms, about 24.8 days)']);
});

test('every bound is inclusive: the largest accepted value passes, the next one does not', async () => {
  await accepts(`${HEAD}link:\n  delay: 60s\n  jitter: 60s\n  rate: 1000gbit\n  limit: 10GB\n`);
  await accepts(`${HEAD}link:\n  rate: 8bit\n  limit: 6666666p\n`);
  await accepts(`${HEAD}timeout: 2147483.647s\nworkloads:\n  - echo: { duration: 2147483647ms, idleTimeout: 2147483647ms }\n`);
  assert.deepEqual([MAX_DELAY_MS, MAX_RATE_BITS_PER_SEC, MAX_LIMIT_BYTES, TIMER_MAX_MS], [60_000, 1e12, 1e10, 2 ** 31 - 1]);
  await rejects(`${HEAD}link:\n  delay: 60.001s\n`, ['4:10 link.delay: "60.001s" is more than 60s (allowed: 0s to 60s, the link emulator\'s range)']);
  await rejects(`${HEAD}link:\n  uplink:\n    jitter: 60001ms\n`, ['5:13 link.uplink.jitter: "60001ms" is more than 60s (allowed: 0s to 60s, the link emulator\'s range)']);
  await rejects(`${HEAD}link:\n  rate: 1000.001gbit\n`, ['4:9 link.rate: "1000.001gbit" is more than 1000gbit (allowed: 8bit to 1000gbit, or unlimited)']);
  await rejects(`${HEAD}link:\n  rate: 7bit\n`, ['4:9 link.rate: "7bit" is less than 8bit, which tc would round to no limit at all (allowed: 8bit to 1000gbit, or unlimited)']);
  await rejects(`${HEAD}link:\n  limit: 6666667p\n`, ['4:10 link.limit: "6666667p" is more than 6666666 packets of 1500 bytes (allowed: auto, 1B to 10GB, 1p to 6666666p)']);
  await rejects(`${HEAD}workloads:\n  - bulk: { duration: 2147483648ms }\n`, [
    '4:23 workloads[0].bulk.duration: "2147483648ms" is 2147483648 ms, more than Node\'s timers hold (allowed: at most 2147483647 ms, about 24.8 days)',
  ]);
  await rejects(`${HEAD}transports:\n  - name: relay\n    server: s\n    client: c {clientPort}\n    readyTimeout: 2147484s\n`, [
    '7:19 transports[0].readyTimeout: "2147484s" is 2147484000 ms, more than Node\'s timers hold (allowed: at most 2147483647 ms, about 24.8 days)',
  ]);
});

test('jitter above delay: per direction, at the swept element, once however many points share it', async () => {
  // Equal is fine (delays spread over 0..2x delay); only the uplink's jitter is too large here.
  await accepts(`${HEAD}link:\n  delay: 10ms\n  jitter: 10ms\n`);
  await rejects(`${HEAD}link:\n  delay: 10ms\n  uplink:\n    jitter: 15ms\n`, [
    '6:13 link.uplink.jitter: uplink jitter 15ms exceeds its delay 10ms: a packet would leave before it was sent (allowed: jitter <= delay in each direction)',
  ]);
  await rejects(`${HEAD}link:\n  delay: [5ms, 50ms]\n  jitter: [1ms, 20ms]\n  loss: [0%, 1%]\n`, [
    '5:17 link.jitter[1]: uplink jitter 20ms exceeds its delay 5ms: a packet would leave before it was sent (allowed: jitter <= delay in each direction)',
    '5:17 link.jitter[1]: downlink jitter 20ms exceeds its delay 5ms: a packet would leave before it was sent (allowed: jitter <= delay in each direction)',
  ]);
});

test('the largest values the parser accepts are accepted by the real emulator, one step beyond is refused by it', { skip: existsSync(EMULATOR_BIN) ? false : `emulator not built (${EMULATOR_BIN})` }, async () => {
  // Valid arguments get as far as entering the (missing) namespace: exit 1; a refused
  // argument is a usage error before that: exit 2.
  const emulator = (up: string, down: string) => spawnSync(EMULATOR_BIN, ['--client-ns', '/nonexistent/c', '--server-ns', '/nonexistent/s', '--up', up, '--down', down], { encoding: 'utf8', timeout: 5000 });
  for (const link of ['delay: 60s\n  jitter: 60s\n  rate: 1000gbit\n  limit: 10GB', 'rate: 8bit\n  limit: 6666666p']) {
    const s = await parseScenario(FILE, `${HEAD}link:\n  ${link}\n`);
    const l = s.points[0]!.link;
    const r = emulator(directionSpec(l.uplink, l), directionSpec(l.downlink, l));
    assert.equal(r.status, 1, `${link}: ${r.stderr}`);
    assert.match(r.stderr, /enter \/nonexistent\/c/);
  }
  for (const spec of ['delay_us=60000001', 'delay_us=60000000,jitter_us=60000001', 'rate_bps=1000000000001', 'rate_bps=1000,limit_bytes=10000000001']) {
    const r = emulator(spec, 'delay_us=0');
    assert.equal(r.status, 2, `${spec}: ${r.stderr}`);
  }
});
