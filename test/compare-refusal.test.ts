// Refusing to compare runs that measured different things, unless --force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults } from '../harness/results/compare.js';
import { InputError, EXIT } from '../harness/core/errors.js';
import { calibration, makeResult, standardSeries, type RunSpec } from './fixtures/compare-fixtures.js';

const OPTS = { thresholdPct: 5, alpha: 0.05, force: false };
const base = makeResult({ label: 'b', series: standardSeries(1, 10) });
const cand = (over: Partial<RunSpec>) => makeResult({ label: 'c', series: standardSeries(2, 10), ...over });

function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.hint ?? '', /--force/);
    return err;
  }
  assert.fail('expected a refusal');
}

test('different scenario hash: refused, naming the field and what differs', () => {
  const other = cand({ sha: 'b'.repeat(64) });
  other.scenario = { ...other.scenario, repetitions: 20 };
  const err = refusal(() => compareResults(base, other, OPTS));
  assert.match(err.message, /scenarioSha256 differs: baseline aaaaaaaaaaaa \(loss-1pct\), candidate bbbbbbbbbbbb/);
  assert.match(err.message, /scenario differs in repetitions/);
});

test('different scenario hash with --force: compared, the reason kept as an override', () => {
  const c = compareResults(base, cand({ sha: 'b'.repeat(64) }), { ...OPTS, force: true });
  assert.equal(c.groups.length, 2);
  assert.equal(c.overridden.length, 1);
  assert.match(c.overridden[0], /scenarioSha256/);
});

test('measured RTT beyond 10 %: refused, naming the point and the field', () => {
  const err = refusal(() => compareResults(base, cand({ measured: calibration(57.9) }), OPTS));
  assert.match(err.message, /point "loss=1%": measured\.rttMs\.p50 differs: baseline 50\.2 ms, candidate 57\.9 ms/);
  assert.doesNotThrow(() => compareResults(base, cand({ measured: calibration(57.9) }), { ...OPTS, force: true }));
});

test('measured RTT within max(1 ms, 10 %) is accepted', () => {
  assert.doesNotThrow(() => compareResults(base, cand({ measured: calibration(54.5) }), OPTS));
  const fast = makeResult({ label: 'b', series: standardSeries(1, 10), measured: calibration(0.2) });
  // 0.2 -> 1.1 ms is +450 % but within the 1 ms floor, which covers timer noise on fast links.
  assert.doesNotThrow(() => compareResults(fast, cand({ measured: calibration(1.1) }), OPTS));
  const err = refusal(() => compareResults(fast, cand({ measured: calibration(1.5) }), OPTS));
  assert.match(err.message, /allowed \+-1 ms/);
});

test('measured loss beyond its binomial noise is refused; within it, accepted', () => {
  // 10/1000 vs 14/1000 is noise; 10/1000 vs 50/1000 is a different link.
  assert.doesNotThrow(() => compareResults(base, cand({ measured: calibration(50.2, 14, 8) }), OPTS));
  const err = refusal(() => compareResults(base, cand({ measured: calibration(50.2, 50, 10) }), OPTS));
  assert.match(err.message, /point "loss=1%": measured\.uplinkLossPct differs beyond its noise: baseline 1 % \(10\/1000\), candidate 5 % \(50\/1000\)/);
  const down = refusal(() => compareResults(base, cand({ measured: calibration(50.2, 10, 60) }), OPTS));
  assert.match(down.message, /measured\.downlinkLossPct/);
});

test('all reasons are reported at once', () => {
  const err = refusal(() => compareResults(base, cand({ sha: 'c'.repeat(64), measured: calibration(80, 60, 60) }), OPTS));
  assert.equal(err.message.split('\n  - ').length - 1, 4);
});

test('a missing calibration on one side is a note, not a refusal', () => {
  const c = compareResults(base, cand({ measured: null }), OPTS);
  assert.ok(c.notes.some((n) => /point "loss=1%": measured link not checked, candidate has no calibration/.test(n)));
});

test('an emulated link against a real path between two hosts: refused, compared only with --force', () => {
  const real = cand({});
  real.backend = 'real-path';
  for (const l of real.labs) l.backend = 'real-path';
  const err = refusal(() => compareResults(base, real, OPTS));
  assert.match(err.message, /baseline ran on an emulated link \(\w+ backend\), candidate on a real path between two hosts: an emulated link and a real path are not the same link/);
  const forced = compareResults(base, real, { ...OPTS, force: true });
  assert.ok(forced.overridden.some((r) => /real path/.test(r)));
  // Two real paths compare as two lab runs do.
  const real2 = cand({});
  real2.backend = 'real-path';
  assert.doesNotThrow(() => compareResults(real, real2, OPTS));
});
