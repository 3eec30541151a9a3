// harness/results/decide.ts on single comparisons: the figures against scipy 1.17
// (stats.t, stats.ttest_ind(equal_var=False), Fieller's interval solved with brentq), the
// edge cases it defines (zeros, identical values, no spread, n < 2, bad input) and the
// sequential plan's bookkeeping. The false-verdict rate and power are in
// verdict-simulation.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, futile, FUTILITY_FACTOR, outlook, type DecideOptions } from '../harness/results/decide.js';
import { fixedPlan, sequentialPlan } from '../harness/results/sequential-plan.js';
import { tQuantileTwoSided, tTwoSidedP } from '../harness/results/student-t.js';

const close = (got: number | null | undefined, want: number, rel = 1e-9): void =>
  assert.ok(got !== null && got !== undefined && Math.abs(got - want) <= rel * Math.max(1, Math.abs(want)), `${got} != ${want}`);

const OPTS: DecideOptions = { better: 'higher', alpha: 0.05, marginPct: 5 };

test('t quantiles and tail probabilities match scipy, fractional df and tiny alpha included', () => {
  const quantiles: [number, number, number][] = [
    [0.05, 2, 4.302652729749464], [0.05, 4, 2.7764451051977943], [0.05, 1, 12.706204736174705],
    [0.05, 10, 2.2281388519862753], [0.001, 2, 31.59905457644362], [0.05, 1000, 1.9623390808264085],
    [1e-6, 3.7, 62.29077301483373], [0.0208, 2.5, 5.264159026917572], [0.9, 3, 0.1365981993536989],
    [1e-8, 50, 6.858268579357868],
  ];
  for (const [alpha, df, want] of quantiles) close(tQuantileTwoSided(alpha, df), want);
  const tails: [number, number, number][] = [
    [3, 2.3, 0.08049550404610058], [10, 4, 0.000562003622715991], [0.5, 7, 0.6324071356892844],
    [50, 1.5, 0.002132430910288866], [1e-3, 3, 0.9992648949694609],
  ];
  for (const [t, df, want] of tails) close(tTwoSidedP(t, df), want);
});

test('3 vs 3 tight goodputs 20 % apart: decided faster at one look, figures as scipy Welch on logs', () => {
  const d = decide([100, 102, 98], [120, 118, 123], OPTS);
  assert.equal(d.verdict, 'faster');
  assert.equal(d.method, 'welch-log');
  close(d.p, 0.0003799882381359679, 1e-7);
  close(d.deltaPct, 20.331881065054816);
  close(d.ciPct?.[0], 14.87863750088296, 1e-7);
  close(d.ciPct?.[1], 26.04398794809179, 1e-7);
  assert.deepEqual(d.n, [3, 3]);
  assert.equal(d.ciLevel, 0.95);
  assert.equal(d.moreRepsNeeded, 0);
  // The same data for a lower-is-better metric (an RTT) is a slowdown.
  assert.equal(decide([100, 102, 98], [120, 118, 123], { ...OPTS, better: 'lower' }).verdict, 'slower');
});

test('zeros (loss %): Welch on raw values and Fieller interval of the ratio of means, as scipy', () => {
  const d = decide([0.2, 0.4, 0.3, 0], [0.9, 1.1, 1.0, 0.8], { ...OPTS, better: 'lower' });
  assert.equal(d.method, 'welch-fieller');
  assert.equal(d.verdict, 'slower');
  close(d.p, 0.0006826922999506437, 1e-7);
  close(d.deltaPct, 322.2222222222222);
  close(d.ciPct?.[0], 110.61493219437075, 1e-7);
  close(d.ciPct?.[1], 7674.558801938625, 1e-7);
});

test('baseline all zeros: no ratio exists (delta and interval null), the difference test still runs', () => {
  const d = decide([0, 0, 0, 0], [0.5, 0.7, 0.6, 0.4], { ...OPTS, better: 'lower' });
  assert.equal(d.method, 'welch-fieller');
  assert.equal(d.deltaPct, null);
  assert.equal(d.ciPct, null);
  assert.equal(d.verdict, 'slower');
});

test('identical values on both sides (e.g. 0 % loss everywhere): same, delta 0 [0, 0]', () => {
  const d = decide([0, 0, 0], [0, 0, 0], OPTS);
  assert.deepEqual([d.verdict, d.deltaPct, d.ciPct, d.method], ['same', 0, [0, 0], 'identical']);
});

test('constant but different sides: exact permutation test, which 3 vs 3 cannot pass and 4 vs 4 can', () => {
  const three = decide([5, 5, 5], [6, 6, 6], OPTS);
  assert.deepEqual([three.verdict, three.method, three.ciPct], ['undecided', 'permutation', null]);
  close(three.p, 0.1);
  close(three.deltaPct, 20);
  assert.equal(three.moreRepsNeeded, 1);
  // 0.1 + 0.1 + 0.1 is not 0.3: the check compares values, not a computed variance.
  assert.equal(decide([0.1, 0.1, 0.1], [0.2, 0.2, 0.2], OPTS).method, 'permutation');
  const four = decide([5, 5, 5, 5], [6, 6, 6, 6], OPTS);
  assert.equal(four.verdict, 'faster');
  close(four.p, 2 / 70);
});

test('fewer than 2 values on a side: undecided, delta still given, no interval', () => {
  const d = decide([100], [120, 121], OPTS);
  assert.deepEqual([d.verdict, d.method, d.ciPct, d.p, d.moreRepsNeeded], ['undecided', 'too-few', null, null, null]);
  close(d.deltaPct, Math.sqrt(120 * 121) / 100 * 100 - 100);
  assert.equal(decide([], [1, 2], OPTS).deltaPct, null);
});

test('same within the margin: a tight interval inside ±5 %; undecided keeps its delta, interval and estimate', () => {
  const a = [100, 101, 99, 100.5, 99.5, 100.2, 99.8, 100.1];
  const same = decide(a, a.map((v) => v * 1.01), OPTS);
  assert.equal(same.verdict, 'same');
  assert.ok(same.ciPct![0] >= -5 && same.ciPct![1] <= 5);
  const open = decide([100, 110, 95], [104, 96, 112], OPTS);
  assert.equal(open.verdict, 'undecided');
  assert.ok(open.deltaPct !== null && open.ciPct !== null && open.ciPct[0] < 0 && open.ciPct[1] > 5);
  assert.ok(open.moreRepsNeeded !== null && open.moreRepsNeeded > 0, `estimate ${open.moreRepsNeeded}`);
  assert.match(open.reason, /contains 0/);
});

test('without a plan any number of repetitions is one look at alpha (a plan stops at 1000)', () => {
  const a = Array.from({ length: 1500 }, (_, i) => 100 + (i % 7));
  const d = decide(a, a.map((v) => v * 1.2), OPTS);
  assert.deepEqual([d.verdict, d.lookAlpha, d.n], ['faster', 0.05, [1500, 1500]]);
});

test('a fixed baseline (bench run --baseline): the estimate grows B alone, and says null when A is too noisy for any B', () => {
  const tightA = [100, 101, 99];
  const both = decide(tightA, [104, 98, 110], OPTS);
  const bOnly = decide(tightA, [104, 98, 110], { ...OPTS, baselineFixed: true });
  assert.equal(both.verdict, 'undecided');
  assert.ok(both.moreRepsNeeded !== null && bOnly.moreRepsNeeded !== null && bOnly.moreRepsNeeded >= both.moreRepsNeeded);
  // A's own spread keeps the interval at least t x sd(A) / sqrt(3) wide: no B can settle it.
  const noisyA = decide([100, 160, 70], [101, 99, 100], { ...OPTS, baselineFixed: true });
  assert.deepEqual([noisyA.verdict, noisyA.moreRepsNeeded], ['undecided', null]);
  // Constant sides: 3 vs 5 is the first count whose complete separation reaches 0.05 (2/56).
  assert.equal(decide([5, 5, 5], [6, 6, 6], { ...OPTS, baselineFixed: true }).moreRepsNeeded, 2);
});

test('bad input is refused with what and where, allowed values named', () => {
  assert.throws(() => decide([1, -2], [1, 2], OPTS), /a\[1\] is -2 \(allowed: finite values >= 0/);
  assert.throws(() => decide([1, 2], [1, NaN], OPTS), /b\[1\] is NaN/);
  assert.throws(() => decide([1, 2], [1, 2], { ...OPTS, marginPct: 100 }), /marginPct is 100 \(allowed: 0 <= marginPct < 100\)/);
  const plan = sequentialPlan({ minReps: 3, maxReps: 10, alpha: 0.05 });
  assert.throws(() => decide([1, 2, 3], [1, 2, 3], { ...OPTS, plan }), /look is undefined \(allowed: an integer 0\.\.7/);
  assert.throws(() => decide([1, 2, 3], [1, 2, 3], { ...OPTS, alpha: 0.01, plan, look: 0 }), /differs from the plan's alpha/);
  assert.throws(() => sequentialPlan({ minReps: 1, maxReps: 10, alpha: 0.05 }), /minReps is 1 \(allowed: an integer 2\.\.1000\)/);
  assert.throws(() => sequentialPlan({ minReps: 5, maxReps: 4, alpha: 0.05 }), /maxReps is 4/);
});

test('a plan spends exactly alpha over its looks, every look a positive share; a fixed plan is one look', () => {
  for (const spending of ['pocock', 'linear'] as const) {
    const plan = sequentialPlan({ minReps: 3, maxReps: 10, alpha: 0.05, spending });
    assert.equal(plan.looks.length, 8);
    assert.deepEqual(plan.looks.map((l) => l.reps), [3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(plan.looks.every((l) => l.alpha > 0));
    close(plan.looks.reduce((s, l) => s + l.alpha, 0), 0.05, 1e-12);
    assert.equal(plan.looks.at(-1)!.spent, 0.05);
  }
  assert.deepEqual(fixedPlan(3, 0.05).looks, [{ reps: 3, alpha: 0.05, spent: 0.05 }]);
  // The look's share sets the test level and the interval's confidence.
  const plan = sequentialPlan({ minReps: 3, maxReps: 10, alpha: 0.05 });
  const d = decide([100, 102, 98], [120, 118, 123], { ...OPTS, plan, look: 0 });
  assert.equal(d.lookAlpha, plan.looks[0].alpha);
  assert.equal(d.ciLevel, 1 - plan.looks[0].alpha);
  assert.equal(d.alphaSpent, plan.looks[0].spent);
});

test('outlook: decided k of n, and how many of the open ones the plan is expected to settle', () => {
  const plan = sequentialPlan({ minReps: 3, maxReps: 10, alpha: 0.05 });
  const o = (look: number): DecideOptions => ({ ...OPTS, plan, look });
  const ds = [
    decide([100, 102, 98], [150, 148, 153], o(0)), // decided
    decide([100, 104, 97], [108, 112, 105], o(0)), // open, tight: settles soon
    decide([100, 160, 70], [130, 80, 150], o(0)), // open, noisy
  ];
  const out = outlook(ds, plan);
  assert.deepEqual([out.total, out.decided, out.undecided, out.roundsLeftInPlan], [3, 1, 2, 7]);
  assert.ok(ds[1].moreRepsNeeded !== null && ds[1].moreRepsNeeded <= 7, `tight: ${ds[1].moreRepsNeeded}`);
  assert.ok(ds[2].moreRepsNeeded === null || ds[2].moreRepsNeeded > 7, `noisy: ${ds[2].moreRepsNeeded}`);
  assert.equal(out.settleWithinPlan, 1);
  assert.equal(out.roundsToSettleAll, ds[2].moreRepsNeeded);
});

test('futility: an open comparison stops from the second look when "~N more" exceeds 10x the looks left; never at the first look, never when decided or too few', () => {
  const plan = sequentialPlan({ minReps: 3, maxReps: 8, alpha: 0.05 }); // 6 looks
  const at = (a: number[], b: number[], look: number) => decide(a, b, { ...OPTS, plan, look });
  // Hopeless: A/A-like with a wide spread, 4 a side at look 1 (4 looks left: stop beyond 40).
  const wide = at([100, 180, 60, 130], [120, 70, 150, 95], 1);
  assert.equal(wide.verdict, 'undecided');
  assert.ok(wide.moreRepsNeeded === null || wide.moreRepsNeeded > FUTILITY_FACTOR * 4, `estimate ${wide.moreRepsNeeded}`);
  assert.equal(futile(wide, plan, 1), true);
  // The same data at the first look: exempt (a spread from 3 values is too noisy to give up on).
  assert.equal(futile(at([100, 180, 60], [120, 70, 150], 0), plan, 0), false);
  // Promising: a clear change not yet significant, its estimate within 10x the looks left.
  const close = at([100, 104, 97, 101], [112, 108, 118, 104], 1);
  assert.equal(close.verdict, 'undecided');
  assert.ok(close.moreRepsNeeded !== null && close.moreRepsNeeded <= FUTILITY_FACTOR * 4, `estimate ${close.moreRepsNeeded}`);
  assert.equal(futile(close, plan, 1), false);
  // Decided, the last look, fewer than 2 values: never futile.
  assert.equal(futile(at([100, 101, 99, 100], [150, 151, 149, 150], 1), plan, 1), false);
  assert.equal(futile(at([100, 180, 60, 130, 90, 150, 70, 120], [120, 70, 150, 95, 160, 80, 110, 65], 5), plan, 5), false);
  assert.equal(futile(at([100], [120, 70, 150, 95], 1), plan, 1), false);
  // A fixed plan has one look: nothing to stop early.
  assert.equal(futile(decide([100, 180, 60], [120, 70, 150], { ...OPTS, plan: fixedPlan(3, 0.05), look: 0 }), fixedPlan(3, 0.05), 0), false);
});
