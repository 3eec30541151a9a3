// The progress view's remaining time (harness/commands/progress-time.ts): the engine's plan
// (WorkLeft) priced at the durations seen in this run. Clock values are passed in, so these
// are exact sums, not timings. A rounds-based engine feeds it the same way: its WorkLeft
// bounds the cells, its budget caps the estimate, and decided k of n is passed through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmtClock, linkTag, pointTag, RemainingTime } from '../harness/commands/progress-time.js';
import { dir, point } from './kit/testkit.js';

test('cells left are priced per workload, labs not up at the mean set-up, the running cell less what it took', () => {
  const r = new RemainingTime();
  r.pointStart(0);
  r.plan({ cells: { echo: 4, bulk: 4 }, points: 1, budgetLeftMs: null, decided: null }, 0);
  assert.equal(r.estimateMs(0), null, 'nothing to price it with yet');
  r.cellStart('echo', 10_000); // set-up took 10 s
  r.cellStart('bulk', 11_000); // echo took 1 s
  r.plan({ cells: { echo: 3, bulk: 3 }, points: 1, budgetLeftMs: null, decided: null }, 11_000);
  // bulk unseen: priced at the mean of the cells seen (1 s); 3 + 3 cells, one lab, 0 s into bulk.
  assert.equal(r.estimateMs(11_000), 3 * 1000 + 3 * 1000 + 10_000);
  r.cellStart('echo', 14_000); // bulk took 3 s
  r.plan({ cells: { echo: 2, bulk: 2 }, points: 1, budgetLeftMs: null, decided: null }, 14_000);
  assert.equal(r.estimateMs(14_500), 2 * 1000 + 2 * 3000 + 10_000 - 500);
  // The running cell never counts below zero left of it.
  assert.equal(r.estimateMs(20_000), 2 * 1000 + 2 * 3000 + 10_000 - 1000);
});

test('a budget caps the estimate and decided k of n comes from the plan (adaptive repetitions)', () => {
  const r = new RemainingTime();
  r.pointStart(0);
  r.cellStart('echo', 1000);
  r.cellStart('echo', 3000);
  r.plan({ cells: { echo: 100 }, points: 0, budgetLeftMs: 60_000, decided: { k: 3, n: 11 } }, 3000);
  assert.equal(r.estimateMs(3000), 60_000, 'at most the budget left');
  assert.equal(r.estimateMs(13_000), 50_000, 'the budget runs down with the clock');
  assert.deepEqual(r.decided(), { k: 3, n: 11 });
  r.plan({ cells: { echo: 2 }, points: 0, budgetLeftMs: 40_000, decided: { k: 10, n: 11 } }, 23_000);
  // Two echo cells at 2 s, less the running one's 2 s (it has run 20 s, beyond its mean).
  assert.equal(r.estimateMs(23_000), 2 * 2000 - 2000, 'below the budget the cells decide');
});

test('a point is named by its link: a sweep by its values, a single point by its whole link', () => {
  assert.equal(pointTag({ ...point({ delayMs: 25, lossPct: 5 }), label: 'loss=5%', params: { 'link.loss': '5%' } }), 'loss=5%');
  assert.equal(pointTag(point({ delayMs: 25, lossPct: 5, rateBitsPerSec: 20e6 })), 'delay=25ms loss=5% rate=20Mbit/s');
  assert.equal(linkTag({ uplink: dir({ lossPct: 1 }), downlink: dir({ lossPct: 5 }) }), 'loss=1%/5%');
  assert.equal(linkTag({ uplink: dir(), downlink: dir() }), 'no impairment');
  assert.equal(fmtClock(3_723_000), '1:02:03');
  assert.equal(fmtClock(7_400), '0:07');
});
