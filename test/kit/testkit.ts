// Test-only helpers shared by the lab, emulator, cleanup and run tests (test/lab-*,
// test/emulator-*, test/cleanup-*, test/run-*): link builders, unique run ids, "what is left of this run".
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { after } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../harness/core/exec.js';
import type { CellResult, ResultFile } from '../../harness/results/types.js';
import type { LinkDirection, LinkPoint } from '../../harness/core/types.js';
import { emulatorProcesses } from '../../netem/backend-userspace.js';
import { listNamespaces } from '../../netem/namespaces.js';
import { stateFile } from '../../netem/state.js';

export const CLI = fileURLToPath(new URL('../../harness/cli.js', import.meta.url));

export function dir(o: Partial<LinkDirection> = {}): LinkDirection {
  return { delayMs: 0, jitterMs: 0, reorder: false, lossPct: 0, gilbert: null, rateBitsPerSec: null, limit: null, ...o };
}

export function point(up: Partial<LinkDirection> = {}, down: Partial<LinkDirection> = up, index = 0): LinkPoint {
  return { index, label: 'test', params: {}, link: { uplink: dir(up), downlink: dir(down) } };
}

/** Distinctive per test, since other engineers run labs on the same machine. */
/**
 * A fresh directory under the system temp dir, removed when the test (or, called at a
 * file's top level or in a helper there, the file) ends, passed or failed.
 */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export function testRunId(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export function skipUnlessRoot(): string | false {
  return process.getuid?.() !== 0 ? 'needs root (namespaces, TUN devices)' : false;
}

/** Everything of `runId` that still exists: namespaces, host links (a lab must never create one), emulators, state file. */
export async function remains(runId: string): Promise<string[]> {
  const left: string[] = [];
  for (const ns of await listNamespaces()) if (ns.startsWith(`bench-${runId}-`)) left.push(`namespace ${ns}`);
  const links = await run('ip', ['-o', 'link', 'show'], { reject: false });
  for (const m of links.stdout.matchAll(/^\d+: ([^:@\s]+)/gm)) if (m[1].includes(runId)) left.push(`link ${m[1]}`);
  for (const e of await emulatorProcesses()) {
    // A zombie is already dead; only its parent has not reaped it yet.
    const stat = await readFile(`/proc/${e.pid}/stat`, 'utf8').catch(() => '');
    if (e.tag === `bench-${runId}` && !/\) Z /.test(stat)) left.push(`linkemu pid ${e.pid}`);
  }
  if (await readFile(stateFile(runId)).then(() => true, () => false)) left.push(`state file ${stateFile(runId)}`);
  return left;
}

/** Resolve when `pred` holds, polling; reject after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolve once a TCP listener on `port` exists in `netns` (a daemon's start says nothing about it). */
export async function listening(netns: string | null, port: number | string, ms = 10_000): Promise<void> {
  await until(async () => new RegExp(`:${port}\\s`).test((await run('ss', ['-Htln'], { netns, reject: false })).stdout), ms, `a TCP listener on port ${port} in ${netns ?? 'the host'}`);
}

/**
 * `bench run` (userspace backend) of a scenario written to `dir`: exit code, stderr, the
 * result file, and a finder for its cells that fails the test when one is missing.
 */
export async function benchRun(dir: string, yaml: string, o: { probes?: number; timeoutMs?: number } = {}): Promise<{ code: number; stderr: string; result: ResultFile; cell: (transport: string, kind: string) => CellResult }> {
  const scenario = join(dir, 'scenario.yaml');
  const out = join(dir, 'out');
  await writeFile(scenario, yaml);
  const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [CLI, 'run', scenario, '--out', out, '--backend', 'userspace', '--calibration-probes', String(o.probes ?? 50)], { timeout: o.timeoutMs ?? 120_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as ResultFile;
  const cell = (transport: string, kind: string): CellResult => {
    const c = result.cells.find((x) => x.transport === transport && x.kind === kind);
    assert.ok(c, `cell ${transport}/${kind} present`);
    return c;
  };
  return { ...r, result, cell };
}
