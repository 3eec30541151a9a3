// Every link field -> the tc netem argv it produces, where it goes, what is refused, and how
// the kernel's read-back compares, as data (so it is checked on kernels without sch_netem
// too; test/netem-real-kernel.test.ts checks the same against a real one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIFO_RATE_BITS_PER_SEC, netemArgs, netemRefusals, netemSettings, parseTcStats } from '../netem/backend-netem.js';
import { refuseForNetem } from '../netem/lab.js';
import { netemDifferences, parseQdiscJson } from '../netem/netem-readback.js';
import { netemPlacement, netemPlan } from '../netem/router.js';
import { InputError } from '../harness/core/errors.js';
import { netemLimitPackets } from '../netem/sizing.js';
import { dir, point } from './kit/testkit.js';
import type { LinkDirection } from '../harness/core/types.js';

const HEAD = ['qdisc', 'replace', 'dev', 'veth0', 'root', 'netem', 'limit', '1000'];

const cases: { name: string; d: Partial<LinkDirection>; tail: string[] }[] = [
  { name: 'no impairment still installs netem with zero delay', d: {}, tail: ['delay', '0us'] },
  { name: 'delay in microseconds', d: { delayMs: 25 }, tail: ['delay', '25000us'] },
  { name: 'fractional delay keeps microsecond precision', d: { delayMs: 0.25 }, tail: ['delay', '250us'] },
  {
    name: 'jitter without reorder adds a huge rate so netem keeps FIFO order',
    d: { delayMs: 25, jitterMs: 5 },
    tail: ['delay', '25000us', '5000us', 'rate', `${FIFO_RATE_BITS_PER_SEC}bit`],
  },
  { name: 'jitter with reorder allowed is plain netem jitter', d: { delayMs: 25, jitterMs: 5, reorder: true }, tail: ['delay', '25000us', '5000us'] },
  { name: 'random loss', d: { lossPct: 1 }, tail: ['delay', '0us', 'loss', 'random', '1%'] },
  { name: 'tiny loss is written without exponent', d: { lossPct: 0.0001 }, tail: ['delay', '0us', 'loss', 'random', '0.0001%'] },
  {
    name: 'Gilbert-Elliott: p r 1-h 1-k',
    d: { lossPct: 3, gilbert: { pPct: 1, rPct: 25, badLossPct: 100, goodLossPct: 0 } },
    tail: ['delay', '0us', 'loss', 'gemodel', '1%', '25%', '100%', '0%'],
  },
  {
    name: 'rate in bit/s of IP bytes (the Ethernet header taken off, as the emulator counts)',
    d: { rateBitsPerSec: 20e6 },
    tail: ['delay', '0us', 'rate', '20000000bit', '-14'],
  },
  {
    name: 'rate with jitter needs no FIFO rate (the real rate already keeps order)',
    d: { delayMs: 10, jitterMs: 2, rateBitsPerSec: 1e6 },
    tail: ['delay', '10000us', '2000us', 'rate', '1000000bit', '-14'],
  },
  {
    name: 'everything at once, in tc order',
    d: { delayMs: 300, jitterMs: 10, lossPct: 0.5, rateBitsPerSec: 5e6 },
    tail: ['delay', '300000us', '10000us', 'loss', 'random', '0.5%', 'rate', '5000000bit', '-14'],
  },
];

for (const c of cases) {
  test(`netem argv: ${c.name}`, () => {
    assert.deepEqual(netemArgs('veth0', dir(c.d), 1000), [...HEAD, ...c.tail]);
  });
}

test('queue limit: at least netem default, grows with the bandwidth-delay product', () => {
  const small = point({ delayMs: 5, rateBitsPerSec: 10e6 }).link;
  assert.equal(netemLimitPackets(small.uplink, small), 1000);
  // 1 Gbit/s over 100 ms each way: delay line 12.5 MB plus a 25 MB queue = 25000 packets.
  const big = point({ delayMs: 100, rateBitsPerSec: 1e9 }).link;
  assert.equal(netemLimitPackets(big.uplink, big), Math.ceil((1e9 / 8 * 0.1 + 1e9 / 8 * 0.2) / 1500));
  // Unlimited rate: sized from the assumed ceiling, never the 1000-packet default.
  const fast = point({ delayMs: 25 }).link;
  assert.ok(netemLimitPackets(fast.uplink, fast) > 10_000);
});

test('queue limit: an explicit packet limit is kept; a byte limit is converted', () => {
  const p = point({ delayMs: 10, limit: { packets: 123 } }).link;
  assert.equal(netemLimitPackets(p.uplink, p), 123);
  const b = point({ delayMs: 10, rateBitsPerSec: 8e6, limit: { bytes: 3_000_000 } }).link;
  // delay line 10 kB + 3 MB queue
  assert.equal(netemLimitPackets(b.uplink, b), Math.ceil((1e6 * 0.01 + 3_000_000) / 1500));
});

const NS = { client: 'bench-x-c', server: 'bench-x-s', router: 'bench-x-r' };

test('placement: netem on the router, uplink on its way to the server, downlink on its way to the client', () => {
  const p = point({ delayMs: 10 }, { delayMs: 20, lossPct: 2 }).link;
  const [up, down] = netemPlan(p, NS);
  assert.deepEqual([up.direction, up.ns, up.dev], ['uplink', 'bench-x-r', 'toserver']);
  assert.deepEqual([down.direction, down.ns, down.dev], ['downlink', 'bench-x-r', 'toclient']);
  assert.deepEqual(up.args.slice(0, 4), ['qdisc', 'replace', 'dev', 'toserver']);
  assert.deepEqual(up.args.slice(8), ['delay', '10000us']);
  assert.deepEqual(down.args.slice(8), ['delay', '20000us', 'loss', 'random', '2%']);
});

test('placement: the comparison-only endpoint placement puts each direction on its sender', () => {
  const p = point({ delayMs: 10 }).link;
  const [up, down] = netemPlan(p, NS, 'endpoints');
  assert.deepEqual([up.ns, up.dev, down.ns, down.dev], ['bench-x-c', 'veth0', 'bench-x-s', 'veth0']);
  assert.equal(netemPlacement({}), 'router');
  assert.equal(netemPlacement({ BENCH_DEV_NETEM_ON: 'endpoints' }), 'endpoints');
  assert.throws(() => netemPlacement({ BENCH_DEV_NETEM_ON: 'sender' }), /allowed: router, endpoints/);
});

test('reorder with a rate is refused for netem, naming the point and direction; reorder without a rate is not', () => {
  const bad = point({ delayMs: 10, jitterMs: 5, reorder: true, rateBitsPerSec: 5e6 }, { delayMs: 10, jitterMs: 5, reorder: true });
  const problems = netemRefusals({ ...bad, index: 3, label: 'rate=5mbit' });
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^point 3 \(rate=5mbit\) uplink: reorder: true with a rate cannot be emulated by netem/);
  assert.deepEqual(netemRefusals(point({ delayMs: 10, jitterMs: 5, reorder: true })), []);
  assert.deepEqual(netemRefusals(point({ delayMs: 10, jitterMs: 5, rateBitsPerSec: 5e6 })), []);
  assert.throws(() => refuseForNetem([bad]), (e: unknown) => e instanceof InputError && /use --backend userspace/.test(e.hint ?? ''));
});

// `tc -j qdisc show` from iproute2 6.1 on Debian's 6.1 kernel (captured in the netem VM).
const READBACK = {
  full: '[{"kind":"netem","handle":"8001:","root":true,"refcnt":3,"options":{"limit":1234,"delay":{"delay":0.025,"jitter":0.005,"correlation":0},"loss-random":{"loss":0.01,"correlation":0},"rate":{"rate":625000,"packetoverhead":-14,"cellsize":0,"celloverhead":0},"ecn":false,"gap":0}}]',
  fifo: '[{"kind":"netem","handle":"8001:","root":true,"refcnt":3,"options":{"limit":1000,"delay":{"delay":0.025,"jitter":0.005,"correlation":0},"rate":{"rate":125000000000,"packetoverhead":0,"cellsize":0,"celloverhead":0},"ecn":false,"gap":0}}]',
  gemodel: '[{"kind":"netem","handle":"8002:","root":true,"refcnt":3,"options":{"limit":1000,"loss-gemodel":{"p":0.01,"r":0.25,"1-h":1,"1-k":0},"ecn":false,"gap":0}}]',
  quantized: '[{"kind":"netem","handle":"8001:","root":true,"refcnt":3,"options":{"limit":1000,"delay":{"delay":0.000249,"jitter":0,"correlation":0},"loss-random":{"loss":1.00001e-06,"correlation":0},"rate":{"rate":154320,"packetoverhead":-14,"cellsize":0,"celloverhead":0},"ecn":false,"gap":0}}]',
  noqueue: '[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}}]',
};

test('read-back: what the kernel holds equals what bench set, within the units the kernel keeps', () => {
  const same = (d: Partial<LinkDirection>, limit: number, json: string): string[] => netemDifferences(netemSettings(dir(d), limit), parseQdiscJson(json)!);
  assert.deepEqual(same({ delayMs: 25, jitterMs: 5, lossPct: 1, rateBitsPerSec: 5e6 }, 1234, READBACK.full), []);
  assert.deepEqual(same({ delayMs: 25, jitterMs: 5 }, 1000, READBACK.fifo), []);
  assert.deepEqual(same({ gilbert: { pPct: 1, rPct: 25, badLossPct: 100, goodLossPct: 0 } }, 1000, READBACK.gemodel), []);
  // 250 us is 3906 ticks of 64 ns (249.98 us, printed 249); 1234567 bit/s is 154320 B/s.
  assert.deepEqual(same({ delayMs: 0.25, lossPct: 0.0001, rateBitsPerSec: 1234567 }, 1000, READBACK.quantized), []);
});

test('read-back: every real difference is named', () => {
  const want = netemSettings(dir({ delayMs: 25, jitterMs: 5, lossPct: 2, rateBitsPerSec: 6e6 }), 1000);
  const diffs = netemDifferences(want, parseQdiscJson(READBACK.full)!);
  assert.deepEqual(diffs, ['limit 1234 packets, asked 1000', 'loss 1 %, asked 2 %', 'rate 5000000 bit/s, asked 6000000 bit/s']);
  // A qdisc changed in place keeps options it was not given (netem_change): a stale rate shows.
  const stale = netemDifferences(netemSettings(dir({ delayMs: 25, jitterMs: 5, reorder: true }), 1000), parseQdiscJson(READBACK.fifo)!);
  assert.deepEqual(stale, ['rate 1000000000000, asked none']);
  assert.deepEqual(netemDifferences(want, parseQdiscJson(READBACK.noqueue)!), ['qdisc is noqueue, not netem']);
  assert.equal(parseQdiscJson('qdisc netem 8001: root'), null);
  const extra = READBACK.gemodel.replace('"ecn":false,"gap":0', '"duplicate":{"duplicate":0.01,"correlation":0},"ecn":false,"gap":5');
  assert.deepEqual(netemDifferences(netemSettings(dir({ gilbert: { pPct: 1, rPct: 25, badLossPct: 100, goodLossPct: 0 } }), 1000), parseQdiscJson(extra)!), [
    'has duplicate, which bench did not set',
    'has gap 5, which bench did not set',
  ]);
});

test('tc -s qdisc readback is parsed into counters', () => {
  const text = `qdisc netem 8001: root refcnt 2 limit 1000 delay 25ms loss 1%
 Sent 123456 bytes 789 pkt (dropped 12, overlimits 0 requeues 3)
 backlog 3028b 2p requeues 3`;
  assert.deepEqual(parseTcStats(text), { sentBytes: 123456, sentPackets: 789, dropped: 12, backlogPackets: 2 });
  assert.equal(parseTcStats('garbage'), null);
});
