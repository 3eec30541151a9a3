// The HTML report's structure, rendered from the golden fixtures without a browser: sections,
// tables, verdict wording, CPU-bound marks, reasons, the inlined chart data, and that the
// page can make no network request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChartSpec } from '../reports/charts.js';
import { renderHtmlReport } from '../reports/html.js';
import { loadFixture } from './fixtures/report-load.js';

const STUB = '/* chart.js stub */';
const render = (...names: ('single' | 'sweep' | 'failures')[]): string => renderHtmlReport(names.map(loadFixture), { chartJs: STUB });

function specs(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="bench-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'chart data block');
  return JSON.parse(m[1]) as ChartSpec[];
}

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  assert.ok(start >= 0, `section #${id}`);
  return html.slice(start, html.indexOf('</section>', start));
}

const text = (html: string): string => html.replace(/<[^>]+>/g, '').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

test('report is one self-contained page that can request nothing', () => {
  const html = render('single');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<link rel="icon" href="data:,">/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(html.includes(STUB), 'injected Chart.js inlined');
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+rel="stylesheet"/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.doesNotMatch(html, /@import|url\(\s*['"]?https?:/i);
  assert.match(html, /@media print/);
  assert.match(html, /@media \(max-width:600px\)/);
  assert.equal(render('single'), html, 'pure: same input, same output');
});

test('default Chart.js asset is the UMD build without a source map reference', () => {
  const html = renderHtmlReport([loadFixture('single')]);
  assert.match(html, /Chart\.js v4/);
  assert.doesNotMatch(html, /sourceMappingURL/);
});

test('header names scenario, link configured vs measured, backend, kernel, CC, QUIC settings, tool, date, label', () => {
  const html = render('single');
  const head = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
  for (const s of ['loss-1pct', 'Metro link, 50 ms RTT', 'v0.1.0', 'bench 0.1.0', '852c3ab1f0d9', 'userspace', '6.6.87.2-microsoft-standard-WSL2', 'cubic', '2025-06-02 09:14 UTC', '@matrixai/quic 2.0.9 (quiche)']) {
    assert.ok(text(head).includes(s), `header shows ${s}`);
  }
  assert.match(head, /RTT configured/);
  assert.match(head, /50 ms<\/span><\/td><td data-label="RTT measured p50"><span class="v">50\.3 ms/);
  assert.match(text(head), /1% \/ 1%/);
  const details = section(html, 'details');
  for (const k of ['initialMaxData', 'maxDatagramSize', 'congestionControl']) assert.ok(details.includes(k), `QUIC setting ${k}`);
});

test('verdicts sit near the top: faster, slower, same or undecided against tcp, delta and interval always shown', () => {
  const html = render('single');
  const v = section(html, 'verdict');
  assert.ok(html.indexOf('id="verdict"') < html.indexOf('id="bulk"'), 'verdict before the charts');
  const t = text(v);
  assert.match(t, /Stopping rule: 5 repetitions \(fixed, one look\)\. .* Decided 10 of 12\./);
  assert.match(t, /quic · @matrixai\/quic 2\.0\.9 \(quiche\): p50 same as tcp's within ±5 %: \+4 % \[\+3\.8, \+4\.2\] % \(95 % CI\); p99 faster than tcp's: -52 % \[-53, -51\] % \(95 % CI\)\./);
  assert.match(t, /quic · @matrixai\/quic 2\.0\.9 \(quiche\): steady-state goodput faster than tcp's: \+19 % \[\+13, \+25\] %/);
  assert.match(t, /tls: p50 same as tcp's within ±5 %: .*; p99 undecided: -3\.9 % \[-8\.1, \+0\.47\] % \(95 % CI\); after 5 repetitions a side; ~5 more repetitions would likely settle it\./);
  assert.match(t, /quic-go-tun · quic-go 0\.29 \(quic-go-tun\): handshake p50 faster than tcp's: -49 %/);
  assert.match(v, /<span class="good">faster<\/span>/, 'better figures in green');
  assert.match(v, /<span class="bad">slower<\/span>/, 'worse figures in red');
  assert.match(v, /Verdict per point and metric: each transport against the baseline/);
  // The matrix names a transport ahead only where that is decided; tls's open p99 is listed as undecided.
  assert.match(t, /faster than tcp: quic-go-tun · quic-go 0\.29 \(quic-go-tun\) -58 %, quic · @matrixai\/quic 2\.0\.9 \(quiche\) -52 %; undecided: tls -3\.9 %/);
  assert.match(t, /quic-go-tun · quic-go 0\.29 \(quic-go-tun\) beats tcp: -49 % \[-49, -49\] % \(95 % CI\); slower: tls \+52 %/);
  assert.doesNotMatch(t, /Winner|too few repetitions/);
});

test('sweep: verdict per loss rate, line chart per metric, Mathis estimate for TCP where loss > 0', () => {
  const html = render('sweep');
  const t = text(section(html, 'verdict'));
  for (const p of ['loss=0%', 'loss=1%', 'loss=5%']) assert.ok(t.includes(`At ${p}`), `verdict at ${p}`);
  assert.match(t, /At loss=5%[\s\S]*p99 faster than tcp's: -50 % \[-51, -50\] %[\s\S]*steady-state goodput faster than tcp's: \+129 % \[\+118, \+140\] %/);
  const all = specs(html);
  const sweep = all.filter((s) => s.type === 'line' && / vs link\.loss/.test(s.title));
  assert.deepEqual(sweep.map((s) => s.title.split(' vs ')[0]), ['echo RTT p50', 'echo RTT p99', 'steady-state goodput', 'handshake p50']);
  for (const s of sweep) assert.deepEqual(s.labels, ['0%', '1%', '5%']);
  const goodput = sweep.find((s) => s.title.startsWith('steady-state goodput'))!;
  assert.equal(goodput.y.unit, 'Mbit/s');
  assert.equal(goodput.y.log, true, 'goodput spans 0.8 to 90 Mbit/s');
  const mathis = goodput.datasets.find((d) => d.label.startsWith('Mathis estimate'))!;
  const [m0, m1, m5] = mathis.data as (number | null)[];
  assert.equal(m0, null, 'no bound without loss');
  // 1448 B * 8 / 50.3 ms (calibrated) * 1.22 / sqrt(0.01)
  assert.ok(Math.abs(m1! - 2.81) < 0.02, `Mathis at 1% = ${m1}`);
  assert.ok(Math.abs(m5! - 1.256) < 0.01, `Mathis at 5% = ${m5}`);
  const tcp = goodput.datasets.find((d) => d.label === 'tcp')!;
  assert.equal(tcp.errorBars?.length, 3);
  assert.ok(tcp.errorBars!.every((e) => e && e[0] <= e[1]));
});

test('CPU-bound cells are marked on every chart and table where they appear', () => {
  const html = render('sweep');
  const all = specs(html);
  const bars = all.find((s) => s.type === 'bar')!;
  const quic = bars.datasets.find((d) => d.label.startsWith('quic'))!;
  // loss=0%: ~99 % of a core; loss=1%: ~69 % of a core for 3.3 Mbit/s, which even a whole core
  // could not raise to the link's 100 Mbit/s (harness/cpu.ts); loss=5%: under 50 % of a core.
  assert.deepEqual(quic.cpuBound, [true, true, false], 'hatched bars at loss=0% and 1%');
  const sweepGoodput = all.find((s) => s.title.startsWith('steady-state goodput vs'))!;
  assert.deepEqual(sweepGoodput.datasets.find((d) => d.label.startsWith('quic'))!.cpuBound, [true, true, false]);
  const series0 = all.find((s) => s.title === 'Goodput over time: bulk-down-10s at loss=0%')!;
  assert.ok(series0.datasets.find((d) => d.label.startsWith('quic'))!.cpuBound?.some(Boolean));
  const bulk = section(html, 'bulk');
  assert.match(bulk, /<tr class="cpu-bound">[\s\S]*?loss=0%[\s\S]*?quic[\s\S]*?⚠ CPU-bound/);
  assert.equal((bulk.match(/<tr class="cpu-bound">/g) ?? []).length, 2, 'only the CPU-bound rows');
  assert.match(text(bulk), /Goodput \(whole transfer\)[\s\S]*Steady state/, 'both goodputs in the table');
  assert.match(text(bulk), /quic · @matrixai\/quic 2\.0\.9 \(quiche\) at loss=0% — CPU-bound: this figure reflects the endpoint's CPU, not the link \(5 of 5 repetitions, client up to 99% of a core/);
  assert.match(text(section(html, 'verdict')), /— CPU-bound: this figure reflects the endpoint's CPU, not the link \(5 of 5 repetitions/);
  assert.match(text(section(html, 'warnings')), /cpu-bound/);
});

test('whiskers are labelled with the confidence they reach, never a blanket 95 %', () => {
  const html = render('failures');
  const bars = specs(html).find((s) => s.type === 'bar')!;
  const conf = (label: string): (number | null)[] | undefined => bars.datasets.find((d) => d.label === label)!.errorBarConfidence;
  // min–max of n repetitions covers the median with 1 - 2 / 2^n: 50 % for 2, 75 % for 3.
  assert.deepEqual(conf('tcp'), [0.5], 'tcp bulk: 2 of 3 repetitions ok');
  assert.deepEqual(conf('quic · @matrixai/quic 2.0.9 (quiche)'), [0.75]);
  assert.deepEqual(bars.datasets.find((d) => d.label.startsWith('tunnel'))!.errorBars, [null], 'one repetition: no whisker');
  const caption = text(/<figure class="chart"[^>]*><h4>Goodput: bulk-down-10s[\s\S]*?<\/figure>/.exec(section(html, 'bulk'))![0]);
  assert.match(caption, /Whiskers: min–max of the repetitions, only a 50–75% CI of the median/);
  assert.doesNotMatch(caption, /95% CI/);
  assert.match(text(section(html, 'bulk')), /CI of median \(95% unless noted\)[\s\S]*36–43\.1 Mbit\/s \(50%\)/, 'the table notes each lower level');
});

test('failed, timeout and unsupported cells appear with their reasons; warnings with remedies', () => {
  const html = render('failures');
  const p = text(section(html, 'problems'));
  assert.match(p, /0\/quic-go-tun\/echo-64B-c1\/\{0,1,2\}.*failed ×3.*client command exited with code 1/);
  assert.match(p, /address already in use/, 'process output kept');
  assert.match(p, /0\/tcp\/bulk-down-10s\/2.*failed.*ECONNRESET/);
  assert.match(p, /0\/tunnel\/bulk-down-10s\/\{1,2\}.*timeout ×2.*no progress for 60000 ms/);
  assert.match(p, /0\/udp\/bulk-down-10s\/\{0,1,2\}.*unsupported ×3.*udp is a datagram transport/);
  assert.match(p, /0\/udp\/handshake-x10\/\{0,1,2\}.*unsupported ×3.*connectionless/);
  const w = text(section(html, 'warnings'));
  for (const s of ['undecided', 'Set repetitions: auto', 'calibration-rtt', 'use the netem backend', 'few-samples', '12 places', 'cpu-bound', 'found by report', 'tunnel · bench tunnel over @matrixai/quic 2.0.9 (quiche) bulk-down-10s']) {
    assert.ok(w.includes(s), `warnings mention ${s}`);
  }
  const v = text(section(html, 'verdict'));
  assert.match(v, /quic-go-tun · quic-go 0\.29 \(quic-go-tun\): p50: no data \(no ok repetition of quic-go-tun · quic-go 0\.29 \(quic-go-tun\)\)/);
  assert.match(v, /tunnel · bench tunnel over @matrixai\/quic 2\.0\.9 \(quiche\): steady-state goodput undecided: -90 %; after 2 and 1 repetitions/);
  assert.match(v, /udp: a reference row, not compared \(udp is a datagram echo/);
  assert.doesNotMatch(v, /bulk-down-10s vs tcp[^]*udp: a reference row[^]*handshake/, 'udp is no reference row where it is unsupported');
  assert.match(html, /<td class="off" data-label="RTT measured p50"><span class="v">13\.8 ms/, 'calibration off is marked');
  const bars = specs(html).find((s) => s.type === 'bar')!;
  assert.ok(!bars.datasets.some((d) => d.label === 'udp'), 'unsupported udp is not an empty bar');
  assert.match(text(section(html, 'bulk')), /Not shown, no successful repetition: udp \(unsupported\)/);
  const echo = section(html, 'echo');
  assert.match(text(echo), /A percentile p is shown only from repetitions with at least 1 \/ \(1 − p\) exchanges \(p99: 100, p99\.9: 1000\)/);
  assert.match(echo, /<span class="muted" title="n too small: \d+ exchanges, p99\.9 needs &gt;= 1000">n too small<\/span>/, 'p99.9 of fewer than 1000 exchanges: no number, the reason');
});

test('failed repetitions take no part: 3 ok against 5 are decided, with the counts stated', () => {
  const r = loadFixture('single');
  let failed = 0;
  for (const c of r.cells) {
    if (c.transport === 'tcp' && c.kind === 'bulk' && failed < 2) {
      Object.assign(c, { status: 'failed', reason: 'test: made to fail' });
      failed++;
    }
  }
  const v = text(section(renderHtmlReport([r], { chartJs: STUB }), 'verdict'));
  assert.match(v, /bulk-down-10s vs tcp/);
  assert.match(v, /quic-go-tun · quic-go 0\.29 \(quic-go-tun\): steady-state goodput faster than tcp's: \+\d+ %/, '3 vs 5 repetitions decided');
  assert.match(v, /tls: steady-state goodput (undecided: .* after 3 and 5 repetitions|same|faster|slower)/);
});

test('every QUIC figure names its implementation; two implementations are never one series', () => {
  const html = render('single');
  for (const s of specs(html)) {
    for (const d of s.datasets) {
      if (/^quic/.test(d.label)) assert.match(d.label, /@matrixai\/quic 2\.0\.9|quic-go 0\.29/, `${s.title}: ${d.label}`);
    }
  }
  const r = loadFixture('single');
  for (const c of r.cells) if (c.transport === 'quic' && c.repetition >= 3) c.implementation = 'quiche-ffi 0.22';
  const labels = specs(renderHtmlReport([r], { chartJs: STUB })).find((s) => s.type === 'bar')!.datasets.map((d) => d.label);
  assert.ok(labels.includes('quic · @matrixai/quic 2.0.9 (quiche)'));
  assert.ok(labels.includes('quic · quiche-ffi 0.22'));
});

test('several results render side by side with unique ids', () => {
  const html = render('single', 'failures');
  assert.match(html, /<div class="sbs" style="--cols:2">/);
  assert.match(html, /id="r0-verdict"/);
  assert.match(html, /id="r1-problems"/);
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate ids');
  for (const s of specs(html)) assert.ok(html.includes(`<canvas id="${s.id}"`), `canvas for ${s.id}`);
});

test('text from the result file is escaped everywhere', () => {
  const r = loadFixture('failures');
  r.scenario.description = '<img src=x onerror=alert(1)> & "quotes"';
  for (const c of r.cells) if (c.transport === 'udp') c.reason = 'bad </script><script>alert(2)</script>';
  for (const c of r.cells) if (c.transport === 'tcp') c.implementation = 'node:net </script><b>x</b>';
  const html = renderHtmlReport([r], { chartJs: STUB });
  assert.ok(!html.includes('<img src=x'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;'));
  assert.ok(!html.includes('<script>alert(2)'));
  assert.ok(!html.includes('<b>x</b>'));
  assert.equal((html.match(/<script/g) ?? []).length, (html.match(/<\/script>/g) ?? []).length, 'no script element broken open');
  assert.doesNotThrow(() => specs(html));
});

test('partial and unusual results render: running with no cells, uncalibrated lab, burst loss, two sweep axes', () => {
  const empty = loadFixture('single');
  empty.status = 'running';
  empty.finishedAt = null;
  empty.cells = [];
  empty.labs[0].measured = null;
  const html = renderHtmlReport([empty], { chartJs: STUB });
  assert.match(html, /This run is <b>running<\/b>/);
  assert.match(html, /not calibrated/);
  assert.match(html, /No comparisons: a workload needs a baseline transport with an ok cell and another transport/);
  assert.deepEqual(specs(html), []);

  const r = loadFixture('sweep');
  r.scenario.sweep = [
    { field: 'link.loss', values: ['0%', '1%', '5%'] },
    { field: 'link.delay', values: ['25ms'] },
  ];
  r.scenario.points[2].link.downlink.gilbert = { pPct: 1, rPct: 19, badLossPct: 100, goodLossPct: 0 };
  const two = renderHtmlReport([r], { chartJs: STUB });
  const goodput = specs(two).find((s) => s.title.startsWith('steady-state goodput vs point'))!;
  assert.deepEqual(goodput.labels, ['loss=0%', 'loss=1%', 'loss=5%'], 'several axes: x = point label');
  const m5 = (goodput.datasets.find((d) => d.label.startsWith('Mathis'))!.data as number[])[2];
  assert.ok(Math.abs(m5 - 1.256) < 0.01, 'Gilbert-Elliott mean loss 1/(1+19) = 5%');
  assert.match(text(two), /GE p=1% r=19%/);
});

test('the link table marks exactly what the lab\'s calibration warned about, and judges nothing itself', () => {
  const r = loadFixture('failures');
  r.labs[0].warnings = r.labs[0].warnings.filter((w) => !w.code.startsWith('calibration-'));
  const quiet = renderHtmlReport([r], { chartJs: STUB });
  // Measured 13.8 ms against 10 ms configured, but the lab did not warn: no mark, no report-made warning.
  const header = quiet.slice(quiet.indexOf('<header'), quiet.indexOf('</header>'));
  const links = header.slice(header.indexOf('<tbody>'));
  assert.match(links, /data-label="RTT measured p50"><span class="v">13\.8 ms/);
  assert.doesNotMatch(links, /<td class="off"|⚠/);
  assert.doesNotMatch(text(section(quiet, 'warnings')), /calibration/);

  const lossy = loadFixture('single');
  lossy.labs[0].warnings.push({ code: 'calibration-loss-downlink', message: 'downlink loss measured 3 %, configured 1 %', remedy: 'check the emulator counters', point: 0 });
  const html = renderHtmlReport([lossy], { chartJs: STUB });
  assert.match(html, /<td class="off" data-label="Loss measured up \/ down"><span class="v">[\d.]+% \/ [\d.]+% ⚠/, 'downlink loss marked');
  assert.doesNotMatch(html, /<td class="off" data-label="RTT measured p50"/, 'RTT not marked');
  assert.doesNotMatch(html, /Rate measured/, 'calibration measures no rate');
});
