// Raw CPU readings from /proc, taken wherever the process runs: by the controller for its
// local endpoints, and by a remote agent for itself and the processes beside it on its host
// (agent op `cpu`), so that an endpoint on another machine is measured by the same code on
// the machine it runs on. Only raw, mergeable numbers: harness/results/cpu.ts and
// host-load.ts turn two readings into shares of a core and a contention verdict.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

export interface CpuMark {
  pid: number;
  userUs: number;
  sysUs: number;
  /** On-CPU and run-queue time summed over the process's threads, ns (null: no schedstat). */
  sched: { runNs: number; waitNs: number } | null;
  /** performance.now() of the reading process, ms: only differences of one process's clock are meaningful. */
  at: number;
}

/** schedstat of every thread: "<on-cpu ns> <waiting on a run queue ns> <timeslices>". */
function schedTotals(pid: number): { runNs: number; waitNs: number } | null {
  try {
    let runNs = 0;
    let waitNs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const f = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      runNs += Number(f[0]);
      waitNs += Number(f[1]);
    }
    return { runNs, waitNs };
  } catch {
    return null;
  }
}

/** A process's CPU time so far, or null when it is gone (or pid is not given). */
export function readCpu(pid: number | undefined): CpuMark | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of comm: state is field 3; utime 14, stime 15, cutime 16, cstime 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ut = Number(f[11]) + Number(f[13]);
    const st = Number(f[12]) + Number(f[14]);
    return { pid, userUs: ut * TICK_US, sysUs: st * TICK_US, sched: schedTotals(pid), at: performance.now() };
  } catch {
    return null;
  }
}

export interface HostMark {
  /** performance.now() of the reading process, ms. */
  at: number;
  /** Jiffies of the aggregate "cpu" line: user nice system idle iowait irq softirq steal. */
  cpu: number[];
  /** Number of CPUs (cpuN lines). */
  cpus: number;
  pressureSomeUs: number | null;
}

function pressureSomeUs(): number | null {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The whole host's CPU time so far (/proc/stat) and CPU pressure, or null without /proc. */
export function readHost(): HostMark | null {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    const cpu = lines[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { at: performance.now(), cpu, cpus: lines.filter((l) => /^cpu\d+ /.test(l)).length, pressureSomeUs: pressureSomeUs() };
  } catch {
    return null;
  }
}
