// The loopback backend: no root, no namespaces, both ends on 127.0.0.1; a link that asks
// for any impairment is refused with the reason instead of silently running unimpaired.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../harness/core/errors.js';
import { UndoStack } from '../harness/core/undo.js';
import { calibrate } from '../netem/calibrate.js';
import { labUp, resolveBackend } from '../netem/lab.js';
import { point, testRunId } from './kit/testkit.js';

const undo = new UndoStack();
after(() => undo.run());

test('loopback refuses a link with delay, loss or rate, naming each', async () => {
  await assert.rejects(
    labUp({ runId: testRunId(), point: point({ delayMs: 5 }, { lossPct: 1, rateBitsPerSec: 1e6 }), backend: 'loopback', congestionControl: 'cubic', seed: 1, undo }),
    (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.match(err.message, /loopback backend cannot impair/);
      assert.match(err.message, /uplink delay 5 ms/);
      assert.match(err.message, /downlink loss 1 %/);
      assert.match(err.message, /downlink rate 1000000 bit\/s/);
      return true;
    },
  );
});

test('loopback lab: 127.0.0.1 both ends, no namespaces, calibrates without root', async () => {
  assert.deepEqual(await resolveBackend('loopback'), { backend: 'loopback', reason: 'requested' });
  const lab = await labUp({ runId: testRunId(), point: point(), backend: 'loopback', congestionControl: 'cubic', seed: 1, undo });
  assert.equal(lab.backend, 'loopback');
  assert.equal(lab.clientNs, null);
  assert.equal(lab.serverNs, null);
  assert.equal(lab.clientAddr, '127.0.0.1');
  assert.equal(lab.serverAddr, '127.0.0.1');
  assert.equal(lab.record.namespaces, null);
  const cal = await calibrate(lab, { probes: 50, intervalMs: 2 });
  assert.equal(cal.uplinkLost + cal.downlinkLost, 0);
  assert.equal(cal.rttMs.n, 50, 'every probe answered and timed');
  assert.ok(cal.rttMs.min > 0, `loopback RTT min ${cal.rttMs.min} ms`);
  assert.equal(lab.record.measured, cal);
  assert.equal(await lab.emulatorCounters(), null);
  await lab.down();
});
