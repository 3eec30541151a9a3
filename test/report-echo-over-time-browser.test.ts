// Echo samples keep their time order and the report places a stall in time (issue 15: raw
// RTT samples were stored sorted; p99 rested on 45-60 samples with no mark), and the bulk
// table shows its last column without clipping. The page is checked in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rng, summarize } from '../harness/core/stats.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import type { ResultFile } from '../harness/results/types.js';
import type { ChartSpec } from '../reports/charts.js';
import { thin } from '../reports/figures-echo.js';
import { renderHtmlReport } from '../reports/html.js';
import { sampleLatency } from '../harness/core/sampler.js';
import { loadFixture } from './fixtures/report-load.js';
import { launchChromium, skipWithoutChromium } from './kit/chromium.js';

const skip = skipWithoutChromium;
const STALL_US = 7_500_000;

test('the sampler returns every exchange in the order it ran, with its start time', async () => {
  // Durations chosen to be unsorted: 30, 5, 20, 10 ms (timers only ever run late, so each
  // sample is at least its delay and the order is what tells them apart).
  const delays = [30, 5, 20, 10];
  let k = 0;
  const r = await sampleLatency(() => new Promise((res) => setTimeout(res, delays[k++])), { count: 4, durationMs: null, signal: new AbortController().signal });
  assert.equal(r.samplesMs.length, 4);
  r.samplesMs.forEach((v, i) => assert.ok(v >= delays[i] - 1, `exchange ${i}: ${v} ms, slept ${delays[i]} ms`));
  assert.ok(r.samplesMs[0] > r.samplesMs[1], `kept in run order, not sorted: ${r.samplesMs.map((v) => v.toFixed(1)).join(', ')}`);
  for (let i = 1; i < 4; i++) assert.ok(r.startedMs[i] >= r.startedMs[i - 1] + r.samplesMs[i - 1] - 0.01, 'each starts after the one before ended');
});

/** The single fixture with its echo samples in a time order: shuffled, one stall at a known place, start times from one lane's back-to-back exchanges. */
function withTimeline(): { r: ResultFile; transport: string; stallAtS: number } {
  const r = loadFixture('single');
  const echo = r.cells.filter((c) => c.workload === r.scenario.workloads.find((w) => w.kind === 'echo')!.id && c.status === 'ok');
  const rand = rng(11);
  let stallAtS = 0;
  const transport = echo[0].transport;
  for (const c of echo) {
    const v = [...(c.samples.rttUs ?? [])];
    for (let i = v.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [v[i], v[j]] = [v[j], v[i]];
    }
    const stall = c.transport === transport && c.repetition === 1 ? Math.floor(v.length / 3) : -1;
    if (stall >= 0) v[stall] = STALL_US;
    const at: number[] = [];
    let t = 120_000; // setup before the first exchange
    for (const x of v) {
      at.push(t);
      t += x;
    }
    if (stall >= 0) stallAtS = at[stall] / 1e6;
    c.samples.rttUs = v;
    c.samples.rttAtUs = at;
    const p = summarize(v);
    Object.assign(c.metrics, { rttP50Us: p.p50, rttP99Us: p.p99, rttMaxUs: p.max });
  }
  return { r, transport, stallAtS };
}

function specs(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="bench-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m);
  return JSON.parse(m[1]) as ChartSpec[];
}

test('the RTT-over-time chart places the stall where it happened; thinning keeps the slowest exchange of each bucket', () => {
  const { r, transport, stallAtS } = withTimeline();
  const html = renderHtmlReport([r], { chartJs: '' });
  const chart = specs(html).find((s) => s.title.startsWith('Echo round-trip time over time'));
  assert.ok(chart, 'an RTT-over-time chart');
  const line = chart.datasets.find((d) => d.label.startsWith(transport))!;
  assert.match(line.label, /\(rep 1, n \d+\)/, 'the repetition with the stall, and its n');
  const pts = line.data as { x: number; y: number }[];
  const top = pts.reduce((a, b) => (b.y > a.y ? b : a));
  assert.ok(Math.abs(top.x - stallAtS) < 0.01, `slowest point at ${top.x} s, the stall started at ${stallAtS} s`);
  for (let i = 1; i < pts.length; i++) assert.ok(pts[i].x >= pts[i - 1].x, 'in time order');
  // Many exchanges: at most 600 points, and the stall survives.
  const many = Array.from({ length: 50_000 }, (_, i) => ({ atS: i * 0.001, rttUs: i === 31_337 ? STALL_US : 1000 }));
  const t = thin(many);
  assert.ok(t.points.length <= 600 && t.bucketS !== null);
  assert.ok(t.points.some((p) => p.rttUs === STALL_US && p.atS === 31.337));
  // Percentiles carry their n. This fixture has 1000 exchanges a repetition, so its p99s
  // are carried and no "p99 from fewer than 100" mark may appear (that mark is for files
  // written before percentiles were withheld).
  assert.match(html, /<th scope="col" class="num">n per rep<\/th>/);
  const fixture = loadFixture('single');
  const ns = fixture.cells.filter((c) => c.samples.rttUs).map((c) => c.samples.rttUs!.length);
  assert.ok(ns.length > 0 && Math.min(...ns) >= 100, `fixture exchanges per repetition: ${Math.min(...ns)}`);
  assert.doesNotMatch(html, /p99 from fewer than 100/);
});

test('an older file (samples sorted, no start times) draws no timeline and says nothing false', () => {
  const html = renderHtmlReport([loadFixture('single')], { chartJs: '' });
  assert.equal(specs(html).filter((s) => s.title.startsWith('Echo round-trip time over time')).length, 0);
});

test('in headless Chromium: the timeline is painted, the bulk table is not clipped at 1400 px', { skip, timeout: 120_000 }, async () => {
  const out = join(PROJECT_ROOT, 'test-output', 'reports');
  mkdirSync(out, { recursive: true });
  const file = join(out, 'echo-over-time.html');
  writeFileSync(file, renderHtmlReport([withTimeline().r]));
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-chromium-'));
  const ctx = await launchChromium(dir, { width: 1400, height: 900 });
  try {
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const state = await page.evaluate(() => {
      const canvas = [...document.querySelectorAll('canvas')].find((c) => (c.getAttribute('aria-label') ?? '').startsWith('Echo round-trip time over time'));
      let painted = 0;
      if (canvas) {
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
      }
      const bulk = [...document.querySelectorAll('.table-wrap')].filter((w) => (w.querySelector('caption')?.textContent ?? '').startsWith('Bulk goodput'));
      return {
        painted,
        area: canvas ? canvas.width * canvas.height : 0,
        bulk: bulk.map((w) => ({ scroll: w.scrollWidth, client: w.clientWidth })),
      };
    });
    await page.screenshot({ path: join(out, 'echo-over-time.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.ok(state.area > 0 && state.painted > state.area * 0.005, `timeline painted: ${state.painted} of ${state.area} px`);
    assert.ok(state.bulk.length > 0, 'a bulk table');
    for (const b of state.bulk) assert.ok(b.scroll <= b.client + 1, `bulk table fits its box at 1400 px: ${b.scroll} > ${b.client}`);
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
