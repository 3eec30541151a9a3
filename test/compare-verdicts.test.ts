// Verdicts of compareResults on synthetic runs with known shifts (seeded noise, +-3 %).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareMetric, compareResults, type Comparison, type MetricComparison } from '../harness/results/compare.js';
import { renderText } from '../reports/compare-text.js';
import { makeResult, samples, standardSeries, type SeriesSpec } from './fixtures/compare-fixtures.js';

const OPTS = { thresholdPct: 5, alpha: 0.05, force: false };
const files = { baseline: 'base.json', candidate: 'cand.json' };

function metric(c: Comparison, transport: string, name: string): MetricComparison {
  const m = c.groups.filter((g) => g.transport === transport).flatMap((g) => g.metrics).find((x) => x.metric === name);
  assert.ok(m, `${transport} ${name} compared`);
  return m;
}

test('no shift with n = 10: no regression, exit semantics 0', () => {
  const c = compareResults(
    makeResult({ label: 'base', series: standardSeries(1, 10) }),
    makeResult({ label: 'cand', series: standardSeries(101, 10) }),
    OPTS,
  );
  assert.equal(c.summary.regression, 0);
  for (const g of c.groups) for (const m of g.metrics) assert.notEqual(m.verdict, 'regression');
  assert.equal(c.groups.length, 2);
});

test('identical runs: every metric "~" with p = 1', () => {
  const r = makeResult({ label: 'same', series: standardSeries(1, 10) });
  const c = compareResults(r, r, OPTS);
  for (const g of c.groups) for (const m of g.metrics) {
    assert.equal(m.verdict, 'not-significant');
    assert.equal(m.deltaPct, 0);
    assert.ok(m.p !== null && m.p > 0.9);
  }
  assert.match(renderText(c, files), /\s~\s/);
});

test('a 20 % latency increase with n = 10 is a significant regression, CI excludes 0', () => {
  const c = compareResults(
    makeResult({ label: 'base', series: standardSeries(1, 10) }),
    makeResult({ label: 'cand', series: standardSeries(101, 10, { rttFactor: 1.2 }) }),
    OPTS,
  );
  const m = metric(c, 'tcp', 'rttP50Us');
  assert.equal(m.verdict, 'regression');
  assert.ok(m.p !== null && m.p < 0.001, `p = ${m.p}`);
  assert.ok(m.deltaPct !== null && m.deltaPct > 12 && m.deltaPct < 28, `delta ${m.deltaPct}`);
  assert.ok(m.deltaCIPct && m.deltaCIPct.lo > 0 && m.deltaCIPct.lo <= m.deltaPct! && m.deltaCIPct.hi >= m.deltaPct!);
  assert.equal(c.summary.regression, 1);
  assert.match(renderText(c, files), /REGRESSION/);
});

test('direction: latency down and goodput up are improvements, goodput down is a regression', () => {
  const base = makeResult({ label: 'base', series: standardSeries(1, 10) });
  const better = compareResults(base, makeResult({ label: 'c', series: standardSeries(7, 10, { rttFactor: 0.8, goodputFactor: 1.2 }) }), OPTS);
  assert.equal(metric(better, 'tcp', 'rttP50Us').verdict, 'improvement');
  assert.equal(metric(better, 'tcp', 'goodputBitsPerSec').verdict, 'improvement');
  assert.equal(better.summary.regression, 0);
  const worse = compareResults(base, makeResult({ label: 'c', series: standardSeries(7, 10, { goodputFactor: 0.8 }) }), OPTS);
  const g = metric(worse, 'tcp', 'goodputBitsPerSec');
  assert.equal(g.verdict, 'regression');
  assert.ok(g.deltaPct! < 0);
  assert.equal(worse.summary.regression, 1);
});

test('a significant change inside the threshold is not a regression', () => {
  const base = makeResult({ label: 'b', series: [{ transport: 'tcp', workload: 'echo-64B-c1', kind: 'echo', metrics: { rttP50Us: samples(1, 20, 50_000, 0.005) } }] });
  const cand = makeResult({ label: 'c', series: [{ transport: 'tcp', workload: 'echo-64B-c1', kind: 'echo', metrics: { rttP50Us: samples(2, 20, 51_500, 0.005) } }] });
  const m = metric(compareResults(base, cand, OPTS), 'tcp', 'rttP50Us');
  assert.equal(m.verdict, 'within-threshold');
  // The same data with a 2 % threshold is a regression.
  assert.equal(metric(compareResults(base, cand, { ...OPTS, thresholdPct: 2 }), 'tcp', 'rttP50Us').verdict, 'regression');
});

test('n = 3: never significant, shown as "~" with the too-few-samples note, even for a 50 % shift', () => {
  const c = compareResults(
    makeResult({ label: 'base', series: standardSeries(1, 3) }),
    makeResult({ label: 'cand', series: standardSeries(5, 3, { rttFactor: 1.5, goodputFactor: 0.5 }) }),
    OPTS,
  );
  for (const g of c.groups) for (const m of g.metrics) assert.equal(m.verdict, 'too-few');
  assert.equal(c.summary.regression, 0);
  assert.equal(c.summary['too-few'], 2);
  const text = renderText(c, files);
  assert.match(text, /~ too few samples/);
  assert.match(text, /no data can reach p <= 0\.05 in the U test \(equal sides need at least 4 each\)/);
  assert.match(text, /2 undecided \(too few samples\)/);
});

test('4 ok repetitions on one side and 10 on the other is enough to decide', () => {
  const c = compareResults(
    makeResult({ label: 'base', series: standardSeries(1, 10) }),
    makeResult({ label: 'cand', series: standardSeries(9, 4, { rttFactor: 1.3 }) }),
    OPTS,
  );
  assert.equal(metric(c, 'tcp', 'rttP50Us').verdict, 'regression');
});

test('failed repetitions do not count as samples and are listed with their reason', () => {
  const ok = standardSeries(1, 10);
  const cand = standardSeries(3, 10, { rttFactor: 1.5 });
  cand[0].status = ['ok', 'ok', 'ok', 'failed', 'failed', 'failed', 'timeout', 'timeout', 'failed', 'failed'];
  const c = compareResults(makeResult({ label: 'b', series: ok }), makeResult({ label: 'c', series: cand }), OPTS);
  const m = metric(c, 'tcp', 'rttP50Us');
  assert.equal(m.candidate.n, 3);
  // 3 ok against 10 can still be decided (smallest exact p 2/286), so the shift is found.
  assert.equal(m.verdict, 'regression');
  assert.equal(c.notOk.length, 1);
  assert.deepEqual(c.notOk[0].counts, { failed: 5, timeout: 2 });
  assert.equal(c.notOk[0].side, 'candidate');
  assert.match(renderText(c, files), /candidate: loss=1% tcp echo-64B-c1: 5 failed, 2 timeout of 10 \(synthetic failed; synthetic timeout\)/);
});

test('cells only in one run are listed, not compared', () => {
  const c = compareResults(
    makeResult({ label: 'b', series: standardSeries(1, 10) }),
    makeResult({ label: 'c', series: [...standardSeries(2, 10), ...standardSeries(3, 10, { transport: 'quic' })] }),
    OPTS,
  );
  assert.deepEqual(c.onlyInCandidate.map((g) => `${g.transport} ${g.workload}`), ['quic echo-64B-c1', 'quic bulk-10MB-down']);
  assert.equal(c.onlyInBaseline.length, 0);
  assert.match(renderText(c, files), /only in candidate:\n {2}loss=1% quic echo-64B-c1/);
});

test('the same workload id with other parameters is not matched, and the note says what differs', () => {
  const changed = structuredClone(makeResult({ label: 'x', series: [] }).scenario.workloads);
  (changed[0] as { payloadBytes: number }).payloadBytes = 1200;
  const c = compareResults(
    makeResult({ label: 'b', series: standardSeries(1, 10) }),
    makeResult({ label: 'c', series: standardSeries(2, 10), workloads: changed }),
    { ...OPTS, force: true },
  );
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

test('only ok repetitions count as CPU-bound, as in the reports', () => {
  // The baseline's CPU-bound repetitions all failed: their figures are in no statistic.
  const b = standardSeries(1, 10, { transport: 'quic' }).map((s) => ({ ...s, cpuBound: true, status: new Array(10).fill('failed') as SeriesSpec['status'] }));
  const cs = standardSeries(2, 10, { transport: 'quic' });
  const c = compareResults(makeResult({ label: 'b', series: [...standardSeries(3, 10), ...b] }), makeResult({ label: 'c', series: [...standardSeries(4, 10), ...cs] }), OPTS);
  const quic = c.groups.filter((g) => g.transport === 'quic');
  assert.ok(quic.length > 0);
  for (const g of quic) assert.deepEqual(g.cpuBound, { baseline: false, candidate: false }, g.key);
  assert.doesNotMatch(renderText(c, files), /CPU-bound/);
});

test('compareMetric without the bootstrap: same verdict, p and delta, no delta CI', () => {
  const a = samples(1, 10, 50_000);
  const b = samples(2, 10, 60_000);
  const full = compareMetric('rttP50Us', a, b, OPTS);
  const quick = compareMetric('rttP50Us', a, b, { ...OPTS, deltaCI: false });
  assert.ok(full.deltaCIPct);
  assert.equal(quick.deltaCIPct, null);
  assert.deepEqual({ ...quick, deltaCIPct: full.deltaCIPct }, full);
});

test('a baseline median of 0 gives no relative delta instead of Infinity', () => {
  const zero = makeResult({ label: 'b', series: [{ transport: 'udp', workload: 'echo-64B-c1', kind: 'echo', metrics: { echoLossPct: [0, 0, 0, 0, 0, 0] } }] });
  const lossy = makeResult({ label: 'c', series: [{ transport: 'udp', workload: 'echo-64B-c1', kind: 'echo', metrics: { echoLossPct: [2, 3, 2.5, 3, 2, 4] } }] });
  const m = metric(compareResults(zero, lossy, OPTS), 'udp', 'echoLossPct');
  assert.equal(m.deltaPct, null);
  assert.equal(m.verdict, 'regression');
});

test('cells unsupported alike in both runs are listed once, as "both"', () => {
  const udpBulk: SeriesSpec = { transport: 'udp', workload: 'bulk-10MB-down', kind: 'bulk', metrics: { goodputBitsPerSec: [0, 0, 0] }, status: ['unsupported', 'unsupported', 'unsupported'] };
  const unsupported = (seed: number): SeriesSpec[] => [...standardSeries(seed, 10), udpBulk];
  const c = compareResults(makeResult({ label: 'b', series: unsupported(1) }), makeResult({ label: 'c', series: unsupported(2) }), OPTS);
  assert.equal(c.notOk.length, 1);
  assert.equal(c.notOk[0].side, 'both');
  assert.match(renderText(c, files), /both: loss=1% udp bulk-10MB-down: 3 unsupported of 3 \(synthetic unsupported\)/);
});
