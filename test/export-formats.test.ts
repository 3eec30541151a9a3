// `bench export` (issue 19): github-action-benchmark custom JSON and Bencher Metric Format,
// checked against each format's published definition and examples, with names that stay
// put across releases and values that are the reports' medians.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { METRICS } from '../harness/results/metrics.js';
import { medianCI } from '../harness/core/stats.js';
import type { ResultFile } from '../harness/results/types.js';
import { COUNT_MEASURES, METRIC_IDS, renderExport, type Bmf, type GabEntry } from '../reports/export.js';
import { groupCells, metricValues } from '../reports/model.js';
import { fixtureFile, loadFixture, trendReleases } from './fixtures/report-load.js';
import { makeResult, samples, writeResults } from './fixtures/compare-fixtures.js';
import { CLI } from './kit/testkit.js';

const Ajv = createRequire(import.meta.url)('ajv') as typeof import('ajv').default;
const ajv = new Ajv({ allErrors: true, strict: true });

// ---------------------------------------------------------------- the formats, as published

// github-action-benchmark (benchmark-action/github-action-benchmark, src/extract.ts at
// 04dcc2c41a0add41e0fa82c268ae40952fcd8be4): `interface BenchmarkResult { name: string;
// value: number; range?: string; unit: string; extra?: string }`; the customBiggerIsBetter /
// customSmallerIsBetter tools JSON.parse the file as an array of them and keep exactly those
// five fields (extractCustomBenchmarkResult). Encoded here as a JSON schema.
const GAB_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['name', 'value', 'unit'],
    additionalProperties: false,
    properties: { name: { type: 'string' }, value: { type: 'number' }, unit: { type: 'string' }, range: { type: 'string' }, extra: { type: 'string' } },
  },
};
// Its published example: test/data/extract/customBiggerIsBetter_output.json at e7d61db8bb1071dd4a68d8052168389e4f0b5806.
const GAB_EXAMPLE = [
  { name: 'My Custom Bigger Is Better Benchmark - Throughput', unit: 'req/s', value: 70 },
  { name: 'My Custom Bigger Is Better Benchmark - Free Memory', unit: 'Megabytes', value: 150, range: '3', extra: 'Optional Value #1: 25\nHelpful Num #2: 100\nAnything Else!' },
];
/** What the action keeps of each entry (extractCustomBenchmarkResult): a field we wrote and it drops would be lost. */
function gabExtract(text: string): GabEntry[] {
  return (JSON.parse(text) as GabEntry[]).map(({ name, value, unit, range, extra }) => ({ name, value, unit, range, extra }));
}

// Bencher Metric Format: the JSON schema published at https://bencher.dev/docs/reference/bencher-metric-format
// ($id https://bencher.dev/bmf.json, draft-07), with its example. Same page: a measure is
// identified by a slug (max 64 characters) or a name (max 64), a benchmark by a name of at
// most 1024 characters.
const BMF_SCHEMA = {
  $id: 'https://bencher.dev/bmf.json',
  type: 'object',
  patternProperties: {
    '.+': {
      type: 'object',
      patternProperties: {
        '.+': {
          type: 'object',
          properties: { value: { type: 'number' }, lower_value: { type: 'number' }, upper_value: { type: 'number' } },
          required: ['value'],
        },
      },
    },
  },
};
const BMF_EXAMPLE = {
  benchmark_name: { latency: { value: 88.0, lower_value: 87.42, upper_value: 88.88 }, throughput: { value: 5.55, lower_value: 3.14, upper_value: 6.3 } },
  '/bin/sh -c ./my_build_script.sh': { 'build-time': { value: 87.0 } },
  my_binary: { 'file-size': { value: 42.0 } },
};
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

const validGab = ajv.compile(GAB_SCHEMA);
const validBmf = ajv.compile(BMF_SCHEMA);

function assertGab(text: string): GabEntry[] {
  const data = JSON.parse(text) as unknown;
  assert.ok(validGab(data), JSON.stringify(validGab.errors));
  const entries = data as GabEntry[];
  assert.deepEqual(gabExtract(text), entries.map((e) => ({ range: undefined, extra: undefined, ...e })), 'a field github-action-benchmark drops');
  assert.equal(new Set(entries.map((e) => e.name)).size, entries.length, 'names are unique');
  return entries;
}

function assertBmf(text: string): Bmf {
  const data = JSON.parse(text) as unknown;
  assert.ok(validBmf(data), JSON.stringify(validBmf.errors));
  for (const [benchmark, measures] of Object.entries(data as Bmf)) {
    assert.ok(benchmark.length <= 1024, benchmark);
    for (const m of Object.keys(measures)) assert.ok(m.length <= 64 && SLUG.test(m), `measure ${m} is not a Bencher slug`);
  }
  return data as Bmf;
}

test('the encoded schemas accept their formats\' published examples and reject a wrong type', () => {
  assert.ok(validGab(GAB_EXAMPLE), JSON.stringify(validGab.errors));
  assert.ok(validBmf(BMF_EXAMPLE), JSON.stringify(validBmf.errors));
  assert.equal(validGab([{ name: 'x', value: '70', unit: 'req/s' }]), false);
  assert.equal(validBmf({ b: { latency: { lower_value: 1 } } }), false);
});

// ---------------------------------------------------------------- bench's exports

const sweep = loadFixture('sweep');
const failures = loadFixture('failures');

test('metric ids are pinned: every registered metric has one, and none ever changes', () => {
  assert.deepEqual(Object.keys(METRIC_IDS).sort(), Object.keys(METRICS).sort(), 'a metric without an export id (add it to reports/export.ts METRIC_IDS)');
  assert.deepEqual(METRIC_IDS, {
    rttP50Us: 'rtt-p50-us', rttP90Us: 'rtt-p90-us', rttP99Us: 'rtt-p99-us', rttP999Us: 'rtt-p999-us', rttMaxUs: 'rtt-max-us',
    firstExchangeUs: 'first-exchange-us', echoLossPct: 'echo-loss-pct', goodputBitsPerSec: 'goodput-mbit-s',
    steadyGoodputBitsPerSec: 'steady-goodput-mbit-s',
    handshakeP50Us: 'handshake-p50-us', handshakeP99Us: 'handshake-p99-us',
    setupP50Us: 'setup-p50-us',
    setupRoundTrips: 'setup-rtt',
    handshakeRoundTrips: 'handshake-rtt',
    exchangeP50Us: 'exchange-p50-us',
    exchangeP90Us: 'exchange-p90-us',
    exchangeP99Us: 'exchange-p99-us',
    exchangeMaxUs: 'exchange-max-us',
    exchangeSeriesUs: 'exchange-series-us',
    exchangeSetupUs: 'exchange-setup-us',
    streamP50Us: 'stream-p50-us',
    streamP90Us: 'stream-p90-us',
    streamP99Us: 'stream-p99-us',
    firstStreamP50Us: 'first-stream-p50-us',
    roundP50Us: 'round-p50-us',
    roundP99Us: 'round-p99-us',
    spreadP50Us: 'spread-p50-us',
    spreadP99Us: 'spread-p99-us',
    fullSetupP50Us: 'full-setup-p50-us',
    fullFirstByteP50Us: 'full-first-byte-p50-us',
    resumedSetupP50Us: 'resumed-setup-p50-us',
    resumedFirstByteP50Us: 'resumed-first-byte-p50-us',
    fullSetupRoundTrips: 'full-setup-rtt',
    resumedSetupRoundTrips: 'resumed-setup-rtt',
    resumedFirstByteRoundTrips: 'resumed-first-byte-rtt',
    resumedPct: 'resumed-pct',
    earlyDataPct: 'early-data-pct',
    halfCloseCarried: 'half-close-carried', halfCloseAnswerUs: 'half-close-answer-us',
  });
});

test('github-action-benchmark: one file per direction, valid, values are the medians of the ok repetitions', () => {
  const smaller = assertGab(renderExport([sweep], 'github-action-benchmark', { direction: 'smaller' }).content);
  const bigger = assertGab(renderExport([sweep], 'github-action-benchmark', { direction: 'bigger' }).content);
  assert.ok(smaller.every((e) => !e.name.endsWith('goodput-mbit-s')) && smaller.some((e) => e.name.endsWith('/rtt-p50-us')));
  assert.ok(bigger.length > 0 && bigger.every((e) => /\/(steady-)?goodput-mbit-s$/.test(e.name) && e.unit === 'Mbit/s'));
  // 3 points x 3 transports x (6 echo + 2 handshake) smaller metrics (p99.9 is withheld: the
  // fixture's echo cells have fewer than 1000 exchanges); x 2 goodputs (whole, steady) bigger.
  assert.equal(smaller.length, 3 * 3 * 8);
  assert.equal(bigger.length, 3 * 3 * 2);

  const g = groupCells(sweep).find((x) => x.point === 1 && x.transport === 'quic' && x.kind === 'echo')!;
  const rtt = medianCI(metricValues(g, 'rttP50Us'));
  const e = smaller.find((x) => x.name === `loss-sweep/loss=1%/quic/${g.workload}/rtt-p50-us`)!;
  assert.ok(e, 'the QUIC echo p50 at loss=1%');
  assert.equal(e.unit, 'us');
  assert.equal(e.value, Number(rtt.estimate.toPrecision(6)));
  assert.match(e.extra!, /implementation: @matrixai\/quic 2\.0\.9 \(quiche\)/);
  assert.match(e.range!, /^\d+(\.\d+)?% CI \[[\d.]+, [\d.]+\]$/);
  const gb = groupCells(sweep).find((x) => x.point === 2 && x.transport === 'tcp' && x.kind === 'bulk')!;
  const goodput = bigger.find((x) => x.name === `loss-sweep/loss=5%/tcp/${gb.workload}/goodput-mbit-s`)!;
  assert.equal(goodput.value, Number((medianCI(metricValues(gb, 'goodputBitsPerSec')).estimate * 1e-6).toPrecision(6)));
});

test('bencher: valid BMF, lower/upper are the median\'s interval, counts beside the figures', () => {
  const bmf = assertBmf(renderExport([sweep], 'bencher').content);
  const g = groupCells(sweep).find((x) => x.point === 2 && x.transport === 'tls' && x.kind === 'echo')!;
  const b = bmf[`loss-sweep/loss=5%/tls/${g.workload}`];
  const ci = medianCI(metricValues(g, 'rttP99Us'));
  assert.deepEqual(b['rtt-p99-us'], { value: Number(ci.estimate.toPrecision(6)), lower_value: Number(ci.lo.toPrecision(6)), upper_value: Number(ci.hi.toPrecision(6)) });
  assert.ok(b['rtt-p99-us'].lower_value! <= b['rtt-p99-us'].value && b['rtt-p99-us'].value <= b['rtt-p99-us'].upper_value!);
  assert.deepEqual(b[COUNT_MEASURES.ok], { value: g.ok.length });
  assert.deepEqual(b[COUNT_MEASURES.cpuBound], { value: g.cpuBoundReps });
  assert.equal(Object.keys(bmf).length, 3 * 3 * 3, 'one benchmark per point x transport x workload');
});

test('names stay the same across releases: new values, a new @matrixai/quic version, the same names', () => {
  const names = (r: ResultFile): string[] => [
    ...JSON.parse(renderExport([r], 'github-action-benchmark', { direction: 'smaller' }).content).map((e: GabEntry) => e.name),
    ...Object.keys(JSON.parse(renderExport([r], 'bencher').content) as Bmf),
  ];
  const [v1, v2, v3] = trendReleases();
  assert.notEqual(v3.cells.find((c) => c.transport === 'quic')!.implementation, v1.cells.find((c) => c.transport === 'quic')!.implementation);
  assert.deepEqual(names(v2), names(v1));
  assert.deepEqual(names(v3), names(v1));
  for (const n of names(v1)) assert.doesNotMatch(n, /matrixai|node:|OpenSSL|rep|20\d\d-/, n);
});

test('failed and unsupported groups are skipped with their reasons; CPU-bound figures are kept and marked', () => {
  const out = renderExport([failures], 'github-action-benchmark', { direction: 'smaller' });
  const entries = assertGab(out.content);
  assert.ok(out.skipped.some((s) => s.benchmark === 'short-rtt-failures/base/quic-go-tun/echo-64B-c1' && /^no ok repetition \(failed: /.test(s.reason)), JSON.stringify(out.skipped));
  assert.ok(out.skipped.some((s) => s.benchmark === 'short-rtt-failures/base/udp/handshake-x10' && /unsupported: /.test(s.reason)));
  for (const s of out.skipped) assert.ok(!entries.some((e) => e.name.startsWith(`${s.benchmark}/`)), `${s.benchmark} was skipped but exported`);

  const cpuBound = groupCells(failures).filter((g) => g.ok.length > 0 && g.cpuBoundReps > 0);
  assert.ok(cpuBound.length > 0, 'the fixture has CPU-bound groups');
  const bmf = assertBmf(renderExport([failures], 'bencher').content);
  for (const g of cpuBound) {
    const name = `short-rtt-failures/base/${g.transport}/${g.workload}`;
    assert.equal(bmf[name][COUNT_MEASURES.cpuBound].value, g.cpuBoundReps);
    for (const e of entries.filter((x) => x.name.startsWith(`${name}/`))) assert.match(e.extra!, /CPU-bound in \d+ of \d+ repetitions: this figure measures the endpoint's CPU, not the link/);
  }
  // A group with failed repetitions says on how many its figure stands.
  const partial = groupCells(failures).find((g) => g.transport === 'tcp' && g.kind === 'bulk')!;
  assert.deepEqual([partial.ok.length, partial.cells.length], [2, 3], 'the fixture\'s tcp bulk: 2 of 3 ok');
  const bulk = assertGab(renderExport([failures], 'github-action-benchmark', { direction: 'bigger' }).content);
  const e = bulk.find((x) => x.name === `short-rtt-failures/base/tcp/${partial.workload}/goodput-mbit-s`)!;
  assert.match(e.extra!, /median of 2 ok repetitions \(of 3; the others failed or timed out\), 50% CI \[/);
});

test('the same scenario twice in one export is refused: two measurements would share a name', () => {
  assert.throws(() => renderExport([sweep, sweep], 'bencher'), /would stand for two measurements \(e\.g\. loss-sweep\/loss=0%\/tcp\//);
  assert.doesNotThrow(() => renderExport([sweep, failures], 'bencher'));
});

// ---------------------------------------------------------------- the command

const files = writeResults({
  'echo-only.json': makeResult({ label: 'x', series: [{ transport: 'tcp', workload: 'echo-64B-c1', kind: 'echo', metrics: { rttP50Us: samples(1, 5, 50_000) } }] }),
});
after(() => rmSync(dirname(files['echo-only.json']), { recursive: true, force: true }));

function bench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'export', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench export: stdout by default, -o writes the file and prints its path', () => {
  const r = bench(fixtureFile('sweep'), '--format', 'bencher');
  assert.equal(r.code, 0, r.stderr);
  assertBmf(r.stdout);
  const out = `${dirname(files['echo-only.json'])}/smaller.json`;
  const w = bench(fixtureFile('single'), '--format', 'github-action-benchmark', '--direction', 'smaller', '--metrics', 'rtt-p50-us,handshake-p50-us', '-o', out);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.stdout, `${out}\n`);
  const entries = assertGab(readFileSync(out, 'utf8'));
  assert.ok(entries.length > 0 && entries.every((e) => /\/(rtt-p50-us|handshake-p50-us)$/.test(e.name)));
});

test('bench export refuses bad input with exit 2 and says what is allowed', () => {
  const cases: [string[], RegExp][] = [
    [[fixtureFile('sweep'), '--format', 'github-action-benchmark'], /takes one direction per file[\s\S]*hint: export twice: --direction smaller .* and --direction bigger/],
    [[fixtureFile('sweep'), '--format', 'csv'], /--format "csv" is not supported \(allowed: github-action-benchmark, bencher\)/],
    [[fixtureFile('sweep'), '--format', 'bencher', '--direction', 'up'], /--direction "up" is not supported \(allowed: smaller, bigger\)/],
    [[fixtureFile('sweep'), '--format', 'bencher', '--metrics', 'rtt-p50'], /unknown metric rtt-p50 \(allowed: all, rtt-p50-us, /],
    [[files['echo-only.json'], '--format', 'github-action-benchmark', '--direction', 'bigger'], /nothing to export from .* with --direction bigger[\s\S]*hint: bigger-is-better metrics come from bulk workloads/],
    [[fixtureFile('sweep'), fixtureFile('sweep'), '--format', 'bencher'], /would stand for two measurements/],
  ];
  for (const [args, msg] of cases) {
    const r = bench(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stdout, '');
  }
});
