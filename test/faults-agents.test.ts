// Fault injection: an endpoint agent killed or stopped in the middle of a run. The run must
// not hang, must not record a cell `ok` that measured nothing or overran its timeout, must
// name the agent in the reasons, keep what was measured before, exit 4, and leave nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { faultRow, faultRun, scratchDir } from './kit/fault-run.js';
import { skipUnlessRoot } from './kit/testkit.js';

const skip = skipUnlessRoot();
const SCENARIO = `name: faults
description: an agent fails mid-run
link: { delay: 1ms }
transports: [tcp, udp]
workloads:
  - echo: { payload: 64B, duration: 1s }
  - bulk: { direction: download, duration: 1s }
repetitions: 3
timeout: 4s
`;
const AGENT = /agent\/main\.js/;

for (const side of ['client', 'server'] as const) {
  test(`${side} agent killed mid-run: exit 4, the agent named, cells before it kept, nothing left`, { skip, timeout: 180_000 }, async (t) => {
    const dir = await scratchDir(t);
    const r = await faultRun(dir, SCENARIO, async (ctx) => {
      await ctx.cells(2);
      const [pid] = await ctx.pidsIn(side, AGENT);
      assert.ok(pid, `a ${side} agent runs`);
      process.kill(pid, 'SIGKILL');
    });
    assert.equal(r.code, 4, r.stderr.slice(-800));
    assert.equal(r.result.status, 'complete');
    assert.equal(r.result.cells.length, 12, 'every cell recorded, measured or not');
    const ok = r.result.cells.filter((c) => c.status === 'ok');
    assert.ok(ok.length >= 2, 'cells measured before the fault are kept');
    const named = r.result.cells.filter((c) => new RegExp(`${side} agent exited with SIGKILL`).test(c.reason ?? ''));
    assert.ok(named.length >= 1, `some cell names the dead agent: ${r.result.cells.map((c) => `${c.status}: ${c.reason}`).join(' | ')}`);
    // After the cell that failed, nothing is ok: the point could not go on.
    const firstBad = r.result.cells.findIndex((c) => c.status !== 'ok' && c.status !== 'unsupported');
    assert.ok(r.result.cells.slice(firstBad).every((c) => c.status !== 'ok'), 'no ok cell after the agent died');
    for (const c of ok) assert.ok((c.samples.rttUs?.length ?? 0) > 0 || (c.samples.bytes ?? 0) > 0, `ok cell ${c.id} measured something`);
    t.diagnostic(faultRow(`${side} agent SIGKILL`, r, new RegExp(`${side} agent exited`)));
    assert.deepEqual(r.left, []);
  });
}

test('server agent stopped (SIGSTOP) mid-run: no hang, cells time out or fail naming the stopped agent, nothing left', { skip, timeout: 180_000 }, async (t) => {
  const dir = await scratchDir(t);
  const r = await faultRun(dir, SCENARIO, async (ctx) => {
    await ctx.cells(2);
    const [pid] = await ctx.pidsIn('server', AGENT);
    process.kill(pid, 'SIGSTOP');
  });
  assert.equal(r.code, 4, r.stderr.slice(-800));
  assert.equal(r.result.cells.length, 12);
  assert.ok(
    r.result.cells.some((c) => /server agent \(pid \d+\) is stopped/.test(c.reason ?? '')),
    r.result.cells.map((c) => `${c.status}: ${c.reason}`).join(' | '),
  );
  for (const c of r.result.cells) if (c.status === 'ok') assert.ok(c.durationMs <= 4000, `ok cell ${c.id} within its timeout`);
  t.diagnostic(faultRow('server agent SIGSTOP', r, /is stopped/));
  assert.deepEqual(r.left, []);
});

test('client agent stopped past the cell timeout, then resumed: that cell is a timeout, never ok, and the run goes on', { skip, timeout: 180_000 }, async (t) => {
  const dir = await scratchDir(t);
  let stoppedAt = 0;
  const r = await faultRun(dir, SCENARIO, async (ctx) => {
    await ctx.cells(1);
    const [pid] = await ctx.pidsIn('client', AGENT);
    process.kill(pid, 'SIGSTOP');
    stoppedAt = Date.now();
    await new Promise((res) => setTimeout(res, 6000)); // longer than the 4 s timeout
    process.kill(pid, 'SIGCONT');
  });
  assert.ok(stoppedAt > 0);
  assert.equal(r.result.cells.length, 12);
  const overran = r.result.cells.filter((c) => c.durationMs > 4000);
  assert.ok(overran.length >= 1, 'the stalled cell ran past its timeout');
  for (const c of overran) assert.notEqual(c.status, 'ok', `${c.id} ran ${c.durationMs} ms against a 4 s timeout: ${c.reason}`);
  // The agent came back: later cells are measured again.
  const last = r.result.cells.filter((c) => c.repetition === 2 && c.transport === 'tcp');
  assert.ok(last.some((c) => c.status === 'ok'), `cells after the stall are measured: ${last.map((c) => `${c.status} ${c.reason}`).join(' | ')}`);
  assert.equal(r.code, 4);
  t.diagnostic(faultRow('client agent SIGSTOP 6 s, SIGCONT', r, /timeout/));
  assert.deepEqual(r.left, []);
});
