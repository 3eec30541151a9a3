// Which backend a lab gets: auto probes sch_netem in an anonymous namespace (unshare, so
// nothing named is ever created) and falls back to the userspace emulator; an explicit
// choice that cannot work is an EnvironmentError with the reason, never a silent substitute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentError } from '../harness/core/errors.js';
import { probeNetem } from '../netem/backend-netem.js';
import { resolveBackend } from '../netem/lab.js';
import { CLI, skipUnlessRoot } from './kit/testkit.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
});

// CI runs as root, so the non-root path is exercised by dropping privileges for the real CLI
// (setpriv, util-linux) rather than skipped there.
function asNobody(args: string[]): { status: number | null; stderr: string } {
  const argv = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

test('without root, auto/netem/userspace refuse with exit 3 and a hint; loopback still runs', { skip: existsSync('/usr/bin/setpriv') || process.getuid?.() !== 0 ? false : 'needs setpriv to drop root' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nonroot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o777);
  const scenario = join(dir, 's.yaml');
  writeFileSync(scenario, 'name: nonroot\ndescription: no root needed\ntransports: [tcp]\nworkloads:\n  - echo: { payload: 64B, count: 5 }\nrepetitions: 1\n');
  for (const b of ['auto', 'netem', 'userspace']) {
    const r = asNobody(['run', scenario, '--backend', b, '--out', join(dir, b)]);
    assert.equal(r.status, 3, `${b}: ${r.stderr}`);
    assert.match(r.stderr, /needs root/);
    assert.match(r.stderr, /hint: /);
  }
  const ok = asNobody(['run', scenario, '--backend', 'loopback', '--out', join(dir, 'lo')]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(existsSync(join(dir, 'lo', 'result.json')));
});
