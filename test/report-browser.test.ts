// Every report opens offline from file:// in headless Chromium with no console error, no
// request other than file:/data:, and every chart canvas painted. Screenshots go to
// test-output/reports/ for a human to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext } from 'playwright-core';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { renderHtmlReport } from '../reports/html.js';
import { renderTrendReport } from '../reports/trend.js';
import { loadFixture, trendReleases } from './fixtures/report-load.js';
import { launchChromium, skipWithoutChromium } from './kit/chromium.js';

const OUT = join(PROJECT_ROOT, 'test-output', 'reports');
const skip = skipWithoutChromium;

const REPORTS: Record<string, () => string> = {
  single: () => renderHtmlReport([loadFixture('single')]),
  'sweep-loss': () => renderHtmlReport([loadFixture('sweep')]),
  failures: () => renderHtmlReport([loadFixture('failures')]),
  'quic-claims': () => renderHtmlReport([loadFixture('claims')]),
  'side-by-side': () => renderHtmlReport([loadFixture('single'), loadFixture('failures')]),
  trend: () => renderTrendReport(trendReleases()),
};

interface CanvasState {
  id: string;
  width: number;
  height: number;
  painted: number;
  hasChart: boolean;
  points: number;
}

async function launch(): Promise<{ ctx: BrowserContext; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-chromium-'));
  const ctx = await launchChromium(dir);
  return { ctx, dir };
}

test('reports render offline in headless Chromium with painted charts', { skip, timeout: 180_000 }, async (t) => {
  mkdirSync(OUT, { recursive: true });
  const { ctx, dir } = await launch();
  const external: string[] = [];
  ctx.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith('file:') && !url.startsWith('data:')) external.push(url);
  });
  try {
    for (const [name, render] of Object.entries(REPORTS)) {
      await t.test(name, async () => {
        const file = join(OUT, `${name}.html`);
        writeFileSync(file, render());
        const page = await ctx.newPage();
        const errors: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(String(e)));
        const before = external.length;
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        await page.waitForFunction(() => document.readyState === 'complete');
        const canvases = await page.evaluate(() => {
          const C = (window as unknown as { Chart?: { getChart(c: HTMLCanvasElement): { data: { datasets: { data: unknown[] }[] } } | undefined } }).Chart;
          return [...document.querySelectorAll('canvas')].map((c) => {
            const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
            const chart = C?.getChart(c);
            const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
            return { id: c.id, width: c.width, height: c.height, painted, hasChart: !!chart, points };
          });
        });
        const shot = join(OUT, `${name}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        t.diagnostic(`screenshot: ${shot}`);
        assert.deepEqual(errors, [], `console errors in ${name}`);
        assert.deepEqual(external.slice(before), [], `network requests from ${name}`);
        assert.ok(canvases.length > 0, `${name} has charts`);
        for (const c of canvases as CanvasState[]) {
          assert.ok(c.hasChart, `${name} ${c.id}: Chart.js instance`);
          assert.ok(c.width > 0 && c.height > 0, `${name} ${c.id}: has a size`);
          assert.ok(c.points > 0, `${name} ${c.id}: has data`);
          assert.ok(c.painted > c.width * c.height * 0.005, `${name} ${c.id}: non-blank (${c.painted} painted pixels)`);
        }
        await page.close();
      });
    }

    await t.test('narrow window and print', async () => {
      const page = await ctx.newPage();
      await page.setViewportSize({ width: 390, height: 800 });
      await page.goto(pathToFileURL(join(OUT, 'failures.html')).href, { waitUntil: 'load' });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px at 390px (only tables may scroll, inside their box)`);
      const narrow = join(OUT, 'failures-narrow.png');
      await page.screenshot({ path: narrow, fullPage: true });
      t.diagnostic(`screenshot: ${narrow}`);
      await page.setViewportSize({ width: 1000, height: 800 });
      await page.goto(pathToFileURL(join(OUT, 'sweep-loss.html')).href, { waitUntil: 'load' });
      await page.emulateMedia({ media: 'print' });
      const print = join(OUT, 'sweep-loss-print.png');
      await page.screenshot({ path: print, fullPage: true });
      t.diagnostic(`screenshot: ${print}`);
      const pdf = join(OUT, 'sweep-loss.pdf');
      await page.pdf({ path: pdf, format: 'A4', printBackground: true });
      assert.ok(statSync(pdf).size > 20_000, 'print to PDF produced pages');
      await page.close();
    });
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
