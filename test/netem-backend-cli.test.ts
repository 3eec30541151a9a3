// The real CLI on a real sch_netem: `bench doctor` picks netem, `bench run --backend netem`
// measures a link that matches its configuration (minimum RTT, loss), and nothing of a lab
// is left after success, failure or SIGINT; doctor names a down `lo` and modules that cannot
// load. Runs inside Debian's kernel in a VM (test/netem-real-kernel.test.ts, with
// BENCH_REQUIRE_NETEM=1, which turns the skip into a failure); skips where sch_netem is missing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../harness/core/exec.js';
import { binomialInterval } from '../harness/core/stats.js';
import type { ResultFile } from '../harness/results/types.js';
import { probeNetem } from '../netem/backend-netem.js';
import { expectedRttMs } from '../netem/calibrate.js';
import { listNamespaces } from '../netem/namespaces.js';
import { listStates } from '../netem/state.js';
import { CLI, skipUnlessRoot, until } from './kit/testkit.js';

const notRoot = skipUnlessRoot();
const probe = notRoot ? null : await probeNetem();
const required = process.env.BENCH_REQUIRE_NETEM === '1';
const skip = notRoot || (!probe!.ok && !required && `no sch_netem here: ${probe!.detail}`);
const dir = mkdtempSync(join(tmpdir(), 'bench-netem-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// In the VM every first start of a program reads it over 9p, which costs virtual time: the
// limits here are for hangs, not for speed.
const CLI_TIMEOUT_MS = 600_000;

function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { timeout: CLI_TIMEOUT_MS, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** Lab namespaces and state files: what a test must leave as it found them. */
async function labTraces(): Promise<string[]> {
  const ns = (await listNamespaces()).filter((n) => n.startsWith('bench-')).map((n) => `namespace ${n}`);
  return [...ns, ...(await listStates()).map((s) => `state file of ${s.runId}`)];
}

/** A small scenario file; `extra` lines follow the link's rate (indented: link fields; else top level). */
function scenario(name: string, extra = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\ndescription: netem backend check\nlink:\n  delay: 10ms\n  loss: 1%\n  rate: 5mbit\n${extra}transports: [tcp]\n` +
      'workloads:\n  - echo: { payload: 64B, count: 20 }\n  - bulk: { direction: download, bytes: 256KB }\nrepetitions: 1\n',
  );
  return file;
}

test('sch_netem is there (the VM job requires it)', { skip: !required && 'only where BENCH_REQUIRE_NETEM=1' }, () => {
  assert.ok(probe?.ok, `no sch_netem: ${probe?.detail}`);
});

test('doctor: netem chosen, lo up, the lab modules present', { skip }, async () => {
  const r = await bench(['doctor', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout) as { auto: { backend: string } | null; checks: { name: string; ok: boolean; detail: string }[] };
  assert.equal(d.auto?.backend, 'netem');
  const check = (name: string) => d.checks.find((c) => c.name === name)!;
  assert.ok(check('lo').ok, check('lo').detail);
  assert.ok(check('modules').ok, check('modules').detail);
});

test('run --backend netem: calibrated as configured, cells ok, nothing left', { skip }, async (t) => {
  const before = await labTraces();
  const out = join(dir, 'ok');
  const r = await bench(['run', scenario('netem-ok'), '--backend', 'netem', '--out', out, '--calibration-probes', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultFile;
  const lab = result.labs[0];
  assert.equal(lab.backend, 'netem');
  assert.match(lab.applied.router?.namespace ?? '', /^bench-.+-r$/);
  const m = lab.measured!;
  const configured = expectedRttMs(lab.configured.uplink, lab.configured.downlink, m.payloadBytes);
  t.diagnostic(`RTT min ${m.rttMs.min.toFixed(3)} p50 ${m.rttMs.p50.toFixed(3)} p99 ${m.rttMs.p99.toFixed(3)} ms (configured ${configured.toFixed(3)}); loss up ${m.uplinkLost}/${m.probes}, down ${m.downlinkLost}`);
  assert.ok(m.rttMs.min >= configured && m.rttMs.min <= configured + 3, `minimum RTT ${m.rttMs.min} ms, configured ${configured} ms`);
  // 99.99 %: a genuine random check that fails by chance once in 10 000 runs.
  for (const [lost, n] of [[m.uplinkLost, m.probes], [m.downlinkLost, m.probes - m.uplinkLost]]) {
    const iv = binomialInterval(lost, n, 0.9999);
    assert.ok(iv.lo <= 0.01 && 0.01 <= iv.hi, `loss ${lost}/${n}: 99.99 % interval ${iv.lo}-${iv.hi} misses 1 %`);
  }
  assert.deepEqual(result.cells.map((c) => `${c.kind} ${c.status}`), ['echo ok', 'bulk ok']);
  assert.deepEqual(await labTraces(), before);
});

test('run whose lab fails midway (unknown congestion control): its cells fail with the reason (exit 4), nothing left', { skip }, async () => {
  const before = await labTraces();
  const r = await bench(['run', scenario('netem-fail', 'congestionControl: nosuchcc\n'), '--backend', 'netem', '--out', join(dir, 'fail')]);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /lab for point "base" failed: cannot use TCP congestion control "nosuchcc"/);
  assert.deepEqual(await labTraces(), before);
});

test('run with reorder: true and a rate: refused (exit 2) before any lab is built, naming point and direction', { skip }, async () => {
  const before = await labTraces();
  // Indented: link fields, after the scenario's `rate: 5mbit`.
  const r = await bench(['run', scenario('netem-reorder', '  jitter: 2ms\n  downlink: { reorder: true }\n'), '--backend', 'netem', '--out', join(dir, 'reorder')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /point 0 \(base\) downlink: reorder: true with a rate cannot be emulated by netem/);
  assert.match(r.stderr, /--backend userspace/);
  assert.deepEqual(await labTraces(), before);
});

test('SIGINT during calibration: exit 130, nothing left', { skip }, async () => {
  const before = await labTraces();
  const child = spawn(process.execPath, [CLI, 'run', scenario('netem-int'), '--backend', 'netem', '--out', join(dir, 'int'), '--calibration-probes', '30000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    // The lab is complete (its state file carries its record) and calibration, 30000 probes, begins.
    await until(async () => (await listStates()).some((s) => s.record !== null && !before.includes(`state file of ${s.runId}`)), CLI_TIMEOUT_MS, `the lab to be built: ${err}`);
    assert.ok((await labTraces()).some((l) => /^namespace bench-.+-r$/.test(l)), 'the router namespace exists');
    child.kill('SIGINT');
    assert.equal(await exit, 130, err);
  } finally {
    child.kill('SIGKILL');
  }
  assert.deepEqual(await labTraces(), before);
});

test('SIGKILL leaves the lab behind; bench cleanup finds all three namespaces, the router too', { skip }, async () => {
  const before = await labTraces();
  const runId = `tk${process.pid}`;
  const child = spawn(process.execPath, [CLI, 'lab', 'up', scenario('netem-kill'), '--backend', 'netem', '--foreground', '--run-id', runId, '--probes', '50'], { stdio: 'ignore' });
  const exit = new Promise<void>((r) => child.on('close', () => r()));
  try {
    await until(async () => (await listStates()).some((s) => s.runId === runId && s.record !== null), CLI_TIMEOUT_MS, 'the lab to be built');
  } finally {
    child.kill('SIGKILL');
    await exit;
  }
  const left = (await labTraces()).filter((l) => !before.includes(l));
  assert.deepEqual(left.filter((l) => l.startsWith('namespace')).sort(), ['c', 'r', 's'].map((x) => `namespace bench-${runId}-${x}`));
  const r = await bench(['cleanup', '--run', runId]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await labTraces(), before);
});

// These change the kernel's global state, which only the VM may have changed.
const inVm = process.env.BENCH_IN_NETEM_VM === '1';

test('doctor names a down lo and modules that cannot load (VM only)', { skip: skip || (!inVm && 'changes lo and the module loader; runs only inside the netem VM') }, async () => {
  await run('ip', ['link', 'set', 'lo', 'down']);
  try {
    const r = await bench(['doctor']);
    assert.match(r.stdout, /FAIL {2}lo +loopback interface lo is down/);
    assert.match(r.stdout, /fix: ip link set lo up/);
  } finally {
    await run('ip', ['link', 'set', 'lo', 'up']);
  }
  // sch_netem unloaded (no lab holds it now) and the kernel's module loader gone: what a
  // minimal VM without kmod looks like.
  const loader = readFileSync('/proc/sys/kernel/modprobe', 'utf8').trim();
  await run('rmmod', ['sch_netem']);
  writeFileSync('/proc/sys/kernel/modprobe', '/nonexistent/modprobe\n');
  try {
    const r = await bench(['doctor']);
    assert.match(r.stdout, /FAIL {2}modules +.*sch_netem loadable.*\/nonexistent\/modprobe is missing, so sch_netem.* will not load when needed/);
    assert.match(r.stdout, /fix: apt-get install kmod, or load them now: modprobe -a sch_netem/);
    assert.match(r.stdout, /--backend auto would use userspace/);
  } finally {
    writeFileSync('/proc/sys/kernel/modprobe', `${loader}\n`);
  }
});
