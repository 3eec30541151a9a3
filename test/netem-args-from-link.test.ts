// Every link field -> the tc netem argv it produces, as data (this kernel has no sch_netem,
// so the command generation is what can be checked everywhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIFO_RATE_BITS_PER_SEC, netemArgs, netemCommands, parseTcStats } from '../netem/backend-netem.js';
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

test('commands: uplink on the client namespace, downlink on the server namespace', () => {
  const p = point({ delayMs: 10 }, { delayMs: 20, lossPct: 2 }).link;
  const [up, down] = netemCommands(p, 'bench-x-c', 'bench-x-s');
  assert.equal(up.ns, 'bench-x-c');
  assert.equal(down.ns, 'bench-x-s');
  assert.deepEqual(up.args.slice(8), ['delay', '10000us']);
  assert.deepEqual(down.args.slice(8), ['delay', '20000us', 'loss', 'random', '2%']);
});

test('tc -s qdisc readback is parsed into counters', () => {
  const text = `qdisc netem 8001: root refcnt 2 limit 1000 delay 25ms loss 1%
 Sent 123456 bytes 789 pkt (dropped 12, overlimits 0 requeues 3)
 backlog 3028b 2p requeues 3`;
  assert.deepEqual(parseTcStats(text), { sentBytes: 123456, sentPackets: 789, dropped: 12, backlogPackets: 2 });
  assert.equal(parseTcStats('garbage'), null);
});
