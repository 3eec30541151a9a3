// What a point's final emulator counters say, judged the same way by `bench run` and
// `bench lab down` (issue 15: lab down printed the emulator's lateness without the warning
// run gives): lateness beyond 1 ms on average, and loss draws that do not match the
// configured rate beyond binomial noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LabRecord } from '../harness/core/types.js';
import { appliedLossWarnings, overloadWarning } from '../netem/lab.js';
import { point } from './kit/testkit.js';

function record(lossPct: number): LabRecord {
  const p = point({ delayMs: 25, lossPct }, { delayMs: 25, lossPct });
  return { point: 0, backend: 'userspace', namespaces: null, addresses: { client: 'a', server: 'b' }, configured: p.link, measured: null, applied: { congestionControl: 'cubic', sysctls: {}, commands: [], readback: [] }, warnings: [] };
}

const counters = (upDropped: number, upForwarded: number, lateUs = 100): Record<string, number> => ({
  up_forwarded: upForwarded, up_dropped_loss: upDropped, up_dropped_queue: 0, up_dropped_overflow: 0, up_dropped_write: 0, up_in_flight: 0, up_delay_error_us_mean: lateUs,
  down_forwarded: 99_000, down_dropped_loss: 1000, down_dropped_queue: 0, down_dropped_overflow: 0, down_dropped_write: 0, down_in_flight: 0, down_delay_error_us_mean: 80,
});

test('an emulator forwarding 2.5 ms late on average is overloaded; 0.1 ms late is not', () => {
  assert.equal(overloadWarning(counters(1000, 99_000), 0), null);
  const w = overloadWarning(counters(1000, 99_000, 2500), 3);
  assert.equal(w?.code, 'emulator-overload');
  assert.equal(w?.point, 3);
  assert.match(w!.message, /2\.5 ms late/);
});

test('loss draws over the point are checked against the configuration per direction', () => {
  assert.deepEqual(appliedLossWarnings(record(1), counters(1000, 99_000)), [], '1.00 % of 100000 on a 1 % link');
  const w = appliedLossWarnings(record(1), counters(0, 100_000));
  assert.deepEqual(w.map((x) => x.code), ['emulator-loss-uplink']);
  assert.match(w[0].message, /0 % of the uplink packets over the point \(0\/100000/);
  // netem's qdisc counters lump queue drops with loss: no judgement from them.
  assert.deepEqual(appliedLossWarnings(record(1), { up_forwarded: 100_000, up_dropped: 0, down_forwarded: 1, down_dropped: 0 }), []);
});
