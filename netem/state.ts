// One state file per lab, /run/bench/<runid>.json, written before anything is created so
// `bench cleanup` can tell a live lab (owner alive, or detached by `bench lab up`) from the
// leftovers of a killed run. /run is tmpfs: nothing survives a reboot, and neither do labs.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { writeOutputFile } from '../harness/core/safe-write.js';
import { join } from 'node:path';
import type { BackendName, LabRecord } from '../harness/core/types.js';
import { pidAlive } from './backend-userspace.js';

const STATE_DIR = process.env.BENCH_STATE_DIR ?? '/run/bench';

export interface LabState {
  runId: string;
  backend: BackendName;
  /** Process that owns the lab; the lab is a leftover once it is gone (unless detached). */
  ownerPid: number;
  /** Start time of the owner (/proc/<pid>/stat field 22), so a reused pid is not mistaken for it. */
  ownerStart: string | null;
  /** Left running on purpose by `bench lab up`; only `lab down`, `cleanup --run/--all` remove it. */
  detached: boolean;
  emulatorPid: number | null;
  statsFile: string | null;
  namespaces: { client: string; server: string };
  createdAt: string;
  record: LabRecord | null;
  /** How to use the lab, printed by `bench lab up` and kept for `bench lab list`. */
  usage?: string[];
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/;

/** A run id whose state file could be taken for another lab's stats file (`<id>.stats.json`) is refused. */
export function validRunId(runId: string): boolean {
  return RUN_ID.test(runId) && !runId.endsWith('.stats');
}

export function stateFile(runId: string): string {
  return join(STATE_DIR, `${runId}.json`);
}

export function statsFile(runId: string): string {
  return join(STATE_DIR, `${runId}.stats.json`);
}

export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export async function writeState(s: LabState): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true, mode: 0o755 });
  // Random temp name, O_EXCL|O_NOFOLLOW, rename only over a regular file (issue 16).
  await writeOutputFile(stateFile(s.runId), `${JSON.stringify(s, null, 2)}\n`);
}

export async function readState(runId: string): Promise<LabState | null> {
  try {
    return JSON.parse(await readFile(stateFile(runId), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

export async function listStates(): Promise<LabState[]> {
  let names: string[];
  try {
    names = await readdir(STATE_DIR);
  } catch {
    return [];
  }
  const out: LabState[] = [];
  for (const n of names.filter((f) => f.endsWith('.json') && !f.endsWith('.stats.json'))) {
    const s = await readState(n.slice(0, -5));
    if (s) out.push(s);
  }
  return out;
}

export async function removeState(runId: string): Promise<void> {
  await rm(stateFile(runId), { force: true });
  await rm(statsFile(runId), { force: true });
  await rm(`${statsFile(runId)}.tmp`, { force: true });
}

/** A lab is live when it was detached on purpose or its owner process still runs. */
export function stateLive(s: LabState): boolean {
  if (s.detached) return s.emulatorPid === null || pidAlive(s.emulatorPid);
  return pidAlive(s.ownerPid) && (s.ownerStart === null || processStart(s.ownerPid) === s.ownerStart);
}
