// Fault injection: the link emulator or a tunnel endpoint killed mid-run, and a relay that
// forwards nothing. Cells never read `ok` without a measurement; the dead process is named;
// a dead subject spoils only its own cells; nothing is left behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultRow, faultRun, scratchDir } from './kit/fault-run.js';
import { skipUnlessRoot } from './kit/testkit.js';

const skip = skipUnlessRoot();

test('link emulator killed mid-run: the emulator named, no later cell ok, nothing left', { skip, timeout: 180_000 }, async (t) => {
  const dir = await scratchDir(t);
  const r = await faultRun(
    dir,
    `name: faults-link
description: the emulator dies mid-run
link: { delay: 1ms }
transports: [tcp, udp]
workloads:
  - echo: { payload: 64B, duration: 1s }
repetitions: 4
timeout: 4s
`,
    async (ctx) => {
      await ctx.cells(2);
      process.kill(await ctx.emulatorPid(), 'SIGKILL');
    },
  );
  assert.equal(r.code, 4, r.stderr.slice(-800));
  assert.equal(r.result.cells.length, 8);
  assert.ok(
    r.result.cells.some((c) => /the link emulator \(linkemu, pid \d+\) is gone/.test(c.reason ?? '')),
    r.result.cells.map((c) => `${c.status}: ${c.reason}`).join(' | '),
  );
  const firstBad = r.result.cells.findIndex((c) => c.status !== 'ok');
  assert.ok(firstBad >= 2 && r.result.cells.slice(firstBad).every((c) => c.status !== 'ok'));
  t.diagnostic(faultRow('linkemu SIGKILL', r, /link emulator/));
  assert.deepEqual(r.left, []);
});

test('a tunnel endpoint killed mid-run fails only its own cells, named; a relay that forwards nothing is never ok', { skip, timeout: 180_000 }, async (t) => {
  const dir = await scratchDir(t);
  const r = await faultRun(
    dir,
    `name: faults-subjects
description: a dying tunnel and a silent relay next to tcp
link: { delay: 1ms }
transports:
  - tcp
  - tunnel
  - name: black-hole
    implementation: socat that accepts and forwards nothing
    server: "socat TCP-LISTEN:{serverPort},bind={serverAddr},fork,reuseaddr TCP:{targetAddr}:{targetPort}"
    client: "socat TCP-LISTEN:{clientPort},bind={clientAddr},fork,reuseaddr OPEN:/dev/null"
workloads:
  - bulk: { direction: download, duration: 1s }
repetitions: 3
timeout: 4s
`,
    async (ctx) => {
      await ctx.cells(3);
      const [pid] = await ctx.pidsIn('client', /cli\.js tunnel client/);
      assert.ok(pid, 'bench tunnel client endpoint runs');
      process.kill(pid, 'SIGKILL');
    },
  );
  assert.equal(r.code, 4, r.stderr.slice(-800));
  assert.equal(r.result.cells.length, 9);
  for (const c of r.result.cells.filter((x) => x.transport === 'black-hole')) {
    assert.notEqual(c.status, 'ok', `${c.id}: ${c.samples.bytes} bytes`);
    assert.match(c.reason ?? '', /no byte was delivered|timeout|closed|ended/);
  }
  for (const c of r.result.cells.filter((x) => x.transport === 'tcp')) assert.equal(c.status, 'ok', `${c.id}: ${c.reason}`);
  const tunnel = r.result.cells.filter((x) => x.transport === 'tunnel');
  assert.ok(tunnel.some((c) => /tunnel client command was killed by SIGKILL/.test(c.reason ?? '')), tunnel.map((c) => `${c.status}: ${c.reason}`).join(' | '));
  t.diagnostic(faultRow('tunnel client endpoint SIGKILL (+ zero-byte relay)', r, /tunnel client command/));
  t.diagnostic(faultRow('zero-byte relay (same run)', r, /no byte was delivered/));
  assert.deepEqual(r.left, []);
});
