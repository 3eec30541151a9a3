// The netem lab against a real sch_netem: client - router - server, netem on the router
// only, the kernel holding exactly what bench set, and what each setting does to packets
// (delay, loss, FIFO jitter, the rate counting IP bytes, the queue limit sized from the
// bandwidth-delay product). This kernel has no sch_netem, so these run inside Debian's
// kernel in a VM (test/netem-real-kernel.test.ts sets BENCH_REQUIRE_NETEM=1 there, which
// turns the skip into a failure); elsewhere they skip with the probe's reason.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { run, spawn } from '../harness/core/exec.js';
import { InputError } from '../harness/core/errors.js';
import { binomialInterval } from '../harness/core/stats.js';
import { UndoStack } from '../harness/core/undo.js';
import { probeNetem } from '../netem/backend-netem.js';
import { calibrate, expectedRttMs, probeLink } from '../netem/calibrate.js';
import { labUp, type Lab } from '../netem/lab.js';
import { netemDifferences, parseQdiscJson } from '../netem/netem-readback.js';
import { netemPlan, ROUTER_DEV, VETH_DEV } from '../netem/router.js';
import { listNamespaces } from '../netem/namespaces.js';
import { point, remains, skipUnlessRoot, testRunId, until } from './kit/testkit.js';
import type { LinkPoint } from '../harness/core/types.js';

const notRoot = skipUnlessRoot();
const probe = notRoot ? null : await probeNetem();
const required = process.env.BENCH_REQUIRE_NETEM === '1';
const skip = notRoot || (!probe!.ok && !required && `no sch_netem here: ${probe!.detail}`);
const undo = new UndoStack();
after(() => undo.run());

/** A lab of `p`; every test removes its own and checks nothing of it is left. */
async function withLab(p: LinkPoint, body: (lab: Lab) => Promise<void>): Promise<void> {
  const runId = testRunId('tn');
  const lab = await labUp({ runId, point: p, backend: 'netem', congestionControl: 'cubic', seed: 1, undo });
  try {
    await body(lab);
  } finally {
    await lab.down();
  }
  assert.deepEqual(await remains(runId), []);
}

async function qdisc(ns: string, dev: string): Promise<ReturnType<typeof parseQdiscJson>> {
  return parseQdiscJson((await run('tc', ['-j', '-n', ns, 'qdisc', 'show', 'dev', dev])).stdout);
}

/** Within a 99.99 % binomial interval: a genuine random check that fails by chance once in 10 000 runs. */
function assertLoss(lost: number, n: number, pct: number, what: string): void {
  const iv = binomialInterval(lost, n, 0.9999);
  assert.ok(iv.lo <= pct / 100 && pct / 100 <= iv.hi, `${what} loss ${lost}/${n}: 99.99 % interval ${iv.lo}-${iv.hi} misses ${pct} %`);
}

test('sch_netem is there (the VM job requires it)', { skip: !required && 'only where BENCH_REQUIRE_NETEM=1' }, () => {
  assert.ok(probe?.ok, `no sch_netem: ${probe?.detail}`);
});

test('netem lab: three namespaces, netem on the router egress only, read back as set; delay and loss as configured', { skip }, async (t) => {
  const p = point({ delayMs: 10, lossPct: 5 }, { delayMs: 15, rateBitsPerSec: 5e6 });
  await withLab(p, async (lab) => {
    const ns = { client: lab.clientNs!, server: lab.serverNs!, router: lab.record.applied.router!.namespace };
    assert.equal(ns.router, `bench-${lab.runId}-r`);
    assert.ok((await listNamespaces()).includes(ns.router));
    assert.deepEqual(lab.record.applied.router, { namespace: ns.router, uplinkDev: 'toserver', downlinkDev: 'toclient', netemOn: 'router' });
    // What the backend generated is what the kernel holds; the endpoints have no qdisc.
    for (const s of netemPlan(p.link, ns)) assert.deepEqual(netemDifferences(s.settings, (await qdisc(s.ns, s.dev))!), [], `${s.direction} on ${s.dev}`);
    for (const end of [ns.client, ns.server]) assert.equal((await qdisc(end, VETH_DEV))?.kind, 'noqueue', end);
    assert.deepEqual(lab.record.warnings, []);

    // 200 probes/s: what real-time TCG guests were measured to keep up with (the netem VM's
    // virtual time keeps up with more, but each probe costs wall time there).
    const cal = await calibrate(lab, { probes: 1000, intervalMs: 5 });
    const configured = expectedRttMs(p.link.uplink, p.link.downlink, cal.payloadBytes);
    t.diagnostic(`RTT min ${cal.rttMs.min.toFixed(3)} p50 ${cal.rttMs.p50.toFixed(3)} p99 ${cal.rttMs.p99.toFixed(3)} ms, configured ${configured.toFixed(3)}; uplink loss ${cal.uplinkLost}/${cal.probes}`);
    assert.ok(cal.rttMs.min >= configured, `minimum RTT ${cal.rttMs.min} ms below the configured ${configured} ms`);
    assert.ok(cal.rttMs.min <= configured + 3, `minimum RTT ${cal.rttMs.min} ms, configured ${configured} ms`);
    assertLoss(cal.uplinkLost, cal.probes, 5, 'uplink');
    assert.equal(cal.downlinkLost, 0);
    // Only the probes crossed the router (no ARP, no IPv6), and the router's netem is what dropped them.
    const c = (await lab.emulatorCounters())!;
    assert.equal(c.up_dropped, cal.uplinkLost, JSON.stringify(c));
    assert.equal(c.up_forwarded, cal.probes - cal.uplinkLost, JSON.stringify(c));
    assert.equal(c.down_forwarded, cal.probes - cal.uplinkLost, JSON.stringify(c));
  });
});

test('jitter never reorders unless reorder: true (netem gets a rate, which keeps it FIFO)', { skip }, async (t) => {
  const reorderedBy: Record<string, number> = {};
  for (const reorder of [false, true]) {
    await withLab(point({ delayMs: 10, jitterMs: 5, reorder }), async (lab) => {
      // Probes 2 ms apart with +-5 ms jitter each way: plain netem jitter reorders many of them.
      const r = await probeLink(lab, { probes: 500, payloadBytes: 64, intervalMs: 2, waitMs: 500 });
      const min = Math.min(...r.rttMs);
      const max = Math.max(...r.rttMs);
      // The physical bound only: no probe beats 2 x (10 - 5) ms. The upper end is a timing
      // tail, which the guest's own processing stretches (36 ms seen at -icount shift=1).
      assert.ok(min >= 10, `RTT ${min} ms below 2 x (10 - 5) ms`);
      assert.ok(max - min > 5, `jitter applied: RTT ${min}-${max} ms`);
      reorderedBy[String(reorder)] = r.reordered;
      t.diagnostic(`reorder: ${reorder}: RTT ${min.toFixed(3)}-${max.toFixed(3)} ms, ${r.reordered} of ${r.answered} answers reordered`);
    });
  }
  assert.equal(reorderedBy.false, 0, 'FIFO jitter reordered probes');
  assert.ok(reorderedBy.true > 10, `reorder: true reordered only ${reorderedBy.true} of 500 probes`);
});

/**
 * A paced UDP sender (client) and a receiver (server) that reports what arrived: count,
 * bytes and the first and last arrival times. Plain node scripts, one per namespace.
 */
const RECEIVER = `const d = require('dgram').createSocket('udp4'); let n = 0, bytes = 0, first = 0n, last = 0n, t;
const done = () => { process.stdout.write(JSON.stringify({ n, bytes, ns: String(last - first) }) + '\\n'); process.exit(0); };
d.on('message', (m) => { const now = process.hrtime.bigint(); if (!n) first = now; last = now; n++; bytes += m.length; clearTimeout(t); t = setTimeout(done, 1000); });
d.bind(5001, process.argv[1], () => process.stdout.write('ready\\n'));`;
const SENDER = `const [to, count, size, perMs] = process.argv.slice(1); const d = require('dgram').createSocket('udp4'); const buf = Buffer.alloc(Number(size));
let sent = 0; const tick = setInterval(() => { for (let i = 0; i < Number(perMs) && sent < Number(count); i++, sent++) d.send(buf, 5001, to);
  if (sent >= Number(count)) { clearInterval(tick); setTimeout(() => d.close(), 100); } }, 1);`;

async function flood(lab: Lab, o: { count: number; payloadBytes: number; perMs: number }): Promise<{ n: number; bytes: number; ns: string }> {
  const rx = spawn(process.execPath, ['-e', RECEIVER, lab.serverAddr], { netns: lab.serverNs, stdinPipe: false });
  let out = '';
  let err = '';
  let exited = false;
  rx.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  rx.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  void rx.then(() => (exited = true));
  // Generous: in the VM, a process's first start reads its files over 9p, which costs virtual time.
  await until(() => out.includes('ready') || exited, 60_000, `the UDP receiver to start (${err.trim()})`);
  assert.ok(out.includes('ready'), `the UDP receiver exited: ${err.trim()}`);
  await run(process.execPath, ['-e', SENDER, lab.serverAddr, String(o.count), String(o.payloadBytes), String(o.perMs)], { netns: lab.clientNs, timeoutMs: 60_000 });
  await rx;
  return JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { n: number; bytes: number; ns: string };
}

test('the rate counts IP bytes: 128-byte packets arrive at the configured rate, not 14/142 slower', { skip }, async (t) => {
  const rate = 2e6;
  await withLab(point({ rateBitsPerSec: rate }), async (lab) => {
    // 100-byte payloads = 128 IP bytes = 142 on the wire: counting the Ethernet header would
    // give 1.80 Mbit/s of IP. Sent at ~5 x the rate for 2 s: the queue never runs dry (it overflows).
    const r = await flood(lab, { count: 20000, payloadBytes: 100, perMs: 10 });
    const ipBits = (r.n - 1) * (100 + 28) * 8; // the first packet starts the clock
    const measured = ipBits / (Number(r.ns) / 1e9);
    t.diagnostic(`IP rate ${(measured / 1e6).toFixed(4)} Mbit/s over ${r.n} packets of 128 bytes, configured ${rate / 1e6}`);
    assert.ok(Math.abs(measured / rate - 1) < 0.02, `IP rate ${(measured / 1e6).toFixed(4)} Mbit/s over ${r.n} packets, configured ${rate / 1e6}`);
  });
});

test("queue limit from the bandwidth-delay product: 3000 packets in flight on a 500 ms link, where netem's default 1000 drops", { skip }, async (t) => {
  await withLab(point({ delayMs: 500 }, { delayMs: 500 }), async (lab) => {
    const router = lab.record.applied.router!.namespace;
    const limit = parseQdiscJson((await run('tc', ['-j', '-n', router, 'qdisc', 'show', 'dev', ROUTER_DEV.toServer])).stdout);
    assert.ok(limit?.kind === 'netem' && 'settings' in limit && limit.settings.limitPackets > 3000, JSON.stringify(limit));
    const before = (await lab.emulatorCounters())!;
    // 3000 x 1400 bytes within ~0.3 s: all of them wait in netem at once.
    await flood(lab, { count: 3000, payloadBytes: 1400, perMs: 10 });
    const c = (await lab.emulatorCounters())!;
    assert.equal(c.up_forwarded - before.up_forwarded, 3000, JSON.stringify(c));
    assert.equal(c.up_dropped, 0);
    // The control: the same flood through netem's default limit loses two thirds of it.
    await run('tc', ['-n', router, 'qdisc', 'replace', 'dev', ROUTER_DEV.toServer, 'root', 'netem', 'limit', '1000', 'delay', '500ms']);
    await flood(lab, { count: 3000, payloadBytes: 1400, perMs: 10 });
    const d = (await lab.emulatorCounters())!;
    t.diagnostic(`limit ${limit.settings.limitPackets}: 0 of 3000 dropped; limit 1000: ${d.up_dropped} of 3000 dropped`);
    assert.ok(d.up_dropped >= 1900, `default limit dropped only ${d.up_dropped} of 3000: ${JSON.stringify(d)}`);
  });
});

test('reorder: true with a rate is refused before anything is built', { skip }, async () => {
  const runId = testRunId('tn');
  const p = point({ delayMs: 10, jitterMs: 5, reorder: true, rateBitsPerSec: 5e6 });
  await assert.rejects(labUp({ runId, point: p, backend: 'netem', congestionControl: 'cubic', seed: 1, undo }), (e: unknown) => e instanceof InputError && /uplink: reorder: true with a rate/.test(e.message));
  assert.deepEqual(await remains(runId), []);
});

test('a lab that fails midway (unknown congestion control) leaves nothing behind', { skip }, async () => {
  const runId = testRunId('tn');
  const mine = new UndoStack();
  await assert.rejects(labUp({ runId, point: point({ delayMs: 5 }), backend: 'netem', congestionControl: 'nosuchcc', seed: 1, undo: mine }), /nosuchcc/);
  assert.ok((await listNamespaces()).includes(`bench-${runId}-r`), 'the router existed when it failed');
  assert.deepEqual(await mine.run(), []);
  assert.deepEqual(await remains(runId), []);
});
