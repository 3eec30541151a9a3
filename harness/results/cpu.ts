// CPU time of any process (agents, tunnel endpoints, external subjects) read from /proc, so
// every endpoint is measured the same way, whoever wrote it. The share of a core comes from
// the scheduler's own accounting (/proc/<pid>/task/*/schedstat, nanoseconds, every thread),
// not from /proc/<pid>/stat's 10 ms ticks, which made a 5 ms cell read "303 % of a core".
// The same file says how long the process's threads waited for a CPU: the run-queue delay
// that tells a contended host from a busy endpoint (harness/results/host-load.ts).
import type { CpuUsage } from '../core/types.js';
import { readCpu, type CpuMark } from '../core/cpu-reading.js';

export type { CpuMark } from '../core/cpu-reading.js';

/** A reading of one process's CPU time, taken on this machine. */
export const cpuMark = readCpu;

export function cpuSince(m: CpuMark | null): CpuUsage | null {
  return m ? cpuBetween(m, readCpu(m.pid)) : null;
}

/** Usage between two readings of one process taken by the same reader (this machine, or a remote agent). */
export function cpuBetween(m: CpuMark | null, now: CpuMark | null): CpuUsage | null {
  if (!m || !now) return null;
  const wallMs = now.at - m.at;
  const userUs = now.userUs - m.userUs;
  const sysUs = now.sysUs - m.sysUs;
  const usage: CpuUsage = { userUs, sysUs, wallMs, coreFraction: wallMs > 0 ? (userUs + sysUs) / 1000 / wallMs : 0 };
  if (m.sched && now.sched && wallMs > 0) {
    // A thread that ended inside the window takes its time with it: never below zero.
    usage.coreFraction = Math.max(0, now.sched.runNs - m.sched.runNs) / 1e6 / wallMs;
    // Waiting is summed over threads (a Node process has ten or more), so over the wall time
    // it read up to 7.3 "cells" of waiting: divide by the time the threads were ready to run
    // instead (on a CPU or waiting for one), at least 5 % of the window, so that an endpoint
    // that barely ran cannot read as mostly waiting.
    const runNs = Math.max(0, now.sched.runNs - m.sched.runNs);
    const waitNs = Math.max(0, now.sched.waitNs - m.sched.waitNs);
    usage.runQueueFraction = waitNs / Math.max(runNs + waitNs, 0.05 * wallMs * 1e6);
  }
  return usage;
}

/** Add several processes' usage (an endpoint made of more than one process), keeping the busiest one's share. */
export function sumCpu(parts: (CpuUsage | null)[]): CpuUsage | null {
  const ps = parts.filter((p): p is CpuUsage => p !== null);
  if (!ps.length) return null;
  if (ps.length === 1) return ps[0];
  const wallMs = Math.max(...ps.map((p) => p.wallMs));
  const userUs = ps.reduce((a, p) => a + p.userUs, 0);
  const sysUs = ps.reduce((a, p) => a + p.sysUs, 0);
  const busiestFraction = Math.max(...ps.map(busiest));
  const coreFraction = ps.every((p) => p.runQueueFraction !== undefined) ? ps.reduce((a, p) => a + p.coreFraction, 0) : wallMs > 0 ? (userUs + sysUs) / 1000 / wallMs : 0;
  const waits = ps.map((p) => p.runQueueFraction).filter((x): x is number => x !== undefined);
  return { userUs, sysUs, wallMs, coreFraction, busiestFraction, ...(waits.length ? { runQueueFraction: Math.max(...waits) } : {}) };
}

/** Share of a core of the endpoint's busiest process. */
export function busiest(u: CpuUsage): number {
  return u.busiestFraction ?? u.coreFraction;
}

/** The threshold DESIGN.md sets: either side at >= 90 % of one core. */
const CPU_BOUND_FRACTION = 0.9;

/**
 * Below this share of a core the CPU cost per byte is dominated by fixed costs (timers,
 * polling), so projecting it to a whole core says nothing; above it, it does.
 */
const CPU_PROJECTION_MIN_FRACTION = 0.5;

export interface CpuBoundVerdict {
  side: 'client' | 'server';
  message: string;
}

/** The rule in words, for reports and compare. */
export const CPU_BOUND_RULE =
  'one process of an endpoint used ≥ 90% of a core, or, in a bulk transfer, ≥ 50% of a core at a CPU cost per byte with which even a whole core could not fill the link';

const mbit = (bps: number): string => `${(bps / 1e6).toFixed(1)} Mbit/s`;

/**
 * Is this cell's figure the endpoint's CPU rather than the link? Yes when either side used
 * >= 90 % of a core. For a bulk transfer also when the busier side used >= 50 % of a core
 * and, at that CPU cost per byte, even a whole core would carry less than the link's rate
 * in the direction of transfer (goodput / core fraction < rate): on a small or shared
 * machine an endpoint can be the limit without ever showing 90 %.
 */
export function cpuBoundVerdict(
  client: CpuUsage | null,
  server: CpuUsage | null,
  implementation: string,
  bulk: { goodputBitsPerSec: number; linkRateBitsPerSec: number | null } | null,
): CpuBoundVerdict | null {
  const sides = (['client', 'server'] as const).filter((k) => ({ client, server })[k] !== null);
  if (!sides.length) return null;
  const usage = (k: 'client' | 'server'): CpuUsage => (k === 'client' ? client : server)!;
  const frac = (k: 'client' | 'server'): number => busiest(usage(k));
  const side = sides.reduce((a, b) => (frac(b) > frac(a) ? b : a));
  const f = frac(side);
  const pct = Math.round(100 * f);
  // One process or several (bench's agent and a tunnel endpoint): say which was measured.
  const who = usage(side).busiestFraction === undefined ? `the ${side} endpoint` : `the busiest ${side}-side process`;
  if (f >= CPU_BOUND_FRACTION) {
    return { side, message: `${who} used ${pct} % of a core: this figure reflects ${implementation}'s CPU cost, not the link` };
  }
  if (!bulk || bulk.linkRateBitsPerSec === null || !(bulk.goodputBitsPerSec > 0) || f < CPU_PROJECTION_MIN_FRACTION) return null;
  const ceiling = bulk.goodputBitsPerSec / f;
  if (ceiling >= bulk.linkRateBitsPerSec) return null;
  return {
    side,
    message:
      `${who} used ${pct} % of a core to move ${mbit(bulk.goodputBitsPerSec)}: at that cost a whole core carries ` +
      `~${mbit(ceiling)}, less than the link's ${mbit(bulk.linkRateBitsPerSec)}, so this figure reflects ${implementation}'s CPU cost, not the link`,
  };
}
