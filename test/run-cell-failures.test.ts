// Real agents in a real lab (root): command-defined subjects (socat, bench's tunnel) carry
// echo and bulk byte-exact; a relay that flips a byte is caught with its offset, a
// stalled peer yields `timeout` with the samples gathered so far, a subject process that
// dies gives `failed` with its stderr tail, and none of this harms the other cells. The
// download is 400 KB: bench's tunnel moved 1 MB in 3.7 s at load 15 on 2 vCPUs (CPU-bound
// QUIC), past the 4 s timeout the stalled relay needs to stay short.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { benchRun, skipUnlessRoot } from './kit/testkit.js';

const RELAY = join(PROJECT_ROOT, 'test', 'fixtures', 'faulty-relay.mjs');

function relay(name: string, mode: string, after: number): string {
  return `
  - name: ${name}
    implementation: faulty-relay (${mode})
    server: "socat TCP-LISTEN:{serverPort},bind={serverAddr},fork,reuseaddr TCP:{targetAddr}:{targetPort}"
    client: "${process.execPath} ${RELAY} --listen {clientAddr}:{clientPort} --to {serverAddr}:{serverPort} --mode ${mode} --after ${after}"`;
}

test('faulty subjects fail, time out and die without harming other cells', { skip: skipUnlessRoot() }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { code, stderr, result, cell } = await benchRun(
    dir,
    `name: faulty
description: relays that corrupt, stall and die, next to plain tcp
link: { delay: 1ms }
transports:
  - tcp
  - name: socat-relay
    implementation: socat (plain relay)
    server: "socat TCP-LISTEN:{serverPort},bind={serverAddr},fork,reuseaddr TCP:{targetAddr}:{targetPort}"
    client: "socat TCP-LISTEN:{clientPort},bind={clientAddr},fork,reuseaddr TCP:{serverAddr}:{serverPort}"
  - name: bench-tunnel-cmd
    implementation: bench tunnel started as an external command
    server: "{bench} tunnel server --listen {serverAddr}:{serverPort} --cert {certFile} --key {keyFile} --allow {token}={targetAddr}:{targetPort}"
    client: "{bench} tunnel client --listen {clientAddr}:{clientPort} --server {serverAddr}:{serverPort} --fingerprint {fingerprint} --token {token}"${relay('flip', 'flip', 100000)}${relay('stall', 'stall', 2000)}${relay('die', 'die', 5000)}
workloads:
  - echo: { payload: 64B, count: 200 }
  - bulk: { direction: download, bytes: 400KB }
repetitions: 1
timeout: 4s
`,
  );
  assert.equal(code, 4, `exit code 4 when cells fail; stderr: ${stderr.slice(-500)}`);
  assert.equal(result.status, 'complete');
  assert.equal(result.cells.length, 12);
  // Scenario commands are code run as root here: the run says so, per transport.
  const asRoot = result.warnings.filter((w) => w.code === 'command-as-root').map((w) => w.message);
  assert.ok(asRoot.some((m) => m.includes('transport socat-relay runs its server and client commands as root')), asRoot.join(' | '));

  // Command-defined subjects that work: a plain socat relay and bench's own tunnel, every
  // byte verified, both processes' CPU recorded.
  for (const name of ['socat-relay', 'bench-tunnel-cmd']) {
    assert.equal(cell(name, 'echo').status, 'ok', `${name} echo: ${cell(name, 'echo').reason}`);
    assert.equal(cell(name, 'echo').samples.rttUs?.length, 200);
    assert.equal(cell(name, 'bulk').status, 'ok', `${name} bulk: ${cell(name, 'bulk').reason}`);
    assert.equal(cell(name, 'bulk').samples.bytes, 400_000);
    assert.ok(cell(name, 'bulk').cpu?.client && cell(name, 'bulk').cpu?.server, 'CPU of both endpoints recorded');
  }

  // Plain tcp is untouched by its neighbours' failures.
  assert.equal(cell('tcp', 'echo').status, 'ok');
  assert.equal(cell('tcp', 'echo').samples.rttUs?.length, 200);
  assert.equal(cell('tcp', 'bulk').status, 'ok');
  assert.equal(cell('tcp', 'bulk').samples.bytes, 400_000);

  // One flipped bit is caught, at the exact offset: the echo used 20 + 201 x 64 bytes of the
  // relay's server->client count (header, first exchange, 200 sampled exchanges), so the flip
  // lands in the download at offset 100000 - 12884.
  assert.equal(cell('flip', 'echo').status, 'ok');
  const flip = cell('flip', 'bulk');
  assert.equal(flip.status, 'failed');
  assert.match(flip.reason ?? '', /byte at offset 87116 differs/);

  // A stalled peer: timeout, and exactly the exchanges that completed are kept. The relay
  // forwards 2000 bytes server->client: header and first exchange (20 + 64), then 29 sampled
  // exchanges (84 + 29 x 64 = 1940); the 30th would reach 2004 and is cut by the timeout,
  // so it is no sample.
  const stall = cell('stall', 'echo');
  assert.equal(stall.status, 'timeout');
  assert.equal(stall.samples.rttUs?.length, 29, 'the completed exchanges, and not the cut one');
  assert.ok(stall.metrics.rttP50Us! > 0);

  // A subject process that dies: failed, with its stderr tail in the reason.
  const die = cell('die', 'echo');
  assert.equal(die.status, 'failed');
  assert.match(die.reason ?? '', /exited with code 3.*dying on purpose/);
  assert.equal(cell('die', 'bulk').status, 'failed');
  assert.match(cell('die', 'bulk').reason ?? '', /client command exited with code 3/);
});
