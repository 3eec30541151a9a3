// Every link field -> the userspace emulator's direction spec, as data; plus the sizing
// rules both backends share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directionSpec, emulatorArgs, parseCounters } from '../netem/backend-userspace.js';
import { expectedLoss, impairments, lossSampleFactor, queueLimitBytes, tcpBufferMaxBytes } from '../netem/sizing.js';
import { expectedRttMs, minIntervalMs } from '../netem/calibrate.js';
import { dir, point } from './kit/testkit.js';
import type { LinkDirection } from '../harness/core/types.js';

const cases: { name: string; d: Partial<LinkDirection>; spec: string }[] = [
  { name: 'nothing', d: {}, spec: 'delay_us=0' },
  { name: 'delay', d: { delayMs: 25 }, spec: 'delay_us=25000' },
  { name: 'jitter keeps FIFO by default', d: { delayMs: 25, jitterMs: 3 }, spec: 'delay_us=25000,jitter_us=3000,reorder=0' },
  { name: 'jitter may reorder when asked', d: { delayMs: 25, jitterMs: 3, reorder: true }, spec: 'delay_us=25000,jitter_us=3000,reorder=1' },
  { name: 'Bernoulli loss', d: { lossPct: 0.5 }, spec: 'delay_us=0,loss_pct=0.5' },
  {
    name: 'Gilbert-Elliott wins over lossPct',
    d: { lossPct: 9, gilbert: { pPct: 1, rPct: 25, badLossPct: 100, goodLossPct: 0.1 } },
    spec: 'delay_us=0,ge=1:25:100:0.1',
  },
  // 20 Mbit/s over a 50 ms RTT: one BDP = 125000 bytes of queue.
  { name: 'rate with a BDP queue', d: { delayMs: 25, rateBitsPerSec: 20e6 }, spec: 'delay_us=25000,rate_bps=20000000,limit_bytes=125000' },
  { name: 'rate on a short link gets the 64 KiB floor', d: { delayMs: 1, rateBitsPerSec: 1e6 }, spec: 'delay_us=1000,rate_bps=1000000,limit_bytes=65536' },
  { name: 'explicit byte limit', d: { rateBitsPerSec: 1e6, limit: { bytes: 30000 } }, spec: 'delay_us=0,rate_bps=1000000,limit_bytes=30000' },
  { name: 'packet limit counts MTU-size packets', d: { rateBitsPerSec: 1e6, limit: { packets: 10 } }, spec: 'delay_us=0,rate_bps=1000000,limit_bytes=15000' },
];

for (const c of cases) {
  test(`emulator spec: ${c.name}`, () => {
    const p = point(c.d);
    assert.equal(directionSpec(p.link.uplink, p.link), c.spec);
  });
}

test('emulator argv: namespaces by path, tag, seed, both directions, daemon and stats file', () => {
  const p = point({ delayMs: 10 }, { delayMs: 20 });
  const args = emulatorArgs({ clientNs: 'bench-r-c', serverNs: 'bench-r-s', link: p.link, seed: 7, tag: 'bench-r', daemon: true, statsFile: '/run/bench/r.stats.json' });
  const opt = (k: string): string | undefined => args[args.indexOf(k) + 1];
  assert.equal(opt('--client-ns'), '/run/netns/bench-r-c');
  assert.equal(opt('--server-ns'), '/run/netns/bench-r-s');
  assert.equal(opt('--tag'), 'bench-r');
  assert.equal(opt('--seed'), '7');
  assert.equal(opt('--up'), 'delay_us=10000');
  assert.equal(opt('--down'), 'delay_us=20000');
  assert.equal(opt('--txqueuelen'), '10000');
  assert.ok(args.includes('--daemon'));
  assert.equal(opt('--stats-file'), '/run/bench/r.stats.json');
});

test('counters line parses; the ready event is not counters', () => {
  assert.deepEqual(parseCounters('{"uptime_ms":5,"up_forwarded":3}'), { uptime_ms: 5, up_forwarded: 3 });
  assert.equal(parseCounters('{"event":"ready","pid":3}'), null);
  assert.equal(parseCounters('nope'), null);
});

test('TCP buffers: 4 MiB floor, 4 x BDP above it, 256 MiB cap', () => {
  assert.equal(tcpBufferMaxBytes(point({ delayMs: 1, rateBitsPerSec: 1e6 }).link, 'userspace'), 4 * 1024 * 1024);
  // 1 Gbit/s, 50 ms RTT: BDP 6.25 MB -> 25 MB
  assert.equal(tcpBufferMaxBytes(point({ delayMs: 25, rateBitsPerSec: 1e9 }).link, 'userspace'), 25_000_000);
  // unlimited rate on userspace: the 2 Gbit/s ceiling, 50 ms -> 50 MB
  assert.equal(tcpBufferMaxBytes(point({ delayMs: 25 }).link, 'userspace'), 50_000_000);
  assert.equal(tcpBufferMaxBytes(point({ delayMs: 500 }).link, 'netem'), 256 * 1024 * 1024);
});

test('queue limit is null without a rate limit', () => {
  const p = point({ delayMs: 25 });
  assert.equal(queueLimitBytes(p.link.uplink, p.link), null);
});

test('expected loss: Bernoulli as configured, Gilbert-Elliott as its stationary mix', () => {
  assert.equal(expectedLoss(dir({ lossPct: 5 })), 0.05);
  // p=1 %, r=24 %: bad 4 % of the time, lossy 100 % there -> 4 %
  assert.ok(Math.abs(expectedLoss(dir({ gilbert: { pPct: 1, rPct: 24, badLossPct: 100, goodLossPct: 0 } })) - 0.04) < 1e-12);
  assert.equal(lossSampleFactor(dir({ lossPct: 5 })), 1);
  assert.ok(lossSampleFactor(dir({ gilbert: { pPct: 1, rPct: 24, badLossPct: 100, goodLossPct: 0 } })) < 0.2);
});

test('impairments lists what a loopback lab cannot do', () => {
  assert.deepEqual(impairments(dir()), []);
  assert.deepEqual(impairments(dir({ delayMs: 1, rateBitsPerSec: 1e6 })), ['delay 1 ms', 'rate 1000000 bit/s']);
});

test('calibration pacing and expected RTT include the rate limit', () => {
  const up = dir({ delayMs: 25, rateBitsPerSec: 1e6 });
  const down = dir({ delayMs: 25 });
  // 92 bytes per probe may use 5 % of 1 Mbit/s -> one probe per 14.72 ms
  assert.ok(Math.abs(minIntervalMs(up, down, 64) - 14.72) < 1e-9);
  assert.equal(minIntervalMs(dir(), dir(), 64), 0);
  assert.ok(Math.abs(expectedRttMs(up, down, 64) - (50 + 0.736)) < 1e-9);
});
