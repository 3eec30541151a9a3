// SIGINT in the middle of `bench run` (the real CLI, a real lab): exit 130, the result file
// says "interrupted" and keeps the cells measured so far, no cell is invented as "failed" by
// the teardown, and no namespace, emulator or state file of the run remains.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ResultFile } from '../harness/results/types.js';
import { cleanup } from '../netem/cleanup.js';
import { CLI, remains, skipUnlessRoot } from './kit/testkit.js';

test('SIGINT mid-run: exit 130, partial result kept, nothing left behind', { skip: skipUnlessRoot(), timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-sigint-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const scenario = join(dir, 's.yaml');
  await writeFile(scenario, 'name: sigint-run\ndescription: interrupted on purpose\nlink: { delay: 2ms }\ntransports: [tcp, tls]\nworkloads:\n  - echo: { payload: 64B, count: 50 }\n  - bulk: { direction: download, duration: 2s }\nrepetitions: 5\n');
  const out = join(dir, 'out');
  const child = spawn(process.execPath, [CLI, 'run', scenario, '--out', out, '--backend', 'userspace', '--calibration-probes', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    child.kill('SIGKILL');
    // Whatever happened, remove this run's lab (its run id is in the result file).
    const r = await readFile(join(out, 'result.json'), 'utf8').then((x) => JSON.parse(x) as ResultFile, () => null);
    const ns = r?.labs[0]?.namespaces?.client;
    if (ns) await cleanup({ runId: ns.replace(/^bench-/, '').replace(/-c$/, '') });
  });
  let stderr = '';
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code))); // close: after the last output is read
  // Interrupt once two cells are done.
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (/\[2\/20\]/.test(stderr)) resolve();
    });
    void exited.then(() => resolve());
  });
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr.slice(-600));
  const r = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as ResultFile;
  assert.equal(r.status, 'interrupted');
  assert.ok(r.cells.length >= 2 && r.cells.length < 20, `partial cells kept: ${r.cells.length}`);
  assert.deepEqual(r.cells.filter((c) => c.status !== 'ok').map((c) => `${c.id}: ${c.reason}`), []);
  const runId = r.labs[0].namespaces!.client.replace(/^bench-/, '').replace(/-c$/, '');
  assert.deepEqual(await remains(runId), [], 'nothing of the run is left');
});
