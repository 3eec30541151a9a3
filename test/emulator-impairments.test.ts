// The userspace emulator does what the link asks, measured end to end through a real lab:
// delay, loss (Bernoulli and Gilbert-Elliott) inside its 99 % interval, FIFO jitter, rate.
// Timing is only checked against physical bounds (no packet arrives before its configured
// delay, nothing passes faster than the configured rate): the machine is shared and noisy,
// so latency can only grow and throughput only shrink under load.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from '../harness/core/exec.js';
import { binomialInterval } from '../harness/core/stats.js';
import type { LinkDirection } from '../harness/core/types.js';
import { UndoStack } from '../harness/core/undo.js';
import { calibrate, probeLink } from '../netem/calibrate.js';
import { labUp, type Lab } from '../netem/lab.js';
import { expectedLoss, lossSampleFactor } from '../netem/sizing.js';
import { listening, point, skipUnlessRoot, testRunId } from './kit/testkit.js';
import { hasCommand } from '../harness/core/exec.js';

const skip = skipUnlessRoot();
const undo = new UndoStack();
after(() => undo.run());

async function lab(up: Partial<LinkDirection>, down: Partial<LinkDirection> = up): Promise<Lab> {
  return labUp({ runId: testRunId('te'), point: point(up, down), backend: 'userspace', congestionControl: 'cubic', seed: 42, undo });
}

function within(lost: number, n: number, d: LinkDirection): void {
  const nEff = Math.max(1, Math.round(n * lossSampleFactor(d)));
  const iv = binomialInterval(Math.round((lost / n) * nEff), nEff, 0.99);
  const p = expectedLoss(d);
  assert.ok(p >= iv.lo && p <= iv.hi, `loss ${lost}/${n} = ${((100 * lost) / n).toFixed(2)} %: 99 % interval ${(iv.lo * 100).toFixed(2)}-${(iv.hi * 100).toFixed(2)} % misses ${(p * 100).toFixed(2)} %`);
}

test('delay: asymmetric one-way delays add up, and no probe comes back before their sum', { skip }, async () => {
  const l = await lab({ delayMs: 10 }, { delayMs: 20 });
  const cal = await calibrate(l, { probes: 150, intervalMs: 5 });
  // Every probe waits 10 ms one way and 20 ms back: the emulator never releases a packet early.
  assert.ok(cal.rttMs.min >= 30, `RTT min ${cal.rttMs.min} ms (p50 ${cal.rttMs.p50}), configured 30 ms`);
  const c0 = (await l.emulatorCounters())!;
  assert.ok(c0.up_delay_error_us_mean >= 0 && c0.down_delay_error_us_mean >= 0, `the emulator's own delay error is lateness only: ${JSON.stringify(c0)}`);
  assert.equal(cal.uplinkLost + cal.downlinkLost, 0);
  const c = await l.emulatorCounters();
  assert.ok(c && c.up_forwarded >= 150 && c.down_forwarded >= 150, JSON.stringify(c));
  await l.down();
  assert.ok((l.record.emulatorCounters?.up_forwarded ?? 0) >= 150, 'final counters are kept in the record');
});

/** Calibration attributes loss to the link exactly, unless a probe agent's own socket
 * overflowed (a stalled process on a busy host): then it says so and overstates, never hides. */
function attributed(lab: Lab, calLost: number, linkDropped: number, dir: string): void {
  const overrun = lab.record.warnings.some((w) => w.code === 'calibration-probe-overrun');
  if (!overrun) assert.equal(calLost, linkDropped, `every ${dir} probe lost was dropped by the loss model`);
  else assert.ok(calLost >= linkDropped, `${dir}: calibration counted ${calLost} lost, the link dropped ${linkDropped}`);
}

test('Bernoulli loss per direction lies in its 99 % binomial interval, and calibration says so', { skip }, async () => {
  const l = await lab({ delayMs: 1, lossPct: 5 }, { delayMs: 1, lossPct: 2 });
  const cal = await calibrate(l, { probes: 4000, intervalMs: 0.5 });
  // The link's own decisions (seeded) against the configured rate...
  const c = (await l.emulatorCounters())!;
  within(c.up_dropped_loss, c.up_dropped_loss + c.up_forwarded, l.record.configured.uplink);
  within(c.down_dropped_loss, c.down_dropped_loss + c.down_forwarded, l.record.configured.downlink);
  // ...and calibration's end-to-end view of them, per direction.
  attributed(l, cal.uplinkLost, c.up_dropped_loss, 'uplink');
  attributed(l, cal.downlinkLost, c.down_dropped_loss, 'downlink');
  if (!l.record.warnings.some((w) => w.code === 'calibration-probe-overrun')) {
    assert.deepEqual(l.record.warnings.filter((w) => w.code.startsWith('calibration-loss')), []);
  }
  await l.down();
});

test('Gilbert-Elliott loss: bursty, long-run rate in its (widened) interval', { skip }, async () => {
  const ge = { pPct: 2, rPct: 20, badLossPct: 100, goodLossPct: 0 };
  const l = await lab({ delayMs: 1, gilbert: ge }, { delayMs: 1 });
  const cal = await calibrate(l, { probes: 4000, intervalMs: 0.5 });
  const c = (await l.emulatorCounters())!;
  within(c.up_dropped_loss, c.up_dropped_loss + c.up_forwarded, l.record.configured.uplink);
  assert.equal(c.down_dropped_loss, 0);
  attributed(l, cal.uplinkLost, c.up_dropped_loss, 'uplink');
  attributed(l, cal.downlinkLost, 0, 'downlink');
  await l.down();
});

test('jitter without reorder never reorders; with reorder it does', { skip }, async () => {
  for (const reorder of [false, true]) {
    const l = await lab({ delayMs: 10, jitterMs: 5, reorder });
    const r = await probeLink(l, { probes: 600, payloadBytes: 64, intervalMs: 0.5, waitMs: 500 });
    assert.ok(r.answered + r.socketDrops >= 600, `answered ${r.answered}, dropped by a probe socket ${r.socketDrops}, of 600`);
    if (reorder) assert.ok(r.reordered > 0, 'jitter of +-5 ms at 0.5 ms spacing must reorder when allowed');
    else assert.equal(r.reordered, 0, 'a packet never leaves before its predecessor');
    const spread = Math.max(...r.rttMs) - Math.min(...r.rttMs);
    assert.ok(spread > 5, `jitter visible in the RTT spread (${spread.toFixed(2)} ms)`);
    await l.down();
  }
});

test('rate: iperf3 through a 5 Mbit/s link fills its queue and never gets above 5 Mbit/s', { skip }, async () => {
  // iperf3 is installed wherever this runs as root (CI installs it): its absence is a failure.
  assert.ok(await hasCommand('iperf3'), 'iperf3 is not installed (apt-get install iperf3)');
  const l = await lab({ delayMs: 5, rateBitsPerSec: 5e6 });
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const server = spawn('iperf3', ['-s', '-1', '-p', port], { netns: l.serverNs, stdinPipe: false });
  undo.push('iperf3 server', () => void server.kill('SIGKILL'));
  await listening(l.serverNs, port);
  const client = spawn('iperf3', ['-c', l.serverAddr, '-p', port, '-t', '3', '-J'], { netns: l.clientNs, stdinPipe: false });
  let out = '';
  client.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await client;
  const bps = (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
  // Goodput counts TCP payload, the rate IP bytes, so it stays below 5 Mbit/s; 4 % covers
  // where iperf3 puts the edges of its measuring interval.
  assert.ok(bps > 0 && bps <= 5e6 * 1.04, `iperf3 received ${(bps / 1e6).toFixed(2)} Mbit/s over a 5 Mbit/s link`);
  const c = (await l.emulatorCounters())!;
  // A queue only builds when the sender offers more than the rate: the limit was what held it.
  assert.ok(c.up_queue_peak_bytes > 0 && c.up_queue_peak_bytes <= 65536, `queue peak ${c.up_queue_peak_bytes} within its 64 KiB limit`);
  await l.down();
});
