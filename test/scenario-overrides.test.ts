// Command-line overrides go through the scenario's own validation, with the flag named in
// place of a file line, are recorded in the result, and change the hash only by what they
// change.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseScenario, scenarioSha256 } from '../harness/scenario/load.js';
import { parseOverrides } from '../harness/scenario/overrides.js';
import { formatProblem, ScenarioError } from '../harness/scenario/source.js';
import type { ResultFile } from '../harness/results/types.js';
import { CLI } from './kit/testkit.js';

const YAML = `name: over
description: a scenario to override
link:
  delay: 10ms
  loss: 0.5%
transports: [tcp, tls, quic]
workloads:
  - echo: { payload: 64B, count: 100 }
repetitions: 3
`;

async function problems(sets: string[], transports?: string): Promise<string[]> {
  try {
    await parseScenario('over.yaml', YAML, undefined, parseOverrides(sets, transports));
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

test('overrides change the fields they name, and are recorded', async () => {
  const s = await parseScenario('over.yaml', YAML, undefined, parseOverrides(['repetitions=5', 'link.loss=1%', 'workloads[0].echo.count=500', 'link.uplink={rate: 5mbit}'], 'tcp,quic'));
  assert.equal(s.repetitions, 5);
  assert.equal(s.points[0].link.uplink.lossPct, 1);
  assert.equal(s.points[0].link.uplink.rateBitsPerSec, 5e6);
  assert.equal(s.points[0].link.downlink.rateBitsPerSec, null);
  assert.deepEqual(s.transports.map((t) => t.name), ['tcp', 'quic']);
  assert.equal(s.workloads[0].kind === 'echo' && s.workloads[0].count, 500);
  assert.deepEqual(s.overrides, ['repetitions=5', 'link.loss=1%', 'workloads[0].echo.count=500', 'link.uplink={rate: 5mbit}', 'transports=[tcp, quic]']);
  // A sweep from the command line.
  const sweep = await parseScenario('over.yaml', YAML, undefined, parseOverrides(['link.loss=[0%, 1%, 5%]']));
  assert.deepEqual(sweep.points.map((p) => p.label), ['loss=0%', 'loss=1%', 'loss=5%']);
});

test('a bad override is refused with the same checks as the file, naming the flag', async () => {
  const [loss] = await problems(['link.loss=1']);
  assert.match(loss, /^--set link\.loss=1: link\.loss: .*allowed: /);
  const [unknown] = await problems(['bogus=1']);
  assert.match(unknown, /^--set bogus=1: bogus: unknown field \(allowed: name, description/);
  const [transport] = await problems([], 'tcp,sctp');
  assert.match(transport, /^--set transports=\[tcp, sctp\]: transports\[1\]: unknown transport "sctp" \(allowed: tcp, tls, quic/);
  const [through] = await problems(['name.x=1']);
  assert.match(through, /--set name\.x=1: name is not a mapping, so it has no x/);
  // Problems elsewhere in the file keep their file positions.
  const both = await problems(['repetitions=0']);
  assert.match(both[0], /^--set repetitions=0: repetitions: 0 must be >= 1/);
  assert.throws(() => parseOverrides(['=1']), /expected field=value/);
  assert.throws(() => parseOverrides(['link.loss']), /expected field=value/);
  assert.throws(() => parseOverrides(['a=[1,']), /not valid YAML/);
});

test('the hash changes with what an override changes, not with its spelling', async () => {
  const plain = await parseScenario('over.yaml', YAML);
  const same = await parseScenario('over.yaml', YAML, undefined, parseOverrides(['repetitions=3', 'link.loss=0.5%']));
  const changed = await parseScenario('over.yaml', YAML, undefined, parseOverrides(['repetitions=4']));
  assert.equal(scenarioSha256(same), scenarioSha256(plain));
  assert.notEqual(scenarioSha256(changed), scenarioSha256(plain));
});

test('bench run --set / --transports: a bad one exits 2 and creates nothing; a good one is recorded in the result', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-over-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'base.yaml');
  await writeFile(file, 'name: over-run\ndescription: overrides through bench run\ntransports: [tcp, tls]\nworkloads:\n  - echo: { payload: 64B, count: 20 }\nrepetitions: 2\n');
  const run = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI, 'run', file, '--backend', 'loopback', ...args], { encoding: 'utf8', cwd: dir });
  const bad = run(['--out', join(dir, 'bad'), '--set', 'repetitions=many']);
  assert.equal(bad.status, 2, String(bad.stderr));
  assert.match(String(bad.stderr), /--set repetitions=many: repetitions: "many" is not valid \(allowed: a whole number of repetitions/);
  assert.equal(existsSync(join(dir, 'bad')), false, 'nothing created');
  const ok = run(['--out', join(dir, 'ok'), '--set', 'repetitions=1', '--transports', 'tcp']);
  assert.equal(ok.status, 0, String(ok.stderr));
  const r = JSON.parse(await readFile(join(dir, 'ok', 'result.json'), 'utf8')) as ResultFile;
  assert.deepEqual(r.scenario.overrides, ['repetitions=1', 'transports=[tcp]']);
  assert.deepEqual([...new Set(r.cells.map((c) => c.transport))], ['tcp']);
  assert.equal(r.cells.length, 1);
});
