// What a process is doing, read from /proc/<pid>/stat: the one place that tells a stalled
// endpoint (stopped by a signal or a debugger) or a dead one from a busy one, so a cell
// can name the process that spoiled it.
import { readFileSync } from 'node:fs';

export type ProcessState = 'running' | 'stopped' | 'zombie' | 'gone';

export function processState(pid: number | undefined): ProcessState {
  if (!pid) return 'gone';
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'gone';
  }
  // Field 3 (state) follows the ")" that ends comm, which may itself contain spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'T' || state === 't') return 'stopped';
  if (state === 'Z' || state === 'X') return 'zombie';
  return 'running';
}

/** "stopped (SIGSTOP or a debugger)" / "gone" for a process that cannot be doing its work, else null. */
export function stalledOrGone(pid: number | undefined): string | null {
  const s = processState(pid);
  if (s === 'stopped') return 'is stopped (SIGSTOP or a debugger)';
  if (s === 'zombie' || s === 'gone') return 'is gone';
  return null;
}
