// Every scenario in scenarios/ and every profile in netem/profiles/ loads (the directories are
// listed when the test runs, so a new file is covered without touching this test), and the
// bundled scenarios say what their comments and descriptions promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadProfile, loadScenario, parseScenario, PROFILES_DIR } from '../harness/scenario/load.js';
import { isImpaired } from '../harness/core/link.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import type { LinkDirection } from '../harness/core/types.js';
import type { ResolvedScenario } from '../harness/scenario/types.js';

const SCENARIOS_DIR = join(PROJECT_ROOT, 'scenarios');
const yamlIn = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const scenarioFiles = yamlIn(SCENARIOS_DIR);
const profileNames = yamlIn(PROFILES_DIR).map((f) => f.slice(0, -'.yaml'.length));

test('the bundled directories are found', () => {
  assert.ok(scenarioFiles.includes('loss-5pct.yaml'), `scenarios: ${scenarioFiles.join(', ')}`);
  assert.ok(profileNames.includes('wifi'), `profiles: ${profileNames.join(', ')}`);
});

for (const f of scenarioFiles) {
  test(`scenarios/${f} loads`, async () => {
    const s = await loadScenario(join(SCENARIOS_DIR, f));
    assert.equal(`${s.name}.yaml`, f, 'a scenario is named after its file');
    assert.ok(s.points.length >= 1 && s.transports.length >= 1 && s.workloads.length >= 1);
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.points[0].link.uplink), 'the resolved scenario is immutable');
  });
}

for (const name of profileNames) {
  test(`netem/profiles/${name}.yaml loads and can be used by a scenario`, async () => {
    const p = await loadProfile(name);
    assert.equal(p.name, name);
    assert.ok(p.description.length > 0 && p.source.length > 0, 'a profile says where its numbers come from');
    const s = await parseScenario(`uses-${name}.yaml`, `name: uses-${name}\ndescription: d\nprofile: ${name}\n`);
    assert.equal(s.profile, name);
    assert.equal(s.points.length, 1);
    assert.ok(isImpaired(s.points[0].link), 'a profile that impairs nothing has no reason to exist');
  });
}

async function bundled(name: string): Promise<ResolvedScenario> {
  return loadScenario(join(SCENARIOS_DIR, `${name}.yaml`));
}

const both = (s: ResolvedScenario, i = 0): LinkDirection[] => [s.points[i].link.uplink, s.points[i].link.downlink];

test('loss-5pct: 5 % random loss each way, 25 ms one-way delay, 20 Mbit/s', async () => {
  const s = await bundled('loss-5pct');
  assert.equal(s.points.length, 1);
  for (const d of both(s)) {
    assert.deepEqual(d, { delayMs: 25, jitterMs: 0, reorder: false, lossPct: 5, gilbert: null, rateBitsPerSec: 20e6, limit: null });
  }
});

test('sweep-loss: 5 points at 0 / 0.1 / 0.5 / 1 / 5 % loss each way, same delay and rate', async () => {
  const s = await bundled('sweep-loss');
  assert.deepEqual(s.sweep, [{ field: 'link.loss', values: ['0%', '0.1%', '0.5%', '1%', '5%'] }]);
  assert.deepEqual(s.points.map((p) => p.label), ['loss=0%', 'loss=0.1%', 'loss=0.5%', 'loss=1%', 'loss=5%']);
  s.points.forEach((p, i) => {
    assert.equal(p.index, i);
    for (const d of [p.link.uplink, p.link.downlink]) {
      assert.equal(d.lossPct, [0, 0.1, 0.5, 1, 5][i]);
      assert.equal(d.delayMs, 25);
      assert.equal(d.rateBitsPerSec, 20e6);
    }
  });
});

test('satellite: configured RTT ~600 ms, 25 Mbit/s down, 3 Mbit/s up', async () => {
  const s = await bundled('satellite');
  assert.equal(s.profile, 'satellite');
  const { uplink, downlink } = s.points[0].link;
  const rttMs = uplink.delayMs + downlink.delayMs;
  assert.ok(Math.abs(rttMs - 600) <= 60, `configured RTT ${rttMs} ms`);
  assert.equal(downlink.rateBitsPerSec, 25e6);
  assert.equal(uplink.rateBitsPerSec, 3e6);
});

test('clean-20mbit and quic-stacks: 20 Mbit/s and 25 ms each way; bulk cells run 10 s (slow start at 50 ms RTT would otherwise weigh on goodput)', async () => {
  const clean = await bundled('clean-20mbit');
  assert.equal(clean.points.length, 1);
  for (const d of both(clean)) assert.deepEqual(d, { delayMs: 25, jitterMs: 0, reorder: false, lossPct: 0, gilbert: null, rateBitsPerSec: 20e6, limit: null });
  const stacks = await bundled('quic-stacks');
  assert.deepEqual(stacks.points.map((p) => p.link.downlink.lossPct), [0, 1, 5]);
  for (const s of [clean, stacks]) {
    const bulks = s.workloads.filter((w) => w.kind === 'bulk');
    assert.ok(bulks.length >= 1);
    for (const w of bulks) assert.equal(w.kind === 'bulk' && w.durationMs, 10000, `${s.name}: ${w.id}`);
  }
  assert.ok(['tcp', 'tls', 'quic', 'tunnel', 'quicgo-tunnel'].every((t) => stacks.transports.some((x) => x.name === t)));
});

test('lossy-wifi: Gilbert-Elliott burst loss each way on the wifi profile', async () => {
  const s = await bundled('lossy-wifi');
  assert.equal(s.profile, 'wifi');
  for (const d of both(s)) {
    assert.deepEqual(d.gilbert, { pPct: 1, rPct: 25, badLossPct: 50, goodLossPct: 0 });
    assert.equal(d.lossPct, 0, 'the scenario\'s loss replaces the profile\'s random 0.2 %');
    assert.equal(d.delayMs, 20);
    assert.equal(d.rateBitsPerSec, 30e6);
  }
});

test('baseline has no impairment at all (it runs on the loopback backend)', async () => {
  const s = await bundled('baseline');
  for (const d of both(s)) {
    assert.deepEqual(d, { delayMs: 0, jitterMs: 0, reorder: false, lossPct: 0, gilbert: null, rateBitsPerSec: null, limit: null });
  }
});

test('hol-blocking: 1 % and 3 % loss each way, 50 ms RTT, 8 streams multiplexed and on 8 connections, over tcp, tls, quic and quicgo-tunnel', async () => {
  const s = await bundled('hol-blocking');
  assert.deepEqual(s.points.map((p) => p.link.downlink.lossPct), [1, 3]);
  for (const p of s.points) for (const d of [p.link.uplink, p.link.downlink]) assert.equal(d.delayMs, 25);
  assert.deepEqual(s.transports.map((t) => t.name), ['tcp', 'tls', 'quic', 'quicgo-tunnel']);
  const modes = s.workloads.map((w) => (w.kind === 'streams' ? `${w.mode}/${w.streams}` : w.kind));
  assert.deepEqual(modes, ['multiplexed/8', 'connections/8']);
});

test('handshake-round-trips: a clean 50 ms RTT link, handshake and resumption over every transport that sets up connections', async () => {
  const s = await bundled('handshake-round-trips');
  for (const d of both(s)) assert.deepEqual(d, { delayMs: 25, jitterMs: 0, reorder: false, lossPct: 0, gilbert: null, rateBitsPerSec: null, limit: null });
  assert.deepEqual(s.workloads.map((w) => w.kind), ['handshake', 'resumption']);
  assert.ok(['tcp', 'tls', 'quic', 'quicgo'].every((t) => s.transports.some((x) => x.name === t)));
});
