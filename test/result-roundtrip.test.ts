// The result file: what is written atomically is read back unchanged; the reader refuses
// files it cannot trust with a message naming the file; the scenario hash identifies the
// resolved scenario, not the text it was written in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { skipUnlessRoot, tempDir } from './kit/testkit.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { InputError } from '../harness/core/errors.js';
import { readResultFile, writeResultFileAtomic } from '../harness/results/result-file.js';
import { parseScenario, scenarioSha256 } from '../harness/scenario/load.js';
import { FORMAT_VERSION, type ResultFile } from '../harness/results/types.js';

const SCENARIO_TEXT = `# a comment
name: roundtrip
description: >
  Does the result file survive a round trip?
link:
  delay: 25ms
  loss: [0%, 1%]
  rate: 20mbit
transports: [tcp, quic]
workloads:
  - echo: { payload: 64B, count: 3 }
repetitions: 1
`;

async function sampleResult(): Promise<ResultFile> {
  const scenario = await parseScenario('scenarios/roundtrip.yaml', SCENARIO_TEXT);
  const configured = scenario.points[1].link;
  return {
    formatVersion: FORMAT_VERSION,
    tool: { name: 'bench', version: '0.1.0', gitSha: null },
    label: 'roundtrip',
    status: 'complete',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:10.000Z',
    host: {
      hostname: 'h', kernel: '6.8.0', platform: 'linux', arch: 'x64', cpus: 8, cpuModel: 'cpu', memBytes: 16e9, node: 'v20.19.0',
      tools: { tc: 'iproute2-6.1.0' },
    },
    scenario,
    scenarioSha256: scenarioSha256(scenario),
    scenarioSource: SCENARIO_TEXT,
    backend: 'netem',
    labs: [
      {
        point: 1,
        backend: 'netem',
        namespaces: { client: 'bench-c', server: 'bench-s' },
        addresses: { client: '10.0.0.1', server: '10.0.0.2' },
        configured,
        measured: null,
        applied: { congestionControl: 'cubic', sysctls: { 'net.ipv4.tcp_congestion_control': 'cubic' }, commands: ['tc qdisc add ...'], readback: [] },
        warnings: [{ code: 'calibration-rtt', message: 'RTT 52 ms, configured 50 ms', remedy: 'none needed', point: 1 }],
      },
    ],
    cells: [
      {
        id: '1/tcp/echo-64B-c1-n3/0',
        point: 1,
        transport: 'tcp',
        implementation: 'node:net',
        workload: 'echo-64B-c1-n3',
        kind: 'echo',
        repetition: 0,
        status: 'ok',
        reason: null,
        startedAt: '2025-01-01T00:00:01.000Z',
        durationMs: 160.5,
        samples: { rttUs: [50_123, 50_456.5, 51_002], firstExchangeUs: 100_400 },
        metrics: { rttP50Us: 50_456.5 },
        cpu: null,
        counters: { sender: 'both', client: { protocol: 'tcp', scope: 'namespace', retransSegs: 0, outSegs: 12 }, server: { protocol: 'tcp', scope: 'namespace', retransSegs: 1, outSegs: 13 } },
        warnings: [],
      },
    ],
    warnings: [],
  };
}

const tmp = (): string => tempDir('bench-result-');

/** What the user sees: cli.ts prints the message and then the hint. */
async function refusal(path: string): Promise<{ message: string; shown: string }> {
  try {
    await readResultFile(path);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return { message: err.message, shown: `${err.message}\n${err.hint ?? ''}` };
  }
  assert.fail(`${path} was accepted`);
}

test('writeResultFileAtomic then readResultFile returns the same object', async () => {
  const path = join(tmp(), 'result.json');
  const result = await sampleResult();
  await writeResultFileAtomic(path, result);
  assert.deepEqual(await readResultFile(path), JSON.parse(JSON.stringify(result)));
  assert.deepEqual(await readResultFile(path), result);
});

test('the atomic write leaves no temp file behind, also when it replaces an earlier result', async () => {
  const dir = tmp();
  const path = join(dir, 'result.json');
  const result = await sampleResult();
  await writeResultFileAtomic(path, { ...result, status: 'running', cells: [] });
  await writeResultFileAtomic(path, result);
  assert.deepEqual(readdirSync(dir), ['result.json']);
  assert.equal((await readResultFile(path)).status, 'complete');
});

test('a write that fails (disk full) leaves the previous complete file in place and no temp file', { skip: skipUnlessRoot() }, async () => {
  // A real full disk: a 64 KiB tmpfs, mounted in a private mount namespace so the host never
  // sees it. (Temp names are random now, so a name cannot be occupied to make a write fail.)
  const dir = tmp();
  const module = pathToFileURL(join(PROJECT_ROOT, 'dist', 'harness', 'results', 'result-file.js')).href;
  const script = [
    `const { writeResultFileAtomic } = await import(${JSON.stringify(module)});`,
    `const result = JSON.parse(process.env.RESULT);`,
    `const path = ${JSON.stringify(join(dir, 'result.json'))};`,
    `await writeResultFileAtomic(path, result);`,
    `const big = { ...result, status: 'failed', scenarioSource: 'x'.repeat(200_000) };`,
    `const err = await writeResultFileAtomic(path, big).then(() => null, (e) => e.code);`,
    `const fs = await import('node:fs');`,
    `console.log(JSON.stringify({ err, files: fs.readdirSync(${JSON.stringify(dir)}), status: JSON.parse(fs.readFileSync(path, 'utf8')).status }));`,
  ].join('\n');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs "$0" && exec "$1" --input-type=module -e "$2"`, dir, process.execPath, script], {
    encoding: 'utf8',
    env: { ...process.env, RESULT: JSON.stringify(await sampleResult()) },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { err: 'ENOSPC', files: ['result.json'], status: 'complete' });
});

test('a result from a newer bench is refused with "upgrade bench"', async () => {
  const path = join(tmp(), 'future.json');
  writeFileSync(path, JSON.stringify({ ...(await sampleResult()), formatVersion: FORMAT_VERSION + 1 }));
  const r = await refusal(path);
  assert.equal(r.message, `${path} has result format ${FORMAT_VERSION + 1}, newer than this bench understands (${FORMAT_VERSION})`);
  assert.match(r.shown, /upgrade bench/);
});

test('broken JSON is refused with a message naming the file', async () => {
  const path = join(tmp(), 'broken.json');
  writeFileSync(path, '{"formatVersion": 1, "cells": [');
  const r = await refusal(path);
  assert.ok(r.message.startsWith(`${path}:1:32: not a bench result file: broken JSON (`), r.message);
  assert.match(r.shown, /written atomically/);
});

test('JSON that is not a result file is refused', async () => {
  const dir = tmp();
  const cases: [string, unknown, (path: string) => string][] = [
    ['list.json', [1, 2, 3], (p) => `${p} is not a bench result file (no formatVersion)`],
    ['package.json', { name: 'bench', version: '0.1.0' }, (p) => `${p} is not a bench result file (no formatVersion)`],
    ['null.json', null, (p) => `${p} is not a bench result file (no formatVersion)`],
    ['version-text.json', { formatVersion: '1' }, (p) => `${p}: formatVersion "1" is not a valid format version`],
    ['version-zero.json', { formatVersion: 0 }, (p) => `${p}: formatVersion 0 is not a valid format version`],
    ['no-cells.json', { formatVersion: 1, tool: {}, host: {}, scenario: {}, labs: [] }, (p) => `${p}: missing "label", "status", "startedAt", "finishedAt", "scenarioSha256", "scenarioSource", "backend", "cells", "warnings"`],
  ];
  for (const [name, data, message] of cases) {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(data));
    // The schema lists every problem (up to a cap); the expected one is among them.
    const lines = (await refusal(path)).message.split('\n');
    assert.ok(lines.includes(message(path)), `${name}: ${lines.join(' | ')}`);
  }
});

test('a missing result file is refused with its path', async () => {
  const path = join(tmp(), 'nope.json');
  assert.equal((await refusal(path)).message, `cannot read result file ${path}: ENOENT`);
});

test('scenarioSha256 ignores comments, formatting, key order, unit spelling and the file name', async () => {
  const base = await parseScenario('a.yaml', SCENARIO_TEXT);
  const restyled = await parseScenario(
    'elsewhere/b.yaml',
    `{ repetitions: 1, workloads: [ { echo: { count: 3, payload: 64B } } ], transports: [tcp, quic],
  link: { rate: 20000kbit, loss: [0%, 1%], delay: 25000us },
  description: "Does the result file survive a round trip?\\n", name: roundtrip }  # other comment
`,
  );
  assert.equal(scenarioSha256(restyled), scenarioSha256(base));
  assert.match(scenarioSha256(base), /^[0-9a-f]{64}$/);
});

test('scenarioSha256 is the same after the scenario went through a result file', async () => {
  const result = await sampleResult();
  const path = join(tmp(), 'result.json');
  await writeResultFileAtomic(path, result);
  const back = await readResultFile(path);
  assert.equal(scenarioSha256(back.scenario), back.scenarioSha256);
});

test('scenarioSha256 changes when a value changes', async () => {
  const base = scenarioSha256(await parseScenario('a.yaml', SCENARIO_TEXT));
  const variants = [
    SCENARIO_TEXT.replace('delay: 25ms', 'delay: 26ms'),
    SCENARIO_TEXT.replace('loss: [0%, 1%]', 'loss: [0%, 2%]'),
    SCENARIO_TEXT.replace('loss: [0%, 1%]', 'loss: [1%, 0%]'),
    SCENARIO_TEXT.replace('count: 3', 'count: 4'),
    SCENARIO_TEXT.replace('[tcp, quic]', '[quic, tcp]'),
    SCENARIO_TEXT.replace('repetitions: 1', 'repetitions: 2'),
    `${SCENARIO_TEXT}seed: 2\n`,
  ];
  const hashes = await Promise.all(variants.map(async (t) => scenarioSha256(await parseScenario('a.yaml', t))));
  for (const [i, h] of hashes.entries()) assert.notEqual(h, base, variants[i]);
  assert.equal(new Set(hashes).size, variants.length);
});
