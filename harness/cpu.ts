// CPU time of any process (agents, tunnel endpoints, external subjects) read from
// /proc/<pid>/stat, so every endpoint is measured the same way, whoever wrote it.
import { readFileSync } from 'node:fs';
import type { CpuUsage } from './types.js';

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

export interface CpuMark {
  pid: number;
  userUs: number;
  sysUs: number;
  at: number;
}

export function cpuMark(pid: number | undefined): CpuMark | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of comm: state is field 3; utime 14, stime 15, cutime 16, cstime 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ut = Number(f[11]) + Number(f[13]);
    const st = Number(f[12]) + Number(f[14]);
    return { pid, userUs: ut * TICK_US, sysUs: st * TICK_US, at: performance.now() };
  } catch {
    return null;
  }
}

export function cpuSince(m: CpuMark | null): CpuUsage | null {
  if (!m) return null;
  const now = cpuMark(m.pid);
  if (!now) return null;
  const wallMs = now.at - m.at;
  const userUs = now.userUs - m.userUs;
  const sysUs = now.sysUs - m.sysUs;
  return { userUs, sysUs, wallMs, coreFraction: wallMs > 0 ? (userUs + sysUs) / 1000 / wallMs : 0 };
}

/** Add several processes' usage (an endpoint made of more than one process). */
export function sumCpu(parts: (CpuUsage | null)[]): CpuUsage | null {
  const ps = parts.filter((p): p is CpuUsage => p !== null);
  if (!ps.length) return null;
  const wallMs = Math.max(...ps.map((p) => p.wallMs));
  const userUs = ps.reduce((a, p) => a + p.userUs, 0);
  const sysUs = ps.reduce((a, p) => a + p.sysUs, 0);
  return { userUs, sysUs, wallMs, coreFraction: wallMs > 0 ? (userUs + sysUs) / 1000 / wallMs : 0 };
}

/** The threshold DESIGN.md sets: either side at >= 90 % of one core. */
export const CPU_BOUND_FRACTION = 0.9;
