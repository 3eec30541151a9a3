// `bench compare` as CI sees it: the built binary, its stdout/stderr and exit codes
// (0 every row decided and none regressed, 1 regression or lost measurement, 5 undecided,
// 2 refused or bad input).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { calibration, makeResult, samples, standardSeries, writeResults, type SeriesSpec } from './fixtures/compare-fixtures.js';
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
  'few-half.json': makeResult({ label: 'pr', series: standardSeries(2, 3, { goodputFactor: 0.5 }) }),
  'noisy-base.json': makeResult({ label: 'main', series: noisy(1) }),
  'noisy-cand.json': makeResult({ label: 'pr', series: noisy(2) }),
  'empty.json': makeResult({ label: 'pr-empty', series: [] }),
  'other-scenario.json': makeResult({ label: 'pr-other', series: standardSeries(101, 10), sha: 'f'.repeat(64) }),
  'other-link.json': makeResult({ label: 'pr-link', series: standardSeries(101, 10), measured: calibration(70) }),
  'future.json': { ...makeResult({ label: 'x', series: [] }), formatVersion: 99 },
  'broken.json': '{"formatVersion": 1, "cells": [',
});
after(() => rmSync(dirname(f['base.json']), { recursive: true, force: true }));

function noisy(seed: number): SeriesSpec[] {
  return [{ transport: 'tcp', workload: 'echo-64B-c1', kind: 'echo', metrics: { rttP50Us: samples(seed, 3, 50_000, 0.3) } }];
}

test('no shift: every row decided same, exit 0, table on stdout, nothing on stderr', () => {
  const r = bench(f['base.json'], f['same.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /point\s+transport\s+workload\s+metric\s+baseline\s+candidate\s+delta\s+CI of delta/);
  assert.match(r.stdout, /loss=1%\s+tcp\s+echo-64B-c1\s+echo RTT p50/);
  assert.match(r.stdout, /^0 regressions, 0 improvements, 0 within 5%, 2 same, 0 undecided/m);
});

test('a 20 % latency regression: exit 1 and a clean one-line verdict on stderr', () => {
  const r = bench(f['base.json'], f['slow.json']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'bench: 1 regression beyond 5 % (decided slower)\n');
  assert.match(r.stdout, /echo RTT p50 .* \+\d+(\.\d)?% .* REGRESSION/);
});

test('a halved goodput at 3 against 3 repetitions: exit 1', () => {
  const r = bench(f['few-base.json'], f['few-half.json']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /bulk goodput \(for steady-state goodput\) .* -5\d% .* REGRESSION/);
});

test('--threshold above the shift: exit 0, reported as within the threshold or same', () => {
  const r = bench(f['base.json'], f['slow.json'], '--threshold', '30%');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /slower, within 30%|same \(±30%\)/);
});

test('--alpha is honoured: an impossibly strict level leaves the shift undecided, exit 5', () => {
  const r = bench(f['base.json'], f['slow.json'], '--alpha', '1e-20');
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stdout, /echo RTT p50 .* undecided/);
  assert.doesNotMatch(r.stdout, / REGRESSION\n/);
});

test('undecided rows and nothing regressed: exit 5 with the hint; --undecided pass makes it 0', () => {
  const r = bench(f['noisy-base.json'], f['noisy-cand.json']);
  assert.equal(r.code, 5, r.stdout);
  // The baseline's own 3 repetitions at CV 30 % are too wide for any number of candidate ones: no estimate.
  assert.match(r.stderr, /^bench: 1 of 1 rows undecided, none regressed\n {2}hint: pass --undecided pass/);
  assert.match(r.stdout, /echo RTT p50 .* undecided\n/);
  const pass = bench(f['noisy-base.json'], f['noisy-cand.json'], '--undecided', 'pass');
  assert.equal(pass.code, 0, pass.stderr);
  assert.equal(bench(f['noisy-base.json'], f['noisy-cand.json'], '--undecided', 'maybe').code, 2);
});

test('a candidate with no cells: exit 1, the lost measurements listed', () => {
  const r = bench(f['base.json'], f['empty.json']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /2 measurements the baseline had are missing or failing in the candidate/);
  assert.match(r.stdout, /lost \(the baseline measured them; they fail the gate\):\n {2}loss=1% tcp echo-64B-c1: missing in the candidate/);
});

test('--json: a parseable comparison on stdout, exit code still tells the verdict', () => {
  const r = bench(f['base.json'], f['slow.json'], '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout);
  assert.equal(j.kind, 'bench-compare');
  assert.equal(j.formatVersion, 2);
  assert.equal(j.summary.regression, 1);
  assert.equal(j.outcome, 'regression');
  assert.deepEqual(j.family, { rows: 2, alphaPerRow: 0.025 });
  assert.equal(j.files.baseline, f['base.json']);
  const m = j.groups.find((g: { workload: string }) => g.workload === 'echo-64B-c1').metrics[0];
  assert.equal(m.metric, 'rttP50Us');
  assert.equal(m.verdict, 'regression');
  assert.equal(m.decision.verdict, 'slower');
  assert.ok(m.decision.p < 0.025 && m.decision.deltaPct > 5 && m.decision.ciPct[0] > 0);
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
  assert.equal(forced.code, 0, forced.stdout + forced.stderr);
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
