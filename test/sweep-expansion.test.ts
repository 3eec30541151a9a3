// How a scenario becomes link points: list-valued fields expand into their cross product,
// a profile is merged under the scenario (profile < profile direction < scenario < scenario
// direction), and omitted parts take their documented defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../harness/scenario/load.js';
import type { LinkDirection } from '../harness/core/types.js';
import type { ResolvedScenario } from '../harness/scenario/types.js';
import { tempDir } from './kit/testkit.js';

const HEAD = 'name: t\ndescription: d\n';
const parse = (body: string, profilesDir?: string): Promise<ResolvedScenario> => parseScenario('t.yaml', HEAD + body, profilesDir);

const NONE: LinkDirection = { delayMs: 0, jitterMs: 0, reorder: false, lossPct: 0, gilbert: null, rateBitsPerSec: null, limit: null };
const dir = (d: Partial<LinkDirection>): LinkDirection => ({ ...NONE, ...d });

test('two list fields expand into their cross product, last list varying fastest', async () => {
  const s = await parse('link:\n  delay: 25ms\n  loss: [1%, 5%]\n  rate: [10mbit, 20mbit, unlimited]\n');
  assert.deepEqual(s.sweep, [
    { field: 'link.loss', values: ['1%', '5%'] },
    { field: 'link.rate', values: ['10mbit', '20mbit', 'unlimited'] },
  ]);
  assert.deepEqual(
    s.points.map((p) => [p.index, p.label, p.params]),
    [
      [0, 'loss=1% rate=10mbit', { 'link.loss': '1%', 'link.rate': '10mbit' }],
      [1, 'loss=1% rate=20mbit', { 'link.loss': '1%', 'link.rate': '20mbit' }],
      [2, 'loss=1% rate=unlimited', { 'link.loss': '1%', 'link.rate': 'unlimited' }],
      [3, 'loss=5% rate=10mbit', { 'link.loss': '5%', 'link.rate': '10mbit' }],
      [4, 'loss=5% rate=20mbit', { 'link.loss': '5%', 'link.rate': '20mbit' }],
      [5, 'loss=5% rate=unlimited', { 'link.loss': '5%', 'link.rate': 'unlimited' }],
    ],
  );
  const expected = [[1, 10e6], [1, 20e6], [1, null], [5, 10e6], [5, 20e6], [5, null]] as const;
  s.points.forEach((p, i) => {
    const d = dir({ delayMs: 25, lossPct: expected[i][0], rateBitsPerSec: expected[i][1] });
    assert.deepEqual(p.link, { uplink: d, downlink: d }, p.label);
  });
});

test('axes follow the field order, not the key order in the file, so labels are stable', async () => {
  const a = await parse('link:\n  loss: [1%, 5%]\n  rate: [10mbit, 20mbit]\n');
  const b = await parse('link:\n  rate: [10mbit, 20mbit]\n  loss: [1%, 5%]\n');
  assert.deepEqual(b.sweep, a.sweep);
  assert.deepEqual(b.points, a.points);
});

test('a per-direction sweep changes only that direction', async () => {
  const s = await parse('link:\n  delay: 10ms\n  rate: 50mbit\n  uplink:\n    rate: [1mbit, 2mbit]\n');
  assert.deepEqual(s.sweep, [{ field: 'link.uplink.rate', values: ['1mbit', '2mbit'] }]);
  assert.deepEqual(s.points.map((p) => p.label), ['uplink.rate=1mbit', 'uplink.rate=2mbit']);
  assert.deepEqual(s.points[1].params, { 'link.uplink.rate': '2mbit' });
  assert.deepEqual(s.points[0].link, { uplink: dir({ delayMs: 10, rateBitsPerSec: 1e6 }), downlink: dir({ delayMs: 10, rateBitsPerSec: 50e6 }) });
  assert.deepEqual(s.points[1].link, { uplink: dir({ delayMs: 10, rateBitsPerSec: 2e6 }), downlink: dir({ delayMs: 10, rateBitsPerSec: 50e6 }) });
});

test('both-ways and per-direction sweeps combine; a Gilbert-Elliott value is labelled by its parameters', async () => {
  const s = await parse('link:\n  loss: [1%, { gilbert: { p: 1%, r: 25% } }]\n  downlink:\n    delay: [10ms, 20ms]\n');
  assert.deepEqual(s.points.map((p) => p.label), [
    'loss=1% downlink.delay=10ms',
    'loss=1% downlink.delay=20ms',
    'loss=gilbert(p=1%,r=25%) downlink.delay=10ms',
    'loss=gilbert(p=1%,r=25%) downlink.delay=20ms',
  ]);
  const ge = { pPct: 1, rPct: 25, badLossPct: 100, goodLossPct: 0 };
  assert.deepEqual(s.points[3].link, { uplink: dir({ gilbert: ge }), downlink: dir({ gilbert: ge, delayMs: 20 }) });
});

test('a profile is merged under the scenario: profile < profile direction < scenario < scenario direction', async () => {
  const profiles = tempDir('bench-profiles-');
  writeFileSync(
    join(profiles, 'layered.yaml'),
    [
      'name: layered',
      'description: every field set at a different layer',
      'source: test',
      'link:',
      '  delay: 10ms', // profile, both ways: survives in the downlink only
      '  jitter: 1ms', // profile, both ways: survives everywhere
      '  rate: 5mbit', // overridden by the profile's uplink, then by the scenario
      '  loss: 1%',
      '  uplink:',
      '    delay: 15ms', // profile direction beats profile
      '    rate: 1mbit', // ... but the scenario's plain rate beats it
      '  downlink:',
      '    loss: 2%', // profile direction beats profile; the scenario says nothing about loss
      '',
    ].join('\n'),
  );
  const s = await parse('profile: layered\nlink:\n  rate: 10mbit\n  limit: 100p\n  uplink:\n    limit: 50p\n  downlink:\n    rate: 40mbit\n', profiles);
  assert.equal(s.profile, 'layered');
  assert.deepEqual(s.points[0].link, {
    uplink: dir({ delayMs: 15, jitterMs: 1, lossPct: 1, rateBitsPerSec: 10e6, limit: { packets: 50 } }),
    downlink: dir({ delayMs: 10, jitterMs: 1, lossPct: 2, rateBitsPerSec: 40e6, limit: { packets: 100 } }),
  });
});

test('a scenario sweep overrides the profile at every point', async () => {
  const s = await parse('profile: 3g\nlink:\n  rate: [1mbit, 2mbit]\n');
  assert.deepEqual(s.points.map((p) => [p.link.uplink.rateBitsPerSec, p.link.downlink.rateBitsPerSec, p.link.uplink.delayMs]), [
    [1e6, 1e6, 75],
    [2e6, 2e6, 75],
  ]);
});

test('without a link: one unimpaired point labelled "base"', async () => {
  const s = await parse('');
  assert.deepEqual(s.sweep, []);
  assert.deepEqual(s.points, [{ index: 0, label: 'base', params: {}, link: { uplink: NONE, downlink: NONE } }]);
  assert.equal(s.profile, null);
});

test('scenario defaults: transports, workloads, repetitions, warmup, timeout, congestion control, seed', async () => {
  const s = await parse('');
  // The five the README promises, written out: a change to the default must show here.
  assert.deepEqual(s.transports, ['tcp', 'tls', 'quic', 'tunnel', 'udp'].map((name) => ({ kind: 'builtin', name })));
  assert.deepEqual(s.workloads, [
    { kind: 'echo', id: 'echo-64B-c1-n200', payloadBytes: 64, count: 200, durationMs: null, concurrency: 1, idleTimeoutMs: 30_000 },
    { kind: 'bulk', id: 'bulk-download-5000ms-s1', direction: 'download', bytes: null, durationMs: 5000, streams: 1 },
    { kind: 'handshake', id: 'handshake-n10', count: 10 },
  ]);
  assert.equal(s.repetitions, 3);
  assert.equal(s.warmup, 0);
  assert.equal(s.timeoutMs, 60_000);
  assert.equal(s.congestionControl, 'cubic');
  assert.equal(s.seed, 1);
  assert.equal(s.description, 'd');
  assert.equal(s.sourceFile, 't.yaml');
});

test('workload ids name every parameter that changes the measurement', async () => {
  const s = await parse(
    [
      'workloads:',
      '  - echo: { payload: 1KiB, concurrency: 4, duration: 2s, idleTimeout: 5s }',
      '  - echo:',
      '  - bulk: { direction: upload, bytes: 10MB, streams: 2 }',
      '  - bulk: { duration: 1.5s }',
      '  - handshake:',
      '  - handshake: { count: 3 }',
      '',
    ].join('\n'),
  );
  assert.deepEqual(s.workloads, [
    { kind: 'echo', id: 'echo-1.024KB-c4-d2000ms', payloadBytes: 1024, count: null, durationMs: 2000, concurrency: 4, idleTimeoutMs: 5000 },
    { kind: 'echo', id: 'echo-64B-c1-n200', payloadBytes: 64, count: 200, durationMs: null, concurrency: 1, idleTimeoutMs: 30_000 },
    { kind: 'bulk', id: 'bulk-upload-10MB-s2', direction: 'upload', bytes: 10_000_000, durationMs: null, streams: 2 },
    { kind: 'bulk', id: 'bulk-download-1500ms-s1', direction: 'download', bytes: null, durationMs: 1500, streams: 1 },
    { kind: 'handshake', id: 'handshake-n10', count: 10 },
    { kind: 'handshake', id: 'handshake-n3', count: 3 },
  ]);
});

test('a command transport gets its defaults and keeps its commands verbatim', async () => {
  const s = await parse(
    'transports:\n  - tcp\n  - name: relay\n    server: relay -l {serverPort} -t {targetPort}\n    client: relay -c {serverAddr}:{serverPort} -l {clientPort}\n',
  );
  assert.deepEqual(s.transports, [
    { kind: 'builtin', name: 'tcp' },
    {
      kind: 'command',
      name: 'relay',
      server: 'relay -l {serverPort} -t {targetPort}',
      client: 'relay -c {serverAddr}:{serverPort} -l {clientPort}',
      implementation: 'relay',
      readyTimeoutMs: 10_000,
      // A relay of the app's TCP unless it says otherwise, with no stats channel.
      carries: 'tcp',
      stats: 'none',
    },
  ]);
});
