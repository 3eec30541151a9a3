// `bench compare` as CI sees it: the built binary, its stdout/stderr and exit codes
// (0 no regression, 1 regression, 2 refused or bad input).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { calibration, makeResult, standardSeries, writeResults } from './fixtures/compare-fixtures.js';
import { CLI } from './kit/testkit.js';

function bench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'compare', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const f = writeResults({
  'base.json': makeResult({ label: 'main', series: standardSeries(1, 10) }),
  'same.json': makeResult({ label: 'pr-same', series: standardSeries(101, 10) }),
  'slow.json': makeResult({ label: 'pr-slow', series: standardSeries(101, 10, { rttFactor: 1.2 }) }),
  'few-base.json': makeResult({ label: 'main', series: standardSeries(1, 3) }),
  'few-slow.json': makeResult({ label: 'pr', series: standardSeries(2, 3, { rttFactor: 1.5 }) }),
  'four-base.json': makeResult({ label: 'main', series: standardSeries(1, 4) }),
  'four-slow.json': makeResult({ label: 'pr', series: standardSeries(2, 4, { rttFactor: 1.2 }) }),
  'other-scenario.json': makeResult({ label: 'pr-other', series: standardSeries(101, 10), sha: 'f'.repeat(64) }),
  'other-link.json': makeResult({ label: 'pr-link', series: standardSeries(101, 10), measured: calibration(70) }),
  'future.json': { ...makeResult({ label: 'x', series: [] }), formatVersion: 99 },
  'broken.json': '{"formatVersion": 1, "cells": [',
});
after(() => rmSync(dirname(f['base.json']), { recursive: true, force: true }));

test('no shift: exit 0, table on stdout, nothing on stderr', () => {
  const r = bench(f['base.json'], f['same.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /point\s+transport\s+workload\s+metric\s+baseline\s+candidate\s+delta/);
  assert.match(r.stdout, /loss=1%\s+tcp\s+echo-64B-c1\s+echo RTT p50/);
  assert.match(r.stdout, /^0 regressions, /m);
});

test('a 20 % latency regression: exit 1 and a clean one-line verdict on stderr', () => {
  const r = bench(f['base.json'], f['slow.json']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'bench: 1 significant regression beyond 5 %\n');
  assert.match(r.stdout, /echo RTT p50 .* \+\d+(\.\d)?% .* REGRESSION/);
});

test('--threshold above the shift: exit 0, reported as within the threshold', () => {
  const r = bench(f['base.json'], f['slow.json'], '--threshold', '30%');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /within 30%/);
});

test('--alpha is honoured: an impossibly strict level turns the regression into "~"', () => {
  const r = bench(f['base.json'], f['slow.json'], '--alpha', '1e-12');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /echo RTT p50 .* ~/);
  assert.doesNotMatch(r.stdout, /REGRESSION/);
});

test('--alpha 0.01 with 4+4 repetitions: too few to decide even a 20 % shift (4+4 cannot go below p = 0.029)', () => {
  const r = bench(f['four-base.json'], f['four-slow.json'], '--alpha', '0.01');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /echo RTT p50 .* ~ too few samples/);
  assert.match(r.stdout, /equal sides need at least 5 each/);
  // The same files at the default alpha = 0.05 are decided: the alpha, not the count alone, makes them too few.
  const def = bench(f['four-base.json'], f['four-slow.json']);
  assert.equal(def.code, 1, def.stderr);
  assert.match(def.stdout, /echo RTT p50 .* REGRESSION/);
});

test('n = 3: exit 0 even for a 50 % shift, with the too-few-samples note', () => {
  const r = bench(f['few-base.json'], f['few-slow.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /~ too few samples/);
});

test('--json: a parseable comparison on stdout, exit code still tells the verdict', () => {
  const r = bench(f['base.json'], f['slow.json'], '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout);
  assert.equal(j.kind, 'bench-compare');
  assert.equal(j.summary.regression, 1);
  assert.equal(j.files.baseline, f['base.json']);
  const m = j.groups.find((g: { workload: string }) => g.workload === 'echo-64B-c1').metrics[0];
  assert.equal(m.metric, 'rttP50Us');
  assert.equal(m.verdict, 'regression');
  assert.ok(m.p < 0.05 && m.deltaPct > 5);
});

test('--markdown: a GitHub table with the regression in bold', () => {
  const r = bench(f['base.json'], f['slow.json'], '--markdown');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^## bench compare: main → pr-slow/);
  assert.match(r.stdout, /\n\| point \| transport \| workload \| metric \|/);
  assert.match(r.stdout, /\n\|---\|---\|---\|---\|---:\|/);
  assert.match(r.stdout, /\| \*\*REGRESSION\*\* \|/);
});

test('--html writes a self-contained report in the run report look', () => {
  const out = join(dirname(f['base.json']), 'compare.html');
  const r = bench(f['base.json'], f['slow.json'], '--html', out);
  assert.equal(r.code, 1);
  assert.ok(existsSync(out));
  const html = readFileSync(out, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /Content-Security-Policy/);
  assert.match(html, /<tr class="regression">/);
  assert.doesNotMatch(html, /<(script|link) [^>]*(src|href)="https?:/);
});

test('different scenario hash: exit 2 with the reason; --force compares anyway', () => {
  const r = bench(f['base.json'], f['other-scenario.json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^bench: error: refusing to compare: the runs are not comparable:\n {2}- scenarioSha256 differs/);
  assert.match(r.stderr, /hint: .*--force/);
  assert.equal(r.stdout, '');
  const forced = bench(f['base.json'], f['other-scenario.json'], '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /forced past: scenarioSha256 differs/);
});

test('different measured link: exit 2 naming the point and field', () => {
  const r = bench(f['base.json'], f['other-link.json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /point "loss=1%": measured\.rttMs\.p50 differs/);
  assert.equal(bench(f['base.json'], f['other-link.json'], '--force').code, 0);
});

test('unreadable inputs: exit 2 naming the file', () => {
  const broken = bench(f['base.json'], f['broken.json']);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, new RegExp(`bench: error: .*${f['broken.json'].replace(/[/.]/g, '\\$&')}.*(JSON|json)`));
  const future = bench(f['future.json'], f['base.json']);
  assert.equal(future.code, 2);
  assert.match(future.stderr, /upgrade bench/);
  const missing = bench(f['base.json'], join(dirname(f['base.json']), 'nope.json'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json/);
});

test('bad options: exit 2', () => {
  assert.equal(bench(f['base.json'], f['same.json'], '--threshold', 'five').code, 2);
  assert.equal(bench(f['base.json'], f['same.json'], '--alpha', '2').code, 2);
  const both = bench(f['base.json'], f['same.json'], '--json', '--markdown');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /choose one/);
  assert.equal(bench(f['base.json']).code, 2);
});
