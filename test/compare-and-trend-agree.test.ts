// `bench compare` and `bench report --trend` judge a change between two runs by one rule
// (harness/results/compare.ts compareResults: the same rows, alpha / m per row, decide()),
// so they never disagree about the same two runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults, type Comparison, type MetricComparison } from '../harness/results/compare.js';
import { renderTrendReport } from '../reports/trend.js';
import { fmtChange } from '../reports/verdict.js';
import { makeResult, samples, standardSeries, type SeriesSpec } from './fixtures/compare-fixtures.js';

const OPTS = { thresholdPct: 5, alpha: 0.05, force: true };

function rttP50(c: Comparison): MetricComparison {
  const m = c.groups.flatMap((g) => g.metrics).find((x) => x.metric === 'rttP50Us');
  assert.ok(m);
  return m;
}

function regressionBlock(html: string): string {
  const start = html.indexOf('<section id="regressions">');
  return html.slice(start, html.indexOf('</section>', start)).replace(/<[^>]+>/g, '');
}

test('3 against 5 repetitions, +20 % latency: both call it a regression, with the same delta and interval', () => {
  const base = makeResult({ label: 'v1', series: standardSeries(1, 3) });
  const cand = makeResult({ label: 'v2', series: standardSeries(2, 5, { rttFactor: 1.2 }) });
  const m = rttP50(compareResults(base, cand, OPTS));
  assert.equal(m.verdict, 'regression');
  assert.deepEqual(m.decision.n, [3, 5]);
  const reg = regressionBlock(renderTrendReport([base, cand], { chartJs: '' }));
  assert.match(reg, /(^|\D)1 regression(?!s)/);
  assert.ok(reg.includes(`tcp echo RTT p50, echo-64B-c1 at loss=1%: ${fmtChange(m.decision)} v1 → v2 (slower)`), `trend states compare's delta and interval: ${reg}`);
});

test('a halving at 3 against 3 repetitions: both call it a regression (the issue-13 case: no green banner above a -50 % step)', () => {
  const base = makeResult({ label: 'v1', series: standardSeries(1, 3) });
  const cand = makeResult({ label: 'v2', series: standardSeries(2, 3, { goodputFactor: 0.5 }) });
  const c = compareResults(base, cand, OPTS);
  assert.equal(c.outcome, 'regression');
  const reg = regressionBlock(renderTrendReport([base, cand], { chartJs: '' }));
  assert.doesNotMatch(reg, /No regression/);
  assert.match(reg, /1 regression/);
});

test('undecided rows: compare says undecided, and the trend banner is not green', () => {
  const noisy = (seed: number): SeriesSpec[] => [{ transport: 'tcp', workload: 'echo-64B-c1', kind: 'echo', metrics: { rttP50Us: samples(seed, 3, 50_000, 0.3) } }];
  const base = makeResult({ label: 'v1', series: noisy(1) });
  const cand = makeResult({ label: 'v2', series: noisy(2) });
  assert.equal(rttP50(compareResults(base, cand, OPTS)).verdict, 'undecided');
  const html = renderTrendReport([base, cand], { chartJs: '' });
  assert.match(regressionBlock(html), /No decided regression between consecutive releases, but 1 change stayed undecided/);
  assert.doesNotMatch(html, /class="note ok"/);
});
