// Verdicts of compareResults on synthetic runs with known shifts (seeded noise, +-3 %): each
// headline metric of each baseline measurement is a row decided by decide() at alpha / m.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareMetric, compareResults, gateRows, resultIdentity, type Comparison, type MetricComparison } from '../harness/results/compare.js';
import { decide } from '../harness/results/decide.js';
import { renderText } from '../reports/compare-text.js';
import { makeResult, samples, standardSeries, type SeriesSpec } from './fixtures/compare-fixtures.js';

const OPTS = { thresholdPct: 5, alpha: 0.05, force: false };
const files = { baseline: 'base.json', candidate: 'cand.json' };

function metric(c: Comparison, transport: string, name: string): MetricComparison {
  const m = c.groups.filter((g) => g.transport === transport).flatMap((g) => g.metrics).find((x) => x.metric === name);
  assert.ok(m, `${transport} ${name} compared`);
  return m;
}

test('rows are the headline metrics the baseline carries, each at alpha / m (Bonferroni)', () => {
  const c = compareResults(makeResult({ label: 'base', series: standardSeries(1, 10) }), makeResult({ label: 'cand', series: standardSeries(101, 10) }), OPTS);
  // echo: p50 (p99 is a headline metric the fixture's cells do not carry); bulk: the
  // steady-state goodput's fallback, the whole-transfer goodput (no series in the fixture).
  assert.deepEqual(c.groups.flatMap((g) => g.metrics.map((m) => `${m.metric}${m.standsInFor ? ` for ${m.standsInFor}` : ''}`)), ['rttP50Us', 'goodputBitsPerSec for steadyGoodputBitsPerSec']);
  assert.deepEqual(c.family, { rows: 2, alphaPerRow: 0.025 });
  for (const m of c.groups.flatMap((g) => g.metrics)) assert.equal(m.decision.lookAlpha, 0.025);
  assert.match(renderText(c, files), /2 rows at alpha 0\.05\/2/);
});

test('no shift with n = 10: every row "same" within the threshold, the gate passes', () => {
  const c = compareResults(makeResult({ label: 'base', series: standardSeries(1, 10) }), makeResult({ label: 'cand', series: standardSeries(101, 10) }), OPTS);
  for (const g of c.groups) for (const m of g.metrics) assert.equal(m.verdict, 'same', `${m.metric}: ${m.decision.reason}`);
  assert.equal(c.outcome, 'pass');
});

test('identical runs: every row same, delta 0', () => {
  const r = makeResult({ label: 'same', series: standardSeries(1, 10) });
  const c = compareResults(r, r, OPTS);
  for (const g of c.groups) for (const m of g.metrics) {
    assert.equal(m.verdict, 'same');
    assert.ok(Math.abs(m.decision.deltaPct!) < 1e-9);
  }
  assert.match(renderText(c, files), /same \(±5%\)/);
});

test('a 20 % latency increase with n = 10 is a regression: delta and interval shown, interval excludes 0', () => {
  const c = compareResults(makeResult({ label: 'base', series: standardSeries(1, 10) }), makeResult({ label: 'cand', series: standardSeries(101, 10, { rttFactor: 1.2 }) }), OPTS);
  const m = metric(c, 'tcp', 'rttP50Us');
  assert.equal(m.verdict, 'regression');
  assert.equal(m.decision.verdict, 'slower');
  const d = m.decision;
  assert.ok(d.deltaPct! > 15 && d.deltaPct! < 25, `delta ${d.deltaPct}`);
  assert.ok(d.ciPct && d.ciPct[0] > 0 && d.ciPct[0] <= d.deltaPct! && d.ciPct[1] >= d.deltaPct!);
  assert.equal(c.summary.regression, 1);
  assert.equal(c.outcome, 'regression');
  assert.match(renderText(c, files), /echo RTT p50 .* \+\d+% +\[\+\d+(\.\d+)?, \+\d+(\.\d+)?\]% .* REGRESSION/);
});

test('3 against 3 repetitions decide a halving (what Mann-Whitney could never do)', () => {
  const c = compareResults(makeResult({ label: 'base', series: standardSeries(1, 3) }), makeResult({ label: 'cand', series: standardSeries(5, 3, { goodputFactor: 0.5 }) }), OPTS);
  const m = metric(c, 'tcp', 'goodputBitsPerSec');
  assert.equal(m.verdict, 'regression');
  assert.ok(m.decision.deltaPct! < -45);
  assert.equal(c.outcome, 'regression');
});

test('direction: latency down and goodput up are improvements, goodput down is a regression', () => {
  const base = makeResult({ label: 'base', series: standardSeries(1, 10) });
  const better = compareResults(base, makeResult({ label: 'c', series: standardSeries(7, 10, { rttFactor: 0.8, goodputFactor: 1.2 }) }), OPTS);
  assert.equal(metric(better, 'tcp', 'rttP50Us').verdict, 'improvement');
  assert.equal(metric(better, 'tcp', 'goodputBitsPerSec').verdict, 'improvement');
  assert.equal(better.outcome, 'pass');
  const worse = compareResults(base, makeResult({ label: 'c', series: standardSeries(7, 10, { goodputFactor: 0.8 }) }), OPTS);
  const g = metric(worse, 'tcp', 'goodputBitsPerSec');
  assert.equal(g.verdict, 'regression');
  assert.ok(g.decision.deltaPct! < 0);
});

test('a decided change inside the threshold is not a regression; with a 2 % threshold it is', () => {
  const base = makeResult({ label: 'b', series: [{ transport: 'tcp', workload: 'echo-64B-c1', kind: 'echo', metrics: { rttP50Us: samples(1, 20, 50_000, 0.005) } }] });
  const cand = makeResult({ label: 'c', series: [{ transport: 'tcp', workload: 'echo-64B-c1', kind: 'echo', metrics: { rttP50Us: samples(2, 20, 51_500, 0.005) } }] });
  const m = metric(compareResults(base, cand, OPTS), 'tcp', 'rttP50Us');
  // +3 % with an interval inside +-5 %: "same" is checked first.
  assert.equal(m.verdict, 'same');
  const strict = metric(compareResults(base, cand, { ...OPTS, thresholdPct: 2 }), 'tcp', 'rttP50Us');
  assert.equal(strict.verdict, 'regression');
  // Decided slower, but by no more than the threshold.
  const within = compareMetric('rttP50Us', samples(1, 20, 50_000, 0.005), samples(2, 20, 51_500, 0.005), { thresholdPct: 3.5, alphaPerRow: 0.05 });
  assert.ok(within.verdict === 'within-threshold' || within.verdict === 'same', within.verdict);
});

test('noisy rows stay undecided, with the delta, its interval and "~N more" shown; the gate says undecided', () => {
  const noisy = (seed: number, f = 1): SeriesSpec[] => [{ transport: 'tcp', workload: 'bulk-10MB-down', kind: 'bulk', metrics: { goodputBitsPerSec: samples(seed, 3, 3e6 * f, 0.3) } }];
  const c = compareResults(makeResult({ label: 'b', series: noisy(1) }), makeResult({ label: 'c', series: noisy(2, 1.05) }), OPTS);
  const m = metric(c, 'tcp', 'goodputBitsPerSec');
  assert.equal(m.verdict, 'undecided');
  assert.ok(m.decision.ciPct && m.decision.ciPct[0] < 0 && m.decision.ciPct[1] > 5);
  assert.equal(c.outcome, 'undecided');
  const text = renderText(c, files);
  assert.match(text, /undecided/);
  assert.match(text, /\[-\d+(\.\d+)?, \+\d+(\.\d+)?\]%/);
});

test('failures in the candidate where the baseline had none: the measurement is lost and fails the gate', () => {
  const ok = standardSeries(1, 10);
  const cand = standardSeries(3, 10);
  cand[0].status = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'failed', 'timeout'];
  const c = compareResults(makeResult({ label: 'b', series: ok }), makeResult({ label: 'c', series: cand }), OPTS);
  assert.equal(metric(c, 'tcp', 'rttP50Us').candidate.n, 8);
  assert.deepEqual(c.lost.map((l) => `${l.transport} ${l.workload}: ${l.why}`), ['tcp echo-64B-c1: 2 of 10 repetitions failed or timed out in the candidate, none in the baseline']);
  assert.equal(c.outcome, 'regression');
  assert.match(renderText(c, files), /lost \(the baseline measured them; they fail the gate\):\n {2}loss=1% tcp echo-64B-c1: 2 of 10/);
});

test('a candidate without cells, or with every cell failed, never passes', () => {
  const base = makeResult({ label: 'b', series: standardSeries(1, 6) });
  const empty = compareResults(base, makeResult({ label: 'c', series: [] }), OPTS);
  assert.equal(empty.outcome, 'regression');
  assert.equal(empty.lost.length, 2);
  assert.ok(empty.lost.every((l) => l.why === 'missing in the candidate'));
  const failed = standardSeries(2, 6).map((s) => ({ ...s, status: new Array(6).fill('failed') as SeriesSpec['status'] }));
  const allFailed = compareResults(base, makeResult({ label: 'c', series: failed }), OPTS);
  assert.equal(allFailed.outcome, 'regression');
  assert.ok(allFailed.lost.every((l) => /no ok repetition in the candidate \(6 failed\)/.test(l.why)), allFailed.lost.map((l) => l.why).join('\n'));
  // Nothing measured on either side: nothing was compared, which is not a pass either.
  const none = compareResults(makeResult({ label: 'b', series: [] }), makeResult({ label: 'c', series: [] }), OPTS);
  assert.equal(none.outcome, 'undecided');
  assert.equal(none.family.rows, 0);
});

test('cells only in the candidate are listed, not compared and not lost', () => {
  const c = compareResults(
    makeResult({ label: 'b', series: standardSeries(1, 10) }),
    makeResult({ label: 'c', series: [...standardSeries(2, 10), ...standardSeries(3, 10, { transport: 'quic' })] }),
    OPTS,
  );
  assert.deepEqual(c.onlyInCandidate.map((g) => `${g.transport} ${g.workload}`), ['quic echo-64B-c1', 'quic bulk-10MB-down']);
  assert.equal(c.lost.length, 0);
  assert.match(renderText(c, files), /only in candidate:\n {2}loss=1% quic echo-64B-c1/);
});

test('the same workload id with other parameters is not matched, and the note says what differs', () => {
  const changed = structuredClone(makeResult({ label: 'x', series: [] }).scenario.workloads);
  (changed[0] as { payloadBytes: number }).payloadBytes = 1200;
  const c = compareResults(makeResult({ label: 'b', series: standardSeries(1, 10) }), makeResult({ label: 'c', series: standardSeries(2, 10), workloads: changed }), { ...OPTS, force: true });
  assert.deepEqual(c.groups.map((g) => g.workload), ['bulk-10MB-down']);
  assert.ok(c.notes.some((n) => n.includes('workload "echo-64B-c1" has different parameters (payloadBytes)')), c.notes.join('\n'));
});

test('CPU-bound cells and implementation changes are visible', () => {
  const b = standardSeries(1, 10, { transport: 'quic' }).map((s) => ({ ...s, cpuBound: true }));
  const cs = standardSeries(2, 10, { transport: 'quic' }).map((s) => ({ ...s, implementation: '@matrixai/quic 2.1.0 (quiche)' }));
  const text = renderText(compareResults(makeResult({ label: 'b', series: b }), makeResult({ label: 'c', series: cs }), OPTS), files);
  assert.match(text, /quic \[CPU-bound: baseline\]/);
  assert.match(text, /quic: @matrixai\/quic 2\.0\.9 \(quiche\) -> @matrixai\/quic 2\.1\.0 \(quiche\)/);
});

test('cells unsupported alike in both runs are listed once, as "both", and are no rows', () => {
  const udpBulk: SeriesSpec = { transport: 'udp', workload: 'bulk-10MB-down', kind: 'bulk', metrics: { goodputBitsPerSec: [0, 0, 0] }, status: ['unsupported', 'unsupported', 'unsupported'] };
  const unsupported = (seed: number): SeriesSpec[] => [...standardSeries(seed, 10), udpBulk];
  const c = compareResults(makeResult({ label: 'b', series: unsupported(1) }), makeResult({ label: 'c', series: unsupported(2) }), OPTS);
  assert.equal(c.notOk.length, 1);
  assert.equal(c.notOk[0].side, 'both');
  assert.equal(c.family.rows, 2);
  assert.equal(c.lost.length, 0);
  assert.match(renderText(c, files), /both: loss=1% udp bulk-10MB-down: 3 unsupported of 3 \(synthetic unsupported\)/);
});

test('a candidate that recorded its own decisions against this baseline (bench run --baseline) is judged by them', () => {
  const base = makeResult({ label: 'b', series: standardSeries(1, 10) });
  const cand = makeResult({ label: 'c', series: standardSeries(2, 10, { rttFactor: 1.2 }) });
  const rows = gateRows(base, cand, false);
  // A recorded decision that differs from what one look would say: the recorded one counts.
  const fake = decide([1, 1.01, 0.99], [1, 1.01, 0.99], { better: 'lower', alpha: 0.025, marginPct: 5 });
  const gate = { baseline: { label: 'b', startedAt: base.startedAt, scenarioSha256: base.scenarioSha256, identity: resultIdentity(base) }, alpha: 0.05, thresholdPct: 5, force: false, rows: rows.length, decisions: rows.map((r) => ({ key: r.key, decision: fake, look: 0, stoppedBy: 'decided' as const })) };
  const rule = { repetitions: 'auto' as const, minReps: 3, maxReps: 10, budgetMs: 60_000, alpha: 0.05, marginPct: 5, spending: 'pocock' as const, lookAlphas: [] };
  cand.verdicts = { rule, comparisons: [], points: [], gate };
  const c = compareResults(base, cand, OPTS);
  assert.equal(metric(c, 'tcp', 'rttP50Us').verdict, 'same');
  assert.ok(metric(c, 'tcp', 'rttP50Us').recorded);
  // Other options, or another baseline: one look over everything, and a note saying so.
  const other = compareResults(base, cand, { ...OPTS, thresholdPct: 10 });
  assert.equal(metric(other, 'tcp', 'rttP50Us').verdict, 'regression');
  assert.ok(other.notes.some((n) => /one look over all its repetitions/.test(n)));
});
