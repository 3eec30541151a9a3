// The compare report opens offline from file:// in headless Chromium: no console error, no
// request beyond file:/data:, the regression row visible and marked. The screenshot goes to
// a temp dir (path in the test diagnostics) for a human to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareResults } from '../harness/results/compare.js';
import { renderCompareHtml } from '../reports/compare-html.js';
import { makeResult, standardSeries } from './fixtures/compare-fixtures.js';
import { launchChromium, skipWithoutChromium } from './kit/chromium.js';

const skip = skipWithoutChromium;

test('compare.html renders offline with the regression marked', { skip, timeout: 120_000 }, async (t) => {
  const quic = standardSeries(11, 10, { transport: 'quic' }).map((s) => ({ ...s, cpuBound: true }));
  const c = compareResults(
    makeResult({ label: 'main', series: [...standardSeries(1, 10), ...quic] }),
    makeResult({ label: 'pr <b>', series: [...standardSeries(2, 10, { rttFactor: 1.2 }), ...standardSeries(12, 3, { transport: 'quic' })] }),
    { thresholdPct: 5, alpha: 0.05, force: false },
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-compare-html-'));
  const file = join(dir, 'compare.html');
  writeFileSync(file, renderCompareHtml(c, { baseline: 'base/result.json', candidate: 'head/result.json' }));
  const ctx = await launchChromium(join(dir, 'profile'));
  const external: string[] = [];
  const errors: string[] = [];
  ctx.on('request', (req) => {
    if (!/^(file|data):/.test(req.url())) external.push(req.url());
  });
  try {
    const page = await ctx.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    assert.equal(await page.title(), 'bench compare: main vs pr <b>');
    const regression = page.locator('tr.regression');
    assert.equal(await regression.count(), 1);
    assert.match(await regression.innerText(), /echo RTT p50[\s\S]*REGRESSION/);
    assert.equal(await page.locator('tr.cpu-bound').count(), 2);
    assert.match(await page.locator('.note.bad').innerText(), /^1 regression/);
    await page.screenshot({ path: join(dir, 'compare.png'), fullPage: true });
    t.diagnostic(`screenshot: ${join(dir, 'compare.png')}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(external, []);
  } finally {
    await ctx.close();
    rmSync(join(dir, 'profile'), { recursive: true, force: true });
  }
});
