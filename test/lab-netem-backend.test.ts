// The lab against real sch_netem, where the kernel has it: the same calibration checks as
// the userspace backend, and the qdiscs read back. Skipped (with the probe's reason) on
// kernels without sch_netem; the argv generation is covered as data in netem-args-from-link.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialInterval } from '../harness/core/stats.js';
import { UndoStack } from '../harness/core/undo.js';
import { probeNetem } from '../netem/backend-netem.js';
import { calibrate } from '../netem/calibrate.js';
import { labUp } from '../netem/lab.js';
import { point, remains, skipUnlessRoot, testRunId } from './kit/testkit.js';

const notRoot = skipUnlessRoot();
const probe = notRoot ? null : await probeNetem();
const skip = notRoot || (!probe!.ok && `no sch_netem here: ${probe!.detail}`);
const undo = new UndoStack();
after(() => undo.run());

test('netem lab: veth inside the namespaces, delay and loss applied, qdiscs read back', { skip }, async () => {
  const runId = testRunId('tn');
  const lab = await labUp({ runId, point: point({ delayMs: 10, lossPct: 5 }, { delayMs: 10 }), backend: 'netem', congestionControl: 'cubic', seed: 1, undo });
  assert.equal(lab.backend, 'netem');
  assert.ok(lab.record.applied.readback.some((r) => /qdisc netem/.test(r)), 'netem qdisc read back');
  const cal = await calibrate(lab, { probes: 2000, intervalMs: 1 });
  // 10 ms each way; netem never sends a packet before its time (load only adds to it).
  assert.ok(cal.rttMs.p50 >= 20, `RTT p50 ${cal.rttMs.p50} ms, configured 20 ms`);
  // netem's loss is not seeded here, so this is a genuine random check: at 99.99 % (not the
  // calibration warning's 99 %) it fails by chance once in 10 000 runs, not once in 100.
  const iv = binomialInterval(cal.uplinkLost, cal.probes, 0.9999);
  assert.ok(iv.lo <= 0.05 && 0.05 <= iv.hi, `uplink loss ${cal.uplinkLost}/${cal.probes}: 99.99 % interval ${iv.lo}-${iv.hi} misses 5 %`);
  assert.equal(cal.downlinkLost, 0);
  const c = await lab.emulatorCounters();
  assert.ok(c && c.up_forwarded > 0, JSON.stringify(c));
  await lab.down();
  assert.deepEqual(await remains(runId), []);
});
