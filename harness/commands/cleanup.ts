// `bench cleanup`: remove what killed runs left behind (bench-* namespaces bench created and
// everything in them, tagged linkemu processes, state files, the run's temp directory) and
// mark their results interrupted. Labs whose owner is alive, or that `bench lab up` left
// running on purpose, are kept unless named or --all.
import type { Command } from 'commander';
import { cleanup } from '../../netem/cleanup.js';
import { validRunId } from '../../netem/state.js';
import { isRoot } from '../../netem/lab.js';
import { EnvironmentError, InputError } from '../core/errors.js';
import { cleanupDeadRuns } from '../run/run-state.js';
import { withUndo } from '../core/undo.js';
import { removeImpairments } from '../remote/impair.js';
import { resolveInventory } from '../remote/inventory.js';
import { removeDeadControllerDirs } from '../remote/ssh.js';

/** What was (or, dry run, would be) done for each killed run. */
function deadRunLines(runs: { runId: string; done: string[] }[], dryRun: boolean): string[] {
  return runs.map((d) => `${dryRun ? 'would clean up after' : 'cleaned up after'} killed run ${d.runId}${d.done.length ? `: ${d.done.join(', ')}` : ''}`);
}

/** `--hosts`: bench's netem (handle bec0:) removed from every remote host of the file, router included. */
async function cleanupHosts(file: string, dryRun: boolean): Promise<string[]> {
  const inv = await resolveInventory({ hosts: file });
  const hosts = [inv.client, inv.server, inv.router].filter((p) => p?.kind === 'ssh');
  if (!hosts.length) throw new InputError(`--hosts ${file}: no remote host in it (both endpoints are local)`);
  if (dryRun) return hosts.map((p) => `would remove bench's netem from ${p!.kind === 'ssh' ? p!.host : ''}`);
  const r = await withUndo(async (undo) => {
    const lines: string[] = [];
    for (const p of hosts) if (p?.kind === 'ssh') lines.push(...(await removeImpairments(p, undo)));
    return lines;
  });
  return r.value ?? [];
}

export function registerCleanup(program: Command): void {
  program
    .command('cleanup')
    .description('remove bench-* namespaces and emulator processes left by a killed run')
    .option('--run <runid>', 'only this run (removed even if its owner is still alive)')
    .option('--all', 'also remove live labs, including those left up by `bench lab up`')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--hosts <file>', 'remote hosts (a hosts file, router included): remove the netem bench put on their interfaces (bench run --impair)')
    .action(async (o: { run?: string; all?: boolean; dryRun?: boolean; hosts?: string }) => {
      if (o.run !== undefined && !validRunId(o.run)) throw new InputError(`bad run id "${o.run}"`);
      if (o.hosts !== undefined) {
        // Remote hosts need no root here: only ssh, with the hosts' own privileges there.
        const lines = [...(await cleanupHosts(o.hosts, o.dryRun === true)), ...(await removeDeadControllerDirs({ dryRun: o.dryRun })).map((d) => `${o.dryRun ? 'would remove' : 'removed'} ${d}`)];
        // A killed two-host run also left its run state and temp dir here (root's, as bench
        // ran under sudo): cleaned up too when we can, named when we cannot.
        const problems: string[] = [];
        if (isRoot()) {
          const runs = await cleanupDeadRuns({ runId: o.run, dryRun: o.dryRun });
          lines.push(...deadRunLines(runs.runs, o.dryRun === true));
          problems.push(...runs.problems);
        } else {
          lines.push('this machine: not root, so killed runs\' state and temp dirs were not looked at (sudo bench cleanup removes them)');
        }
        process.stdout.write(`${(lines.length ? lines : ['nothing to clean up on the hosts']).join('\n')}\n`);
        // What was done is said first; what could not be done is the error.
        if (problems.length) throw new EnvironmentError(`cleanup incomplete: ${problems.join('; ')}`);
        return;
      }
      if (!isRoot()) throw new EnvironmentError('bench cleanup needs root (it deletes namespaces)', 'run it with sudo');
      const r = await cleanup({ runId: o.run, all: o.all, dryRun: o.dryRun });
      const runs = await cleanupDeadRuns({ runId: o.run, dryRun: o.dryRun });
      const dirs = await removeDeadControllerDirs({ dryRun: o.dryRun });
      r.problems.push(...runs.problems);
      const verb = o.dryRun ? 'would remove' : 'removed';
      const lines: string[] = [];
      lines.push(...deadRunLines(runs.runs, o.dryRun === true));
      for (const d of dirs) lines.push(`${o.dryRun ? 'would remove' : 'removed'} ${d} (left by a killed bench run between two hosts)`);
      for (const ns of r.foreign) lines.push(`left namespace ${ns}: named like a lab but bench has no record of creating it (if it is a leftover of bench, remove it with: bench cleanup --run ${ns.replace(/^bench-/, '').replace(/-[cs]$/, '')})`);
      for (const l of r.removed) {
        const what = [...l.namespaces.map((n) => `namespace ${n}`), ...l.emulatorPids.map((p) => `linkemu pid ${p}`)];
        lines.push(`${verb} run ${l.runId}: ${what.length ? what.join(', ') : 'state file only'}`);
      }
      for (const l of r.skipped) {
        lines.push(`kept live run ${l.runId} (${l.state?.detached ? 'left up by `bench lab up`' : `owner pid ${l.state?.ownerPid} is running`}); remove it with: bench cleanup --run ${l.runId}`);
      }
      if (lines.length === 0) lines.push(o.run ? `nothing left of run ${o.run}` : 'nothing to clean up');
      process.stdout.write(`${lines.join('\n')}\n`);
      if (r.problems.length) throw new EnvironmentError(`cleanup incomplete: ${r.problems.join('; ')}`);
    });
}
