// Finds and removes what labs leave behind when their process is killed: `bench-*`
// namespaces (client, server, and the netem backend's router, with every process inside
// them), linkemu processes tagged `bench-<runid>`, and state files. Nothing that is not
// named like a lab is touched, and a namespace named like one is removed only when bench's
// records show it made it (a state file, or its emulator), or when its run id is named. Labs
// create nothing in the host namespace (the veth pairs and the TUN devices are created
// inside the lab namespaces), so host interfaces are never looked at, whatever their names.
import { emulatorProcesses, killAndWait } from './backend-userspace.js';
import { deleteNamespace, listNamespaces } from './namespaces.js';
import { listStates, readState, removeState, stateLive, type LabState } from './state.js';

export interface LabRemains {
  runId: string;
  namespaces: string[];
  emulatorPids: number[];
  state: LabState | null;
  /** Owner still running, or left up on purpose by `bench lab up`. */
  live: boolean;
}

/** Run id of a lab namespace name: bench-<runid>-c / -s, and -r (the netem backend's router). */
function runIdOf(name: string): string | null {
  const m = /^bench-(.+)-[csr]$/.exec(name);
  return m ? m[1] : null;
}

/** Everything named like a lab, grouped by run id. */
async function findLabs(): Promise<LabRemains[]> {
  const byRun = new Map<string, LabRemains>();
  const get = (runId: string): LabRemains => {
    let r = byRun.get(runId);
    if (!r) byRun.set(runId, (r = { runId, namespaces: [], emulatorPids: [], state: null, live: false }));
    return r;
  };
  for (const ns of await listNamespaces()) {
    const id = runIdOf(ns);
    if (id) get(id).namespaces.push(ns);
  }
  for (const e of await emulatorProcesses()) {
    const id = e.tag?.startsWith('bench-') ? e.tag.slice('bench-'.length) : null;
    if (id) get(id).emulatorPids.push(e.pid);
  }
  for (const s of await listStates()) get(s.runId).state = s;
  for (const r of byRun.values()) {
    r.namespaces.sort();
    r.live = r.state !== null && stateLive(r.state);
  }
  return [...byRun.values()].sort((a, b) => a.runId.localeCompare(b.runId));
}

/** Remove one lab's remains; returns problems (never throws). */
async function removeLab(r: LabRemains): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  // Re-check each pid right before killing it: it may have exited and been reused.
  const ours = new Set((await emulatorProcesses()).filter((e) => e.tag === `bench-${r.runId}`).map((e) => e.pid));
  for (const pid of r.emulatorPids.filter((p) => ours.has(p))) {
    await attempt(`emulator ${pid}`, async () => {
      if (!(await killAndWait(pid))) throw new Error('still running after SIGKILL');
    });
  }
  for (const ns of r.namespaces) await attempt(`namespace ${ns}`, () => deleteNamespace(ns));
  await attempt('state file', () => removeState(r.runId));
  return problems;
}

export interface CleanupOptions {
  /** Only this run id (removed even when its owner is alive). */
  runId?: string;
  /** Also remove live labs (owner alive, or left up by `bench lab up`). */
  all?: boolean;
  dryRun?: boolean;
}

export async function cleanup(opts: CleanupOptions = {}): Promise<{ removed: LabRemains[]; skipped: LabRemains[]; problems: string[]; foreign: string[] }> {
  let labs = await findLabs();
  // A namespace merely named like a lab, with no state file and no emulator of ours, may be
  // someone else's: only a cleanup that names its run id removes it.
  const foreign: string[] = [];
  if (opts.runId === undefined) {
    for (const l of labs.filter((x) => x.state === null && x.emulatorPids.length === 0)) foreign.push(...l.namespaces);
    labs = labs.filter((x) => x.state !== null || x.emulatorPids.length > 0);
  }
  if (opts.runId !== undefined) {
    labs = labs.filter((l) => l.runId === opts.runId);
    if (labs.length === 0) {
      const s = await readState(opts.runId);
      if (s) labs = [{ runId: s.runId, namespaces: [], emulatorPids: [], state: s, live: false }];
    }
  }
  const removed: LabRemains[] = [];
  const skipped: LabRemains[] = [];
  const problems: string[] = [];
  for (const l of labs) {
    if (l.live && !opts.all && opts.runId === undefined) {
      skipped.push(l);
      continue;
    }
    removed.push(l);
    if (!opts.dryRun) problems.push(...(await removeLab(l)));
  }
  return { removed, skipped, problems, foreign };
}
