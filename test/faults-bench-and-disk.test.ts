// Fault injection around the run itself: bench killed outright (SIGKILL: no undo runs), a
// disk that fills up mid-run, and output directories that already hold a result.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../harness/core/exec.js';
import type { ResultFile } from '../harness/results/types.js';
import { faultRun, scratchDir } from './kit/fault-run.js';
import { CLI, remains, skipUnlessRoot } from './kit/testkit.js';

const skip = skipUnlessRoot();

test('bench killed with SIGKILL mid-run: endpoints die with it, `bench cleanup` removes the rest and marks the result interrupted', { skip, timeout: 180_000 }, async (t) => {
  const dir = await scratchDir(t);
  let tmpDirs: string[] = [];
  let relayUid = '';
  const r = await faultRun(
    dir,
    `name: faults-kill
description: bench itself is killed
link: { delay: 1ms }
transports:
  - tcp
  - tunnel
  - name: socat-relay
    implementation: socat run as nobody
    user: nobody
    server: "socat TCP-LISTEN:{serverPort},bind={serverAddr},fork,reuseaddr TCP:{targetAddr}:{targetPort}"
    client: "socat TCP-LISTEN:{clientPort},bind={clientAddr},fork,reuseaddr TCP:{serverAddr}:{serverPort}"
workloads:
  - echo: { payload: 64B, duration: 1s }
repetitions: 5
`,
    async (ctx) => {
      await ctx.cells(3);
      tmpDirs = readdirSync(tmpdir()).filter((n) => n.startsWith(`bench-run-${ctx.runId}-`));
      assert.equal(tmpDirs.length, 1, 'the run keeps its credential files in one private temp dir');
      const [socat] = await ctx.pidsIn('client', /^socat /);
      relayUid = /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${socat}/status`, 'utf8'))?.[1] ?? '';
      process.kill(ctx.benchPid, 'SIGKILL');
    },
  );
  assert.equal(relayUid, '65534', 'a command transport with user: nobody runs as nobody');
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.result.status, 'running', 'nobody finished the file');
  // Agents (stdin EOF), the emulator and the command transports (parent-death signals) and
  // the tunnel endpoints (--exit-on-stdin-eof) leave by themselves; namespaces and state wait.
  const procs = async (): Promise<string> => {
    const inNs = await Promise.all(['c', 's'].map((s) => run('ip', ['netns', 'pids', `bench-${r.runId}-${s}`], { reject: false }).then((x) => x.stdout.trim())));
    return [...inNs, (await run('pgrep', ['-af', `bench-${r.runId}|bench-run-${r.runId}`], { reject: false })).stdout.trim()].filter(Boolean).join(' ');
  };
  const deadline = Date.now() + 10_000;
  while ((await procs()) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
  assert.equal(await procs(), '', 'no process of the run survives it');
  const c = spawnSync(process.execPath, [CLI, 'cleanup'], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`cleaned up after killed run ${r.runId}: temp dir .* removed, result .* marked interrupted`));
  assert.deepEqual(await remains(r.runId), []);
  assert.equal(existsSync(join(tmpdir(), tmpDirs[0])), false, 'credential files removed');
  const after = JSON.parse(await readFile(join(dir, 'out', 'result.json'), 'utf8')) as ResultFile;
  assert.equal(after.status, 'interrupted');
  assert.ok(after.warnings.some((w) => w.code === 'run-killed'));
  assert.equal(after.cells.length, r.result.cells.length, 'the cells measured before the kill are kept');
});

test('cleanup leaves a namespace that is only named like a lab', { skip }, async (t) => {
  const ns = `bench-notours${process.pid}-c`;
  await run('ip', ['netns', 'add', ns]);
  t.after(() => run('ip', ['netns', 'del', ns], { reject: false }).then(() => undefined));
  const c = spawnSync(process.execPath, [CLI, 'cleanup'], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`left namespace ${ns}: named like a lab but bench has no record of creating it`));
  assert.ok((await run('ip', ['netns', 'list'])).stdout.includes(ns), 'still there');
});

test('a disk that fills up mid-run: the write problem is a warning, not a lab failure; the final write fails with exit 3 and says so', { skip, timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-faults-'));
  const disk = join(dir, 'small');
  await mkdir(disk);
  // A real filesystem of 64 KiB, big enough for the first writes of result.json only.
  await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
  t.after(async () => {
    await run('umount', ['-l', disk], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });
  const r = await faultRun(
    dir,
    `name: faults-disk
description: the output directory fills up
link: { delay: 1ms }
transports: [tcp]
workloads:
  - echo: { payload: 64B, duration: 1s }
repetitions: 6
`,
    async (ctx) => {
      await ctx.cells(1);
      // Fill what is left of the disk.
      await writeFile(join(disk, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
    },
    { out: join(disk, 'out') },
  );
  assert.equal(r.code, 3, r.stderr.slice(-800));
  assert.match(r.stderr, /could not write .*result\.json: ENOSPC/);
  assert.doesNotMatch(r.stderr, /lab for point .* failed/);
  assert.match(r.stderr, /could not write the final result .*ENOSPC/);
  assert.ok(r.result.cells.length >= 1, 'the file on disk holds the cells of its last successful write');
  assert.deepEqual(r.left, []);
});

test('an output directory that holds a result is refused unless --force; default directories never collide', { skip: process.getuid?.() === 0 ? false : 'needs root to run bench' }, async (t) => {
  const dir = await scratchDir(t);
  const scenario = join(dir, 's.yaml');
  await writeFile(scenario, 'name: faults-out\ndescription: output directories\ntransports: [tcp]\nworkloads:\n  - echo: { payload: 64B, count: 5 }\nrepetitions: 1\n');
  const out = join(dir, 'out');
  await mkdir(out);
  await writeFile(join(out, 'result.json'), '{"precious": true}\n');
  const bench = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI, 'run', scenario, '--backend', 'loopback', ...args], { encoding: 'utf8', cwd: dir });
  const refused = bench(['--out', out]);
  assert.equal(refused.status, 2, String(refused.stderr));
  assert.match(String(refused.stderr), /already holds a result\.json.*\n.*--force/);
  assert.equal(await readFile(join(out, 'result.json'), 'utf8'), '{"precious": true}\n', 'nothing changed');
  assert.equal(bench(['--out', out, '--force']).status, 0);
  // Two runs in the same second: the second default directory gets the run id appended.
  const a = bench([]);
  const b = bench([]);
  assert.equal(a.status, 0, String(a.stderr));
  assert.equal(b.status, 0, String(b.stderr));
  const dirs = readdirSync(join(dir, 'results'));
  assert.equal(dirs.length, 2, dirs.join(', '));
  assert.notEqual(String(a.stdout).trim(), String(b.stdout).trim());
});
