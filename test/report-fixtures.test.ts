// The committed report fixtures are valid result files and still what the generator makes,
// so they stay reproducible and in step with harness/types.ts and harness/metrics.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cellKey } from '../harness/results/metrics.js';
import { parseResult } from '../harness/results/result-file.js';
import { FORMAT_VERSION, type ResultFile } from '../harness/results/types.js';
import { buildFixture, FIXTURE_SPECS, fixtureJson, fixturePath } from './fixtures/report-gen.js';
import { loadFixture } from './fixtures/report-load.js';

test('committed fixtures equal the generator output (regenerate: node dist/test/fixtures/report-gen.js --write)', () => {
  for (const spec of FIXTURE_SPECS) {
    assert.equal(readFileSync(fixturePath(spec.file), 'utf8'), fixtureJson(buildFixture(spec)), spec.file);
  }
});

function checkValid(r: ResultFile): void {
  assert.doesNotThrow(() => parseResult(JSON.parse(JSON.stringify(r))), 'the result reader accepts it');
  assert.equal(r.formatVersion, FORMAT_VERSION);
  const points = new Set(r.scenario.points.map((p) => p.index));
  assert.deepEqual(new Set(r.labs.map((l) => l.point)), points, 'a lab per point');
  const ids = new Set<string>();
  const transports = new Set(r.scenario.transports.map((t) => t.name));
  const workloads = new Map(r.scenario.workloads.map((w) => [w.id, w.kind]));
  for (const c of r.cells) {
    assert.equal(c.id, `${cellKey(c)}/${c.repetition}`);
    assert.ok(!ids.has(c.id), `unique ${c.id}`);
    ids.add(c.id);
    assert.ok(points.has(c.point) && transports.has(c.transport), c.id);
    assert.equal(workloads.get(c.workload), c.kind, c.id);
    assert.ok(c.repetition >= 0 && c.repetition < r.scenario.repetitions);
    assert.equal(c.reason === null, c.status === 'ok', `${c.id}: a reason exactly when not ok`);
  }
  assert.equal(ids.size, r.scenario.points.length * r.scenario.transports.length * r.scenario.workloads.length * r.scenario.repetitions, 'full matrix');
}

test('single-point fixture', () => {
  const r = loadFixture('single');
  checkValid(r);
  assert.equal(r.scenario.points.length, 1);
  assert.deepEqual(r.scenario.sweep, []);
  assert.ok(r.cells.every((c) => c.status === 'ok'));
  assert.ok(new Set(r.cells.filter((c) => c.counters?.client?.protocol === 'quic' || c.transport.startsWith('quic')).map((c) => c.implementation)).size >= 2, 'two QUIC implementations');
});

test('loss sweep fixture: 0, 1 and 5 %', () => {
  const r = loadFixture('sweep');
  checkValid(r);
  assert.deepEqual(r.scenario.sweep, [{ field: 'link.loss', values: ['0%', '1%', '5%'] }]);
  assert.deepEqual(r.scenario.points.map((p) => p.link.downlink.lossPct), [0, 1, 5]);
  assert.ok(r.cells.some((c) => c.cpu?.cpuBound), 'QUIC CPU-bound at 0 % loss');
});

test('failure fixture: failed, timeout, unsupported and CPU-bound cells', () => {
  const r = loadFixture('failures');
  checkValid(r);
  for (const s of ['failed', 'timeout', 'unsupported'] as const) assert.ok(r.cells.some((c) => c.status === s), s);
  assert.ok(r.cells.some((c) => c.status === 'ok' && c.cpu?.cpuBound));
  assert.ok(r.warnings.length > 0 && r.labs[0].warnings.length > 0 && r.cells.some((c) => c.warnings.length > 0));
  assert.ok(r.cells.some((c) => c.logs?.client));
});
