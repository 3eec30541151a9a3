// How loaded the whole host was while a cell ran, measured over the cell's window: every
// CPU's busy share (the emulator, tunnel processes, softirq and anything else included), the
// hypervisor's steal, the kernel's CPU pressure (a task was waiting for a CPU), and, from the
// endpoints' own accounting (harness/results/cpu.ts), how long they waited for a CPU. A cell
// measured on a saturated or contended host is flagged with its own warning, apart from
// "CPU-bound": the endpoint did not run out of CPU, the host gave it none.
import type { CpuUsage } from '../core/types.js';
import { readHost, type HostMark } from '../core/cpu-reading.js';

/** A cell's view of the host. Fractions are 0..1 of the cell's wall time (busy: of all CPUs). */
export interface HostLoad {
  cpus: number;
  /** Share of all CPUs' time not idle: user, nice, system, irq, softirq, steal. */
  busyFraction: number;
  softirqFraction: number;
  /** Time the hypervisor ran someone else while a CPU of ours wanted to run. */
  stealFraction: number;
  /** /proc/pressure/cpu "some": share of time at least one task waited for a CPU (null: no PSI). */
  cpuPressureSome: number | null;
  /** The host could not give the endpoints the CPU they asked for (the warning says why). */
  contended: boolean;
}

export type { HostMark } from '../core/cpu-reading.js';

/** A reading of this machine's CPU time and pressure. */
export const hostMark = readHost;

/** Thresholds: a host this busy, or endpoints waiting this much, is not measuring the link alone. */
export const CONTENTION = {
  /** Every CPU at least this busy on average. */
  busyFraction: 0.9,
  /** An endpoint process waited for a CPU this share of the time it was ready to run. */
  runQueueFraction: 0.1,
  /** The hypervisor stole this share of CPU time. */
  stealFraction: 0.05,
} as const;

export const CONTENTION_RULE = `the host's CPUs were ≥ ${CONTENTION.busyFraction * 100}% busy, an endpoint waited for a CPU ≥ ${CONTENTION.runQueueFraction * 100}% of the time it was ready to run, or the hypervisor stole ≥ ${CONTENTION.stealFraction * 100}%`;

const pct = (x: number): string => `${Math.round(100 * x)} %`;

/**
 * The host over a cell, and the contention verdict with the endpoints' run-queue delays.
 * Returns the load and, when contended, the sentence that says why.
 */
export function hostSince(m: HostMark | null, endpoints: { client: CpuUsage | null; server: CpuUsage | null }): { load: HostLoad; why: string | null } | null {
  return m ? hostBetween(m, readHost(), endpoints) : null;
}

/** The same between two readings of one host taken by the same reader (this machine, or a remote agent on its host). */
export function hostBetween(m: HostMark | null, now: HostMark | null, endpoints: { client: CpuUsage | null; server: CpuUsage | null }): { load: HostLoad; why: string | null } | null {
  if (!m || !now) return null;
  const d = now.cpu.map((v, i) => v - m.cpu[i]);
  const [user, nice, system, , , irq, softirq, steal] = d;
  const total = d.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  const wallUs = (now.at - m.at) * 1000;
  const load: HostLoad = {
    cpus: now.cpus,
    busyFraction: (user + nice + system + irq + softirq + steal) / total,
    softirqFraction: softirq / total,
    stealFraction: steal / total,
    cpuPressureSome: m.pressureSomeUs !== null && now.pressureSomeUs !== null && wallUs > 0 ? Math.min(1, (now.pressureSomeUs - m.pressureSomeUs) / wallUs) : null,
    contended: false,
  };
  const why = contention(load, endpoints);
  load.contended = why !== null;
  return { load, why };
}

/** Why the host was contended during a cell (the thresholds of CONTENTION), or null. */
export function contention(load: Omit<HostLoad, 'contended'>, endpoints: { client: CpuUsage | null; server: CpuUsage | null }): string | null {
  const reasons: string[] = [];
  if (load.busyFraction >= CONTENTION.busyFraction) reasons.push(`the host's ${load.cpus} CPUs were ${pct(load.busyFraction)} busy (softirq ${pct(load.softirqFraction)})`);
  for (const side of ['client', 'server'] as const) {
    const w = endpoints[side]?.runQueueFraction;
    if (w !== undefined && w >= CONTENTION.runQueueFraction) reasons.push(`the ${side} endpoint waited for a CPU ${pct(w)} of the time it was ready to run`);
  }
  if (load.stealFraction >= CONTENTION.stealFraction) reasons.push(`the hypervisor stole ${pct(load.stealFraction)} of CPU time`);
  if (!reasons.length) return null;
  return `${reasons.join('; ')}${load.cpuPressureSome !== null ? ` (CPU pressure: a task waited ${pct(load.cpuPressureSome)} of the time)` : ''}`;
}
