// A running `bench run` leaves a trail that outlives a SIGKILL: a state file naming its
// process, its result file and its private temp directory (certificates and keys of
// command subjects). `bench cleanup` finds runs whose process is gone, removes their temp
// directory, and marks their result `interrupted` so no result stays `running` for ever.
// Labs keep their own state (netem/state.ts); this file is about the run around them.
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processState } from '../core/proc.js';
import type { ResultFile } from '../results/types.js';
import { writeResultFileAtomic } from '../results/result-file.js';
import { processStart } from '../../netem/state.js';

const RUNS_DIR = join(process.env.BENCH_STATE_DIR ?? '/run/bench', 'runs');

export interface RunState {
  runId: string;
  pid: number;
  /** Start time of the process (/proc/<pid>/stat field 22): a reused pid is not the run. */
  pidStart: string | null;
  resultPath: string;
  /** Private directory (mode 0700) for the run's credential files; removed with the run. */
  tmpDir: string;
  owner: { uid: number; gid: number } | null;
  startedAt: string;
}

function stateFile(runId: string): string {
  return join(RUNS_DIR, `${runId}.json`);
}

/** The run's private temp directory. */
export function makeRunTmpDir(runId: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `bench-run-${runId}-`));
}

/**
 * Record the running run (best effort: without write access to the state directory, as
 * for an unprivileged loopback run, there is no trail and nothing for cleanup to do).
 */
export async function writeRunState(s: Omit<RunState, 'pid' | 'pidStart' | 'startedAt'>): Promise<boolean> {
  const full: RunState = { ...s, pid: process.pid, pidStart: processStart(process.pid), startedAt: new Date().toISOString() };
  try {
    await mkdir(RUNS_DIR, { recursive: true, mode: 0o755 });
    const tmp = `${stateFile(s.runId)}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, stateFile(s.runId));
    return true;
  } catch {
    return false;
  }
}

export async function removeRunState(runId: string): Promise<void> {
  await rm(stateFile(runId), { force: true });
}

async function listRunStates(): Promise<RunState[]> {
  let names: string[];
  try {
    names = await readdir(RUNS_DIR);
  } catch {
    return [];
  }
  const out: RunState[] = [];
  for (const n of names.filter((f) => f.endsWith('.json'))) {
    try {
      out.push(JSON.parse(await readFile(join(RUNS_DIR, n), 'utf8')) as RunState);
    } catch {
      // a state file being written, or damaged: not ours to judge
    }
  }
  return out;
}

/** Whether the run's process still runs (and is the same process, not a reused pid). */
export function runAlive(s: RunState): boolean {
  const st = processState(s.pid);
  return st !== 'gone' && st !== 'zombie' && (s.pidStart === null || processStart(s.pid) === s.pidStart);
}

export interface DeadRun {
  runId: string;
  resultPath: string;
  /** What was done: "result marked interrupted", "temp dir removed". */
  done: string[];
}

/** Clean up after runs whose process is gone (or the one named): temp dir, result status, state file. */
export async function cleanupDeadRuns(o: { runId?: string; dryRun?: boolean } = {}): Promise<{ runs: DeadRun[]; problems: string[] }> {
  const runs: DeadRun[] = [];
  const problems: string[] = [];
  for (const s of await listRunStates()) {
    if (o.runId !== undefined ? s.runId !== o.runId : runAlive(s)) continue;
    const done: string[] = [];
    runs.push({ runId: s.runId, resultPath: s.resultPath, done });
    if (o.dryRun) continue;
    try {
      await rm(s.tmpDir, { recursive: true, force: true });
      done.push(`temp dir ${s.tmpDir} removed`);
      const r = JSON.parse(await readFile(s.resultPath, 'utf8').catch(() => 'null')) as ResultFile | null;
      if (r && r.status === 'running') {
        r.status = 'interrupted';
        r.warnings.push({
          code: 'run-killed',
          message: `the run's process (pid ${s.pid}) ended without finishing this file (killed?); bench cleanup marked it interrupted`,
          remedy: 'the cells recorded before it stopped are kept; run the scenario again for a complete result',
        });
        await writeResultFileAtomic(s.resultPath, r, { owner: s.owner });
        done.push(`result ${s.resultPath} marked interrupted`);
      }
      await removeRunState(s.runId);
    } catch (err) {
      problems.push(`run ${s.runId}: ${(err as Error).message}`);
    }
  }
  return { runs, problems };
}
