// Which backend a lab gets: auto probes sch_netem in a scratch namespace (always removed)
// and falls back to the userspace emulator; an explicit choice that cannot work is an
// EnvironmentError with the reason, never a silent substitute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentError } from '../harness/errors.js';
import { probeNetem } from '../netem/backend-netem.js';
import { resolveBackend } from '../netem/lab.js';
import { listNamespaces } from '../netem/namespaces.js';
import { skipUnlessRoot } from '../netem/testkit.js';

const skip = skipUnlessRoot();

test('auto picks netem when the probe succeeds, else userspace, and says why', { skip }, async () => {
  const probe = await probeNetem();
  const r = await resolveBackend('auto');
  if (probe.ok) {
    assert.equal(r.backend, 'netem');
  } else {
    assert.equal(r.backend, 'userspace');
    assert.match(r.reason, /sch_netem is unavailable/);
    await assert.rejects(resolveBackend('netem'), (e: unknown) => e instanceof EnvironmentError && /netem backend is unavailable/.test(e.message));
  }
  assert.ok(!(await listNamespaces()).includes(`bench-probe-${process.pid}`), 'the scratch namespace is gone');
});

test('without root, auto/netem/userspace refuse with a hint; loopback still works', { skip: !skip && 'runs as root' }, async () => {
  for (const b of ['auto', 'netem', 'userspace'] as const) {
    await assert.rejects(resolveBackend(b), (e: unknown) => e instanceof EnvironmentError && /needs root/.test(e.message));
  }
  assert.equal((await resolveBackend('loopback')).backend, 'loopback');
});
