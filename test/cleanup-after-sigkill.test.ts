// SIGKILL leaves no chance to undo: the emulator still dies with its parent
// (PR_SET_PDEATHSIG), and `bench cleanup --run <id>` removes the namespaces, the processes
// inside them and the state file. Without --run, cleanup keeps labs whose owner is alive.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, spawn as benchSpawn } from '../harness/core/exec.js';
import { UndoStack } from '../harness/core/undo.js';
import { emulatorProcesses, pidAlive } from '../netem/backend-userspace.js';
import { cleanup } from '../netem/cleanup.js';
import { labUp } from '../netem/lab.js';
import { CLI, point, remains, skipUnlessRoot, testRunId, until } from './kit/testkit.js';

const skip = skipUnlessRoot();
const dir = mkdtempSync(join(tmpdir(), 'bench-cleanup-'));
const scenario = join(dir, 'lab.yaml');
writeFileSync(scenario, 'name: sigkill\ndescription: lab for the SIGKILL test\nlink:\n  delay: 5ms\ntransports: [tcp]\nworkloads:\n  - echo: { payload: 64B, count: 1 }\n');
const undo = new UndoStack();
const runIds: string[] = [];
after(async () => {
  await undo.run();
  for (const id of runIds) await cleanup({ runId: id });
  rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL a lab holder, then `bench cleanup --run` leaves nothing', { skip, timeout: 60_000 }, async () => {
  const runId = testRunId('tk');
  runIds.push(runId);
  const child = spawn(process.execPath, [CLI, 'lab', 'up', scenario, '--foreground', '--backend', 'userspace', '--run-id', runId, '--no-calibrate'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.on('exit', r));
  await until(() => /is up/.test(out), 20_000, `lab up: ${out}`);
  const emu = (await emulatorProcesses()).filter((e) => e.tag === `bench-${runId}`).map((e) => e.pid);
  assert.equal(emu.length, 2, 'the emulator runs as two processes, one per direction');
  // A process left inside the lab, like a user's `iperf3 -s`.
  const squatter = benchSpawn('sleep', ['300'], { netns: `bench-${runId}-s`, stdinPipe: false });
  undo.push('squatter', () => void squatter.kill('SIGKILL'));

  child.kill('SIGKILL');
  await exited;
  const dead = (pid: number): boolean => !pidAlive(pid) || /\) Z /.test(spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).stdout);
  await until(() => emu.every(dead), 5000, 'emulator to die with its parent');
  const left = await remains(runId);
  assert.ok(left.includes(`namespace bench-${runId}-c`) && left.some((l) => l.startsWith('state file')), `a killed run leaves a trail: ${left.join(', ')}`);

  const r = spawnSync(process.execPath, [CLI, 'cleanup', '--run', runId], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`removed run ${runId}: namespace bench-${runId}-c, namespace bench-${runId}-s`));
  assert.deepEqual(await remains(runId), []);
  await until(() => squatter.exitCode !== null || squatter.signalCode !== null, 5000, 'process inside the namespace to be stopped');

  const again = spawnSync(process.execPath, [CLI, 'cleanup', '--run', runId], { encoding: 'utf8' });
  assert.equal(again.status, 0);
  assert.match(again.stdout, /nothing left of run/);
});

test('cleanup without --run keeps a lab whose owner is alive', { skip, timeout: 60_000 }, async () => {
  const runId = testRunId('tl');
  runIds.push(runId);
  const lab = await labUp({ runId, point: point({ delayMs: 1 }), backend: 'userspace', congestionControl: 'cubic', seed: 1, undo });
  // --dry-run: on this shared machine, really cleaning would also remove other people's leftovers.
  const r = spawnSync(process.execPath, [CLI, 'cleanup', '--dry-run'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`kept live run ${runId} \\(owner pid ${process.pid} is running\\)`));
  assert.doesNotMatch(r.stdout, new RegExp(`would remove run ${runId}\\b`));
  const ns = (await run('ip', ['netns', 'list'])).stdout;
  assert.match(ns, new RegExp(`bench-${runId}-c`));
  await lab.down();
  assert.deepEqual(await remains(runId), []);
});
