// A `bench run` (userspace backend) with a fault injected once it is measuring: find the
// run's processes (agents, emulator, subject endpoints) by their namespaces and command
// lines, hit one, and collect the exit code, stderr, the result file and what is left.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../harness/core/exec.js';
import type { CellResult, ResultFile } from '../../harness/results/types.js';
import { CLI, remains, until } from './testkit.js';

export interface FaultCtx {
  runId: string;
  /** pid of the bench process under test. */
  benchPid: number;
  /** Pids of processes in the run's client or server namespace whose command line matches. */
  pidsIn(side: 'client' | 'server', cmd: RegExp): Promise<number[]>;
  /** pid of the run's link emulator. */
  emulatorPid(): Promise<number>;
  /** Resolve once the run has recorded at least `n` cells. */
  cells(n: number): Promise<void>;
}

export interface FaultRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  result: ResultFile;
  runId: string;
  /** What of the run still exists on the machine after it ended (see testkit.remains). */
  left: string[];
  cell(transport: string, kind: string, rep?: number): CellResult | undefined;
}

async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
}

async function pidsInNamespace(ns: string, cmd: RegExp): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { reject: false });
  const pids = r.stdout.split(/\s+/).filter(Boolean).map(Number);
  const out: number[] = [];
  for (const pid of pids) if (cmd.test(await cmdline(pid))) out.push(pid);
  return out;
}

async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Every process whose command line mentions the run's tag (the emulator names it). */
async function pidsByCmdline(cmd: RegExp): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const exe = await readlink(`/proc/${name}/exe`).catch(() => '');
    if (exe && cmd.test(await cmdline(Number(name)))) out.push(Number(name));
  }
  return out;
}

/** One line for the fault table: exit, cell statuses, the first reason that names a culprit, leftovers. */
export function faultRow(fault: string, r: FaultRun, culprit: RegExp): string {
  const n: Record<string, number> = {};
  for (const c of r.result.cells) n[c.status] = (n[c.status] ?? 0) + 1;
  const reason = r.result.cells.find((c) => culprit.test(c.reason ?? ''))?.reason ?? '(none)';
  return `fault table | ${fault} | exit ${r.code ?? r.signal} | ${Object.entries(n).map(([s, k]) => `${k} ${s}`).join(', ')} | ${reason.slice(0, 160)} | left: ${r.left.length ? r.left.join(', ') : 'nothing'}`;
}

export async function faultRun(dir: string, yaml: string, inject: (ctx: FaultCtx) => Promise<void>, o: { extraArgs?: string[]; timeoutMs?: number; out?: string } = {}): Promise<FaultRun> {
  const scenario = join(dir, 'scenario.yaml');
  const out = o.out ?? join(dir, 'out');
  await writeFile(scenario, yaml);
  const child = spawn(process.execPath, [CLI, 'run', scenario, '--out', out, '--backend', 'userspace', '--calibration-probes', '50', ...(o.extraArgs ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  const killer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 150_000);
  const readResult = async (): Promise<ResultFile | null> => {
    try {
      return JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as ResultFile;
    } catch {
      return null;
    }
  };
  let runId = '';
  try {
    await until(async () => {
      const ns = (await readResult())?.labs[0]?.namespaces?.client;
      if (ns) runId = ns.replace(/^bench-/, '').replace(/-c$/, '');
      return runId !== '';
    }, 60_000, `the run's lab in ${out}: ${stderr}`);
    const ctx: FaultCtx = {
      runId,
      benchPid: child.pid!,
      pidsIn: (side, cmd) => pidsInNamespace(`bench-${runId}-${side === 'client' ? 'c' : 's'}`, cmd),
      emulatorPid: async () => {
        // The emulator forks a process per direction; the one bench started is its child.
        const pids = await pidsByCmdline(new RegExp(`linkemu .*bench-${runId}\\b`));
        const mine = [];
        for (const pid of pids) if ((await parentOf(pid)) === child.pid) mine.push(pid);
        if (mine.length !== 1) throw new Error(`expected one emulator started by bench for run ${runId}, found ${mine.length} of ${pids.length}`);
        return mine[0];
      },
      cells: (n) => until(async () => ((await readResult())?.cells.length ?? 0) >= n, 90_000, `${n} cells recorded: ${stderr.slice(-400)}`),
    };
    await inject(ctx);
  } catch (err) {
    // The test itself went wrong: stop the run the way a user would, so it cleans up.
    child.kill('SIGINT');
    await ended;
    if (runId) await run(process.execPath, [CLI, 'cleanup', '--run', runId], { reject: false });
    throw err;
  }
  const { code, signal } = await ended;
  clearTimeout(killer);
  const result = await readResult();
  if (!result) throw new Error(`no result file in ${out}; stderr: ${stderr}`);
  return {
    code,
    signal,
    stderr,
    result,
    runId,
    left: await remains(runId),
    cell: (transport, kind, rep = 0) => result.cells.find((c) => c.transport === transport && c.kind === kind && c.repetition === rep),
  };
}

/** A scratch directory for one test, removed when it ends. */
export async function scratchDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-faults-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
