// Trend report: metric over releases in the order given, regressions between consecutive
// releases decided as bench compare decides them (beyond the 5 % threshold), undecided
// changes never shown as a pass, implementations never merged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChartSpec } from '../reports/charts.js';
import { implementationFamily, renderTrendReport } from '../reports/trend.js';
import { loadFixture, scaleCells, trendReleases } from './fixtures/report-load.js';

const STUB = '/* chart.js stub */';

function specs(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="bench-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m);
  return JSON.parse(m[1]) as ChartSpec[];
}

const text = (html: string): string => html.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function regressionBlock(html: string): string {
  const start = html.indexOf('<section id="regressions">');
  return text(html.slice(start, html.indexOf('</section>', start)));
}

test('implementation family drops versions only', () => {
  assert.equal(implementationFamily('@matrixai/quic 2.0.9 (quiche)'), '@matrixai/quic (quiche)');
  assert.equal(implementationFamily('@matrixai/quic 2.1.0 (quiche)'), '@matrixai/quic (quiche)');
  assert.equal(implementationFamily('quic-go 0.29 (quic-go-tun)'), 'quic-go (quic-go-tun)');
  assert.equal(implementationFamily('node:tls (OpenSSL 3.0.19)'), 'node:tls (OpenSSL)');
  assert.notEqual(implementationFamily('quic-go v0.48.2'), implementationFamily('@matrixai/quic 2.0.9 (quiche)'));
});

test('x axis is the result labels in the given order; regressions and improvements are found', () => {
  const html = renderTrendReport(trendReleases(), { chartJs: STUB });
  const all = specs(html);
  for (const s of all) assert.deepEqual(s.labels, ['v0.1.0', 'v0.2.0', 'v0.3.0']);
  const reg = regressionBlock(html);
  assert.match(reg, /2 regressions \(decided as bench compare decides/);
  assert.match(reg, /quic · @matrixai\/quic \(quiche\) echo RTT p99, echo-64B-c1 at loss=5%: \+30 % \[\+27, \+33\] % \(99\.86 % CI\) v0\.2\.0 → v0\.3\.0 \(slower\)/);
  assert.match(reg, /quic · @matrixai\/quic \(quiche\) echo RTT p50, echo-64B-c1 at loss=5%: \+30 %/);
  assert.match(reg, /2 improvements/);
  assert.match(reg, /steady-state goodput, bulk-down-10s at loss=1%: \+20 % \[\+7\.5, \+34\] % \(99\.86 % CI\) v0\.1\.0 → v0\.2\.0 \(faster\)/);
  const decided = reg.slice(0, reg.search(/\d+ undecided changes/));
  assert.doesNotMatch(decided, /\btcp\b|\btls\b/, 'unchanged transports are not flagged');
  assert.match(reg, /\d+ undecided changes/, 'rows the data cannot settle are listed, not passed');
  const p99 = all.find((s) => s.title === 'echo RTT p99: echo-64B-c1 at loss=5%')!;
  const quic = p99.datasets.find((d) => d.label.startsWith('quic'))!;
  assert.deepEqual(quic.highlight, [false, false, true], 'red ▲ at the release that regressed');
  assert.match(quic.notes![2], /@matrixai\/quic 2\.1\.0 \(quiche\)/, 'exact implementation in the tooltip');
  assert.match(html, /<tr class="regression">/);
  assert.match(html, /<tr class="improvement">/);
  assert.match(text(html), /197 ms \+30 % regression@matrixai\/quic 2\.1\.0 \(quiche\)/, 'implementation change noted where it happened');
});

test('the order given decides the direction of a change', () => {
  const html = renderTrendReport(trendReleases().reverse(), { chartJs: STUB });
  assert.deepEqual(specs(html)[0].labels, ['v0.3.0', 'v0.2.0', 'v0.1.0']);
  const reg = regressionBlock(html);
  // Reversed, the goodput gain at loss=1% and 5% becomes two regressions; the echo tail regression becomes improvements.
  assert.match(reg, /(^|\D)2 regressions/);
  assert.match(reg, /steady-state goodput, bulk-down-10s at loss=1%: -17 % .* v0\.2\.0 → v0\.1\.0 \(slower\)/);
  assert.match(reg, /steady-state goodput, bulk-down-10s at loss=5%: -17 % .* v0\.2\.0 → v0\.1\.0 \(slower\)/);
  assert.doesNotMatch(reg, /echo RTT p99, echo-64B-c1 at loss=5%: \+/);
});

test('a change within 5 % is not a regression', () => {
  const a = loadFixture('sweep');
  const b = loadFixture('sweep');
  b.label = 'v0.1.1';
  scaleCells(b, (c) => c.transport === 'quic' && c.kind === 'echo', 1.03);
  const html = renderTrendReport([a, b], { chartJs: STUB });
  assert.match(regressionBlock(html), /No decided regression between consecutive releases, but \d+ changes stayed undecided/);
  assert.match(text(html), /\+3 %/, 'the change is still shown');
});

test('two QUIC implementation families are two lines, never one', () => {
  const [a, b, c] = trendReleases();
  for (const x of c.cells) if (x.transport === 'quic') x.implementation = 'quic-go 0.48';
  const html = renderTrendReport([a, b, c], { chartJs: STUB });
  const p50 = specs(html).find((s) => s.title === 'echo RTT p50: echo-64B-c1 at loss=0%')!;
  const labels = p50.datasets.map((d) => d.label);
  assert.ok(labels.includes('quic · @matrixai/quic (quiche)'));
  assert.ok(labels.includes('quic · quic-go'));
  const old = p50.datasets.find((d) => d.label === 'quic · @matrixai/quic (quiche)')!;
  assert.equal((old.data as (number | null)[])[2], null, 'the old line stops where the implementation changed');
});

test('changed scenario, backend or machine between releases is called out', () => {
  const [a, b] = trendReleases();
  b.backend = 'netem';
  b.scenarioSha256 = 'f'.repeat(64);
  const html = renderTrendReport([a, b], { chartJs: STUB });
  assert.match(text(html), /Between v0\.1\.0 and v0\.2\.0 the scenario, the backend \(userspace → netem\) changed/);
});

test('whiskers only where two or more repetitions differ, captioned with the level they reach', () => {
  const rs = trendReleases();
  // v0.1.0's tcp bulk at loss=0%: one successful repetition left.
  for (const c of rs[0].cells) {
    if (c.transport === 'tcp' && c.kind === 'bulk' && c.point === 0 && c.repetition > 0) Object.assign(c, { status: 'failed', reason: 'synthetic failure' });
  }
  const html = renderTrendReport(rs, { chartJs: STUB });
  const goodput = specs(html).find((s) => s.title === 'steady-state goodput: bulk-down-10s at loss=0%')!;
  const tcp = goodput.datasets.find((d) => d.label === 'tcp')!;
  assert.equal(tcp.errorBars![0], null, 'no zero-width whisker from one repetition');
  assert.ok(tcp.errorBars![1] && tcp.errorBars![2]);
  // Five repetitions: min–max covers the median with 1 - 2/32 = 93.75 %, not 95 %.
  assert.deepEqual(tcp.errorBarConfidence, [null, 0.9375, 0.9375]);
  assert.match(text(html), /Whiskers: min–max of the repetitions, only a 94% CI of the median/);
  assert.doesNotMatch(text(html), /95% CI whiskers/);
});
