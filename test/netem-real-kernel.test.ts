// The netem backend on a real netem kernel: this machine's kernel has no sch_netem, so the
// test boots Debian's own (linux-image-amd64, 6.1) under qemu TCG with the host's root over
// 9p (.ci/netem-vm/netem-vm.sh) and runs .ci/netem-vm/guest-job.sh inside: the netem lab and
// CLI tests, which must all run and pass there. Skips with the script's one-line reason where
// qemu, busybox-static, kmod or the kernel package cannot be had; fails when the guest fails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipUnlessRoot } from './kit/testkit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, '.ci/netem-vm/netem-vm.sh');
/**
 * Wall-clock limit for the whole VM (boot, job, power-off), for hangs only: the job is about
 * 70 s of the guest's virtual time, which cost 6.5 min of wall time at host load 3-6 and
 * more than 15 min at load 14-15 (other test suites on this 2-core machine).
 */
const VM_TIMEOUT_S = 1500;

const skip = skipUnlessRoot() || (process.env.BENCH_NETEM_VM === 'skip' && 'BENCH_NETEM_VM=skip');
const out = mkdtempSync(join(tmpdir(), 'bench-netem-vm-'));
let group: number | null = null;
after(() => {
  // Whatever happened (failure, timeout, Ctrl-C of the runner): no qemu may outlive the test.
  // The script runs qemu in its own process group, created here.
  if (group !== null) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(out, { recursive: true, force: true });
});

/** The script run for its skip path only: it must exit 77 with exactly one line before booting anything. */
async function skipRun(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(SCRIPT, [join(out, 'skip'), 'true'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NETEM_VM_CACHE: join(out, 'cache'), ...env } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  return { code, stderr };
}

test('no qemu: the VM script skips (exit 77) with a one-line reason that says what to install', async () => {
  const r = await skipRun({ NETEM_VM_QEMU: 'qemu-system-nosuch' });
  assert.equal(r.code, 77, r.stderr);
  assert.equal(r.stderr, 'netem-vm: skipped: qemu-system-nosuch not found (apt-get install qemu-system-x86)\n');
});

test('no kernel package: the VM script skips (exit 77) with a one-line reason, nothing downloaded', async () => {
  const r = await skipRun({ NETEM_VM_KERNEL: 'linux-image-nosuch-flavour' });
  assert.equal(r.code, 77, r.stderr);
  assert.match(r.stderr, /^netem-vm: skipped: [^\n]+\n$/);
  // Where qemu, busybox-static and kmod are there, the reason is the package itself.
  if (!/not found|busybox|dpkg/.test(r.stderr)) assert.equal(r.stderr, 'netem-vm: skipped: apt knows no linux-image-nosuch-flavour (run apt-get update)\n');
  assert.throws(() => readFileSync(join(out, 'skip', 'run.sh')), 'nothing prepared for a VM that cannot boot');
});

test('Debian 6.1 kernel in qemu: netem lab and CLI tests pass, nothing left behind', { skip, timeout: (VM_TIMEOUT_S + 60) * 1000 }, async (t) => {
  const started = Date.now();
  const child = spawn(SCRIPT, [out, 'sh', '.ci/netem-vm/guest-job.sh'], {
    cwd: ROOT,
    detached: true, // its own process group: after() kills qemu with it
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NETEM_VM_TIMEOUT: String(VM_TIMEOUT_S) },
  });
  group = child.pid ?? null;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  group = null;
  const wallS = ((Date.now() - started) / 1000).toFixed(0);
  if (code === 77) {
    t.skip(stderr.trim().split('\n').pop());
    return;
  }
  const log = (() => {
    try {
      return readFileSync(join(out, 'run.log'), 'utf8');
    } catch {
      return '(no run.log)';
    }
  })();
  t.diagnostic(`VM job: exit ${code}, ${wallS} s wall`);
  for (const l of stderr.split('\n').filter((x) => x.startsWith('netem-vm: wall time'))) t.diagnostic(l);
  for (const l of log.split('\n').filter((x) => /^\s*(ℹ|#) |netem-vm/.test(x))) t.diagnostic(l.trim());
  assert.equal(code, 0, `the guest failed (exit ${code}):\n${stderr}\n${log.split('\n').slice(-120).join('\n')}`);
  const count = (what: string): number => Number(new RegExp(`^ℹ ${what} (\\d+)$`, 'm').exec(log)?.[1] ?? NaN);
  // Every guest test ran: none skipped (no sch_netem there would be a failure, not a skip).
  assert.ok(count('pass') >= 10, `guest tests passed: ${count('pass')}`);
  assert.equal(count('fail'), 0);
  assert.equal(count('skipped'), 0);
});
