// The report's figures for the workloads of QUIC's claims, from a real result
// (test/fixtures/report-quic-claims.json, measured by `bench run` in this project's lab: see
// its scenarioSource): each chart is named by what it shows, the handshake table reads each
// setup against the count its transport's facts expect and says why an implementation
// differs from its protocol, and resumption names why a stack cannot. Round trips are only
// counted on links where they mean something.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellMetrics } from '../harness/results/metrics.js';
import { parseResult } from '../harness/results/result-file.js';
import type { ResultFile } from '../harness/results/types.js';
import { renderHtmlReport } from '../reports/html.js';
import { loadFixture } from './fixtures/report-load.js';

const CHART_JS = '/* chart.js stub: these tests read the page, not the canvas */';
const render = (r: ResultFile): string => renderHtmlReport([r], { chartJs: CHART_JS });

/** The chart specs inlined in a page. */
function specs(html: string): { title: string; labels?: string[]; datasets: { label: string; data: unknown[] }[] }[] {
  const m = /<script type="application\/json" id="bench-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the page carries its chart specs');
  return JSON.parse(m[1]) as ReturnType<typeof specs>;
}

test('the fixture is a result file bench reads, measured in a lab', () => {
  const r = loadFixture('claims');
  assert.doesNotThrow(() => parseResult(JSON.parse(JSON.stringify(r))));
  assert.equal(r.backend, 'userspace');
  assert.ok((r.labs[0].measured?.rttMs.p50 ?? 0) >= 50, 'a calibrated 50 ms RTT link');
});

test('streams: completion time of N multiplexed streams, p50/p99 per stream by rank, and the separate-connections variant beside it', () => {
  const html = render(loadFixture('claims'));
  const charts = specs(html);
  for (const what of ['4 multiplexed streams', '4 streams on separate connections']) {
    const c = charts.find((s) => s.title.startsWith(`Completion time of ${what}, p50/p99 per stream`));
    assert.ok(c, `a chart of ${what}: ${charts.map((s) => s.title).join(' | ')}`);
    assert.deepEqual(c.labels, ['1st done', '2nd done', '3rd done', '4th done']);
    assert.ok(c.datasets.some((d) => d.label === 'tcp p50') && c.datasets.some((d) => d.label === 'tcp p99'), 'a p50 and a p99 line per transport');
    assert.ok(c.datasets.some((d) => /^quic · @matrixai\/quic .* p99$/.test(d.label)), 'QUIC lines name their implementation');
  }
  assert.match(html, /Stream completion times: streams-mux4/);
  assert.match(html, /<th[^>]*>Spread p99<\/th>/);
});

test('handshake: setup in round trips against the expected count, and why @matrixai/quic takes two', () => {
  const html = render(loadFixture('claims'));
  const chart = specs(html).find((s) => s.title.startsWith('Connection setup in round trips, measured against expected'));
  assert.ok(chart);
  const expected = chart.datasets.find((d) => d.label.startsWith('expected setup'));
  const labels = chart.labels!;
  assert.equal(expected?.data[labels.findIndex((l) => l === 'tcp')], 1);
  assert.equal(expected?.data[labels.findIndex((l) => l === 'tls')], 2);
  assert.equal(expected?.data[labels.findIndex((l) => l.startsWith('quic ·'))], 2);
  const row = /<tr[^>]*>(?:(?!<\/tr>)[\s\S])*<b>quic<\/b>(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(html.slice(html.indexOf('Handshake time: handshake-')))?.[0] ?? '';
  assert.match(row, /2 <span class="muted">\(protocol: 1\)<\/span>/);
  assert.match(row, /stateless Retry/);
  assert.match(row, /\d\.\d RTT/);
});

test('resumption: full against resumed, 0-RTT share, and the reason a stack cannot resume', () => {
  const html = render(loadFixture('claims'));
  assert.ok(specs(html).some((s) => s.title.startsWith('Second connection, full handshake against resumed session')));
  const section = html.slice(html.indexOf('Second connection: resumption-'));
  assert.match(section, /never calls the binding(&#39;|&#x27;|’|')s setSession/);
  assert.match(section, /node:tls offers no 0-RTT early data/);
  const quicgo = /<tr[^>]*>(?:(?!<\/tr>)[\s\S])*<b>quicgo<\/b>(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(section)?.[0] ?? '';
  assert.match(quicgo, /0 <span class="muted">\(0-RTT\)<\/span>/);
  assert.equal((quicgo.match(/>100%</g) ?? []).length, 2, 'every second connection resumed, and sent 0-RTT data');
});

test('exchange: the CDF of exchange times and the whole series', () => {
  const html = render(loadFixture('claims'));
  assert.ok(specs(html).some((s) => s.title.startsWith('Exchange time CDF: exchange-1KB-1KB-n10')));
  assert.match(html, /<th[^>]*>Whole series<\/th>/);
});

test('a result written before transports recorded their handshake facts reads them from the registry', () => {
  const r = loadFixture('claims');
  for (const t of Object.values(r.transports ?? {})) {
    delete t.handshake;
    delete t.resumption;
  }
  const html = render(r);
  assert.match(html, /2 <span class="muted">\(protocol: 1\)<\/span>/);
});

test('setups are counted in round trips only on a link of 2 ms RTT or more (below, CPU dominates a setup)', () => {
  const samples = { setupUs: [52_000, 51_000, 53_000], handshakeUs: [104_000, 103_000, 105_000] };
  const onLink = cellMetrics('handshake', samples, { rttMs: 50 }).metrics;
  assert.ok(Math.abs(onLink.setupRoundTrips - 52 / 50) < 1e-9);
  assert.ok(Math.abs(onLink.handshakeRoundTrips - 104 / 50) < 1e-9);
  for (const rttMs of [null, 0.06, 1.9]) {
    const m = cellMetrics('handshake', samples, { rttMs }).metrics;
    assert.equal(m.setupRoundTrips, undefined, `RTT ${rttMs}`);
    assert.equal(m.setupP50Us, 52_000);
  }
});
