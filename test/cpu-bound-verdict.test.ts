// When is a cell's figure the endpoint's CPU rather than the link? The rule as data: the
// 90 %-of-a-core threshold, and for bulk transfers the projection of the CPU cost per byte
// to a whole core against the link's rate (figures from real cells on this machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuBoundVerdict, CPU_BOUND_RULE, sumCpu } from '../harness/results/cpu.js';
import type { CpuUsage } from '../harness/core/types.js';

const use = (coreFraction: number): CpuUsage => ({ userUs: coreFraction * 10000 * 1000, sysUs: 0, wallMs: 10000, coreFraction });
const IMPL = '@matrixai/quic 2.0.9 (quiche)';

test('either side at >= 90 % of a core is CPU-bound, whatever the workload', () => {
  const v = cpuBoundVerdict(use(0.2), use(0.93), IMPL, null);
  assert.equal(v?.side, 'server');
  assert.match(v!.message, /^the server endpoint used 93 % of a core: this figure reflects @matrixai\/quic 2\.0\.9 \(quiche\)'s CPU cost, not the link$/);
  assert.equal(cpuBoundVerdict(use(0.89), use(0.1), IMPL, null), null, 'an echo cell at 89 % is not flagged');
});

test('bulk: 78 % of a core for 14.4 Mbit/s cannot fill a 20 Mbit/s link even with a whole core', () => {
  const v = cpuBoundVerdict(use(0.78), use(0.72), IMPL, { goodputBitsPerSec: 14.4e6, linkRateBitsPerSec: 20e6 });
  assert.equal(v?.side, 'client');
  assert.match(v!.message, /used 78 % of a core to move 14\.4 Mbit\/s: at that cost a whole core carries ~18\.5 Mbit\/s, less than the link's 20\.0 Mbit\/s/);
});

test('bulk: the same cost is not flagged when a whole core would still fill the link', () => {
  // quic-go tunnel: 19.1 Mbit/s at 33 % -> 58 Mbit/s per core; TCP at 6 % -> 316 Mbit/s.
  assert.equal(cpuBoundVerdict(use(0.33), use(0.16), 'quic-go', { goodputBitsPerSec: 19.1e6, linkRateBitsPerSec: 20e6 }), null);
  // @matrixai/quic at 54 % for 15.8 Mbit/s -> 29 Mbit/s per core: something else holds it back.
  assert.equal(cpuBoundVerdict(use(0.54), use(0.49), IMPL, { goodputBitsPerSec: 15.8e6, linkRateBitsPerSec: 20e6 }), null);
});

test('bulk: below half a core the projection is not trusted (fixed costs dominate), nor on unlimited links', () => {
  // 5 % loss: 1.96 Mbit/s at 18 % of a core projects to 11 Mbit/s, but loss is the limit.
  assert.equal(cpuBoundVerdict(use(0.18), use(0.17), IMPL, { goodputBitsPerSec: 1.96e6, linkRateBitsPerSec: 20e6 }), null);
  assert.equal(cpuBoundVerdict(use(0.7), use(0.6), IMPL, { goodputBitsPerSec: 15e6, linkRateBitsPerSec: null }), null);
  assert.equal(cpuBoundVerdict(use(0.7), use(0.6), IMPL, { goodputBitsPerSec: 0, linkRateBitsPerSec: 20e6 }), null, 'a cell that moved nothing');
});

test('no CPU figures, no verdict; one side missing uses the other', () => {
  assert.equal(cpuBoundVerdict(null, null, IMPL, null), null);
  assert.equal(cpuBoundVerdict(null, use(0.95), IMPL, null)?.side, 'server');
});

test('the thresholds sit exactly at 90 % and 50 % of a core', () => {
  assert.ok(cpuBoundVerdict(use(0.9), use(0), IMPL, null), '90 % is bound');
  const bulk = { goodputBitsPerSec: 8e6, linkRateBitsPerSec: 20e6 }; // 8 Mbit/s per half core: 16 per core < 20
  assert.equal(cpuBoundVerdict(use(0.49), use(0), IMPL, bulk), null, '49 %: projection not trusted');
  assert.ok(cpuBoundVerdict(use(0.51), use(0), IMPL, bulk), '51 %: projected 15.7 Mbit/s per core < 20');
});

test('an endpoint of several processes is judged by its busiest one, not their sum', () => {
  // bench's client agent at 55 % plus a tunnel client at 40 %: 95 % together, neither near a core.
  const client = sumCpu([use(0.55), use(0.4)])!;
  assert.ok(Math.abs(client.coreFraction - 0.95) < 1e-9, 'the sum is kept for display');
  assert.equal(client.busiestFraction, 0.55);
  assert.equal(cpuBoundVerdict(client, use(0.3), 'bench tunnel', null), null);
  const v = cpuBoundVerdict(sumCpu([use(0.2), use(0.92)]), use(0.3), 'bench tunnel', null);
  assert.match(v!.message, /^the busiest client-side process used 92 % of a core/);
  assert.equal(sumCpu([use(0.3)])!.busiestFraction, undefined, 'one process: no separate figure');
});

test('the rule in words names both conditions', () => {
  assert.match(CPU_BOUND_RULE, /≥ 90% of a core/);
  assert.match(CPU_BOUND_RULE, /≥ 50% of a core/);
});
