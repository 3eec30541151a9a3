// `bench compare` and `bench report --trend` judge a change between two runs by one rule
// (harness/compare.ts compareMetric: significant when the exact Mann-Whitney p can and does
// reach alpha, and beyond 5 %), so they never disagree about the same two runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults, type Comparison, type MetricComparison } from '../harness/results/compare.js';
import { minAchievableP } from '../harness/core/stats.js';
import { fmtP } from '../reports/format.js';
import { renderTrendReport } from '../reports/trend.js';
import { makeResult, standardSeries } from './fixtures/compare-fixtures.js';

const OPTS = { thresholdPct: 5, alpha: 0.05, force: false };

function rttP50(c: Comparison): MetricComparison {
  const m = c.groups.flatMap((g) => g.metrics).find((x) => x.metric === 'rttP50Us');
  assert.ok(m);
  return m;
}

function regressionBlock(html: string): string {
  const start = html.indexOf('<section id="regressions">');
  return html.slice(start, html.indexOf('</section>', start)).replace(/<[^>]+>/g, '');
}

test('3 against 5 repetitions, +20 % latency: both call it a regression', () => {
  // 3 vs 5 can reach p = 2/56 = 0.036 <= 0.05, so the count alone does not make it "too few".
  assert.ok(minAchievableP(3, 5) < 0.05);
  const base = makeResult({ label: 'v1', series: standardSeries(1, 3) });
  const cand = makeResult({ label: 'v2', series: standardSeries(2, 5, { rttFactor: 1.2 }) });
  const m = rttP50(compareResults(base, cand, OPTS));
  assert.equal(m.verdict, 'regression');
  assert.equal(m.baseline.n, 3);
  assert.equal(m.candidate.n, 5);
  const reg = regressionBlock(renderTrendReport([base, cand], { chartJs: '' }));
  assert.match(reg, /(^|\D)1 significant regression(?!s)/);
  assert.ok(
    reg.includes(`tcp echo RTT p50, echo-64B-c1 at loss=1%: +${m.deltaPct!.toFixed(1)}% v1 → v2 (${fmtP(m.p!)})`),
    `trend states compare's delta and p: ${reg}`,
  );
});

test('3 against 3 repetitions, +20 % latency: both say too few, neither a regression', () => {
  const base = makeResult({ label: 'v1', series: standardSeries(1, 3) });
  const cand = makeResult({ label: 'v2', series: standardSeries(2, 3, { rttFactor: 1.2 }) });
  assert.equal(rttP50(compareResults(base, cand, OPTS)).verdict, 'too-few');
  const html = renderTrendReport([base, cand], { chartJs: '' });
  assert.match(regressionBlock(html), /No significant regression between consecutive releases/);
  assert.match(html, /\+\d+\.\d% \(n too small\)/);
});

test('alpha 0.01 with 4 against 4 repetitions is too few (smallest p 2/70 = 0.029)', () => {
  const base = makeResult({ label: 'v1', series: standardSeries(1, 4) });
  const cand = makeResult({ label: 'v2', series: standardSeries(2, 4, { rttFactor: 1.2 }) });
  assert.equal(rttP50(compareResults(base, cand, { ...OPTS, alpha: 0.01 })).verdict, 'too-few');
  assert.equal(rttP50(compareResults(base, cand, OPTS)).verdict, 'regression');
});
