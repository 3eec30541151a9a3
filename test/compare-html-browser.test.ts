// The compare report opens offline from file:// in headless Chromium: no console error, no
// request beyond file:/data:, the regression row visible and marked. The screenshot goes to
// a temp dir (path in the test diagnostics) for a human to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { compareResults } from '../harness/results/compare.js';
import { renderCompareHtml } from '../reports/compare-html.js';
import { makeResult, standardSeries } from './fixtures/compare-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;

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
  const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
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
