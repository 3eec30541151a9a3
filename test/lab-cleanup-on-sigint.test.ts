// SIGINT to a process holding a lab (the real CLI, `bench lab up --foreground`) removes
// everything it set up, whether the signal lands during setup or during calibration:
// namespaces, the emulator, the probe agents inside the namespaces, the state file.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../harness/core/exec.js';
import { cleanup } from '../netem/cleanup.js';
import { pidAlive } from '../netem/backend-userspace.js';
import { CLI, remains, skipUnlessRoot, testRunId, until } from './kit/testkit.js';

const skip = skipUnlessRoot();
const dir = mkdtempSync(join(tmpdir(), 'bench-lab-sigint-'));
const scenario = join(dir, 'lab.yaml');
writeFileSync(scenario, 'name: sigint\ndescription: lab for the SIGINT test\nlink:\n  delay: 5ms\n  loss: 1%\ntransports: [tcp]\nworkloads:\n  - echo: { payload: 64B, count: 1 }\n');
const runIds: string[] = [];
after(async () => {
  for (const id of runIds) await cleanup({ runId: id }); // only if a test failed midway
  rmSync(dir, { recursive: true, force: true });
});

function labUpForeground(runId: string, probes: number): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  runIds.push(runId);
  const child = spawn(process.execPath, [CLI, 'lab', 'up', scenario, '--foreground', '--backend', 'userspace', '--run-id', runId, '--probes', String(probes)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code))); // close: after the last output is read
  return { child, out: () => out, exit };
}

/** Probe agents running in a namespace (not the short-lived `ip`/`sysctl` of its setup). */
async function probeAgents(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { reject: false });
  const pids = r.stdout.split(/\s+/).filter(Boolean).map(Number);
  const cmdline = (pid: number): Promise<string> => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const cmds = await Promise.all(pids.map(cmdline));
  return pids.filter((_, i) => cmds[i].includes('probe-agent'));
}

test('SIGINT during calibration: exit 130 and nothing of the lab remains', { skip, timeout: 60_000 }, async () => {
  const runId = testRunId('tq');
  const p = labUpForeground(runId, 10_000); // 10000 probes x 2 ms: calibration runs for 20 s
  // Midway: the probe agents are running inside both namespaces.
  let agents: number[] = [];
  await until(async () => {
    const [c, s] = [await probeAgents(`bench-${runId}-c`), await probeAgents(`bench-${runId}-s`)];
    agents = [...c, ...s];
    return c.length > 0 && s.length > 0;
  }, 20_000, `a probe agent in each of bench-${runId}-c/-s: ${p.out()}`);
  const before = await remains(runId);
  assert.ok(before.some((r) => r.startsWith('linkemu')), `emulator running: ${before.join(', ')}`);
  p.child.kill('SIGINT');
  assert.equal(await p.exit, 130, p.out());
  assert.match(p.out(), /interrupted by SIGINT; lab .* removed/);
  assert.deepEqual(await remains(runId), []);
  for (const pid of agents) assert.ok(!pidAlive(pid), `probe agent ${pid} is gone`);
});

test('SIGINT during setup: whatever was created is removed', { skip, timeout: 60_000 }, async () => {
  const runId = testRunId('tq');
  const p = labUpForeground(runId, 100);
  // As early as possible: the state file is the first thing a lab writes.
  await until(async () => (await remains(runId)).length > 0, 20_000, 'lab setup to start');
  p.child.kill('SIGINT');
  const code = await p.exit;
  assert.ok(code === 130, `exit ${code}: ${p.out()}`);
  await until(async () => (await remains(runId)).length === 0, 5000, `nothing left of ${runId}: ${(await remains(runId)).join(', ')}`);
});
