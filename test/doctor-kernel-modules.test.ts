// `bench doctor`'s modules line from a kernel's module lists: which of sch_netem, veth and tun
// are loaded, built in, loadable or missing, and the one fault worth a FAIL: modules that
// exist but cannot load because the kernel's module loader is missing (a VM without kmod).
// The same line against a real kernel: test/netem-backend-cli.test.ts, inside the netem VM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModules, moduleState, type ModulePaths } from '../netem/kernel-modules.js';

function kernel(t: { after: (fn: () => void) => void }, files: { dep?: string; builtin?: string; loaded?: string[] }): ModulePaths {
  const root = mkdtempSync(join(tmpdir(), 'bench-modules-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'lib');
  const sysModule = join(root, 'sys');
  mkdirSync(dir);
  mkdirSync(sysModule);
  if (files.dep !== undefined) writeFileSync(join(dir, 'modules.dep'), files.dep);
  if (files.builtin !== undefined) writeFileSync(join(dir, 'modules.builtin'), files.builtin);
  for (const m of files.loaded ?? []) mkdirSync(join(sysModule, m));
  return { kernel: '6.1.0-test', dir, sysModule };
}

// Lines as Debian 6.1's modules.dep / modules.builtin spell them.
const DEP = 'kernel/net/sched/sch_netem.ko:\nkernel/drivers/net/veth.ko:\nkernel/drivers/net/tun.ko:\n';

test('module states: loaded, built in, loadable, missing', async (t) => {
  const p = kernel(t, { dep: 'kernel/net/sched/sch_netem.ko.xz:\n', builtin: 'kernel/drivers/net/tun.ko\n', loaded: ['veth'] });
  assert.equal(await moduleState('veth', p), 'loaded');
  assert.equal(await moduleState('tun', p), 'built-in');
  assert.equal(await moduleState('sch_netem', p), 'loadable');
  assert.equal(await moduleState('sch_tbf', p), 'missing');
});

test('all present and loadable: ok', async (t) => {
  const r = await checkModules(kernel(t, { dep: DEP }), null);
  assert.deepEqual([r.ok, r.fix], [true, null]);
  assert.equal(r.detail, 'sch_netem loadable, veth loadable, tun loadable');
});

test('loadable but no module loader: a FAIL that names the modules and the fix', async (t) => {
  const r = await checkModules(kernel(t, { dep: DEP, loaded: ['tun'] }), "the kernel's module loader /sbin/modprobe is missing");
  assert.equal(r.ok, false);
  assert.equal(r.optional, false);
  assert.match(r.detail, /\/sbin\/modprobe is missing, so sch_netem, veth will not load when needed/);
  assert.match(r.fix ?? '', /apt-get install kmod, or load them now: modprobe -a sch_netem veth/);
});

test('a kernel without sch_netem: a note, since the userspace backend still works', async (t) => {
  const r = await checkModules(kernel(t, { dep: 'kernel/drivers/net/veth.ko:\nkernel/drivers/net/tun.ko:\n' }), null);
  assert.deepEqual([r.ok, r.optional], [false, true]);
  assert.match(r.fix ?? '', /lacks sch_netem/);
});

test('no module lists at all (a kernel built without modules): not a fault', async (t) => {
  const p = kernel(t, {});
  const r = await checkModules(p, 'this kernel does not load modules on demand (no /proc/sys/kernel/modprobe)');
  assert.deepEqual([r.ok, r.optional], [true, true]);
  assert.match(r.detail, /features are built in or absent/);
});
