// One cell: one repetition of one transport x workload at one link point, run on a subject
// between the point's two ends, judged and turned into metrics. The engine (engine.ts)
// decides which cells run and in what order; this file is what running one means.
import type { LinkPoint } from '../core/types.js';
import { cpuBoundVerdict } from '../results/cpu.js';
import { cellKey, cellMetrics } from '../results/metrics.js';
import type { CellResult } from '../results/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { factsOf, type TransportSpec } from '../subjects/index.js';
import type { Outcome, Subject } from '../subjects/types.js';
import { defOf, type Workload } from '../workloads/index.js';
import { CellCounters } from './counters.js';
import type { PointSite } from './point-site.js';

/** A cell's id: its measurement's key plus the repetition. */
export const cellId = (point: number, transport: string, workload: string, rep: number): string => `${cellKey({ point, transport, workload })}/${rep}`;

/** Deadline of a bookkeeping request to an agent (close, counters), ms: a stalled agent must not stall the run. */
const AGENT_BOOKKEEPING_MS = 5000;

/** The point's site, plus the link's RTT for metrics that depend on it: the configured delays. */
export type PointEnv = PointSite & { rttMs: number };

/** Why the point's link or agents cannot carry another cell, or null. */
export function pointBroken(env: PointEnv): string | null {
  return env.health();
}

/** A cell with nothing measured yet (or never: unsupported, or failed before it ran). */
export function emptyCell(point: number, t: TransportSpec, w: Workload, rep: number, status: CellResult['status'], reason: string | null, implementation: string): CellResult {
  return {
    id: cellId(point, t.name, w.id, rep),
    point,
    transport: t.name,
    implementation,
    workload: w.id,
    kind: w.kind,
    repetition: rep,
    status,
    reason,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    samples: {},
    metrics: {},
    cpu: null,
    counters: null,
    warnings: [],
  };
}

/**
 * One repetition of one transport x workload: counters and CPU marks around the workload,
 * the connections closed outside its window, then judged (ok only when it measured what it
 * claims), its metrics and the warnings that qualify them (CPU-bound, host contended).
 */
export async function runCell(scenario: Pick<ResolvedScenario, 'seed' | 'timeoutMs'>, point: LinkPoint, t: TransportSpec, w: Workload, rep: number, subject: Subject, env: PointEnv): Promise<CellResult> {
  const unsupported = subject.unsupported(w) ?? defOf(w).requires?.(factsOf(t)) ?? null;
  if (unsupported) return emptyCell(point.index, t, w, rep, 'unsupported', unsupported, subject.implementation);
  const cell = emptyCell(point.index, t, w, rep, 'ok', null, subject.implementation);
  const def = defOf(w);
  // Parameters sized from the link (a bulk transfer without an amount); the cell keeps the workload's id.
  const sized = (def.sized?.(w, point.link) ?? w) as Workload;
  // Counters are read before the CPU marks and the clock start, so those round trips are in neither.
  const counters = await CellCounters.before(subject, { server: env.server, client: env.client, separateNamespaces: env.separateNamespaces, scope: env.tcpScope });
  // A remote window's readings are round trips to the agents: taken before the clock starts.
  const cpuWindow = await env.cpuWindow(subject);
  const t0 = performance.now();
  let out: Outcome | null = null;
  try {
    out = await subject.run(sized, { seed: (scenario.seed + rep * 7919 + point.index * 104729) >>> 0, timeoutMs: scenario.timeoutMs });
  } catch (err) {
    cell.status = 'failed';
    cell.reason = (err as Error).message;
  }
  // The cell's clock and CPU window end here, before any bookkeeping round trip.
  cell.durationMs = performance.now() - t0;
  const { client, server, host, hostLoads } = await cpuWindow.end();
  if (out) out = await counters.after(out, w);
  // The cell's connections close now, outside its window (a QUIC close drains for up to 3 PTO).
  await env.client.request({ op: 'close' }, { deadlineMs: AGENT_BOOKKEEPING_MS }).catch(() => undefined);
  if (out && subject.check) out = await subject.check(out);
  if (out) {
    cell.status = out.status;
    cell.reason = out.reason;
    cell.samples = out.samples;
    cell.counters = out.counters ?? null;
    if (out.logs) cell.logs = out.logs;
  }
  judge(cell, def, sized, subject, env, scenario.timeoutMs);
  const m = cellMetrics(w.kind, cell.samples, { rttMs: env.record.measured?.rttMs.p50 ?? null, configuredRttMs: env.rttMs });
  cell.metrics = m.metrics;
  if (Object.keys(m.withheld).length) cell.metricsWithheld = m.withheld;
  const tp = def.throughput;
  const throughput = tp && cell.metrics[tp.metric] !== undefined ? { goodputBitsPerSec: cell.metrics[tp.metric], linkRateBitsPerSec: env.rateKnown ? tp.linkRateBitsPerSec(point.link, sized) : null } : null;
  const verdict = cpuBoundVerdict(client, server, subject.implementation, throughput);
  cell.cpu = { client, server, cpuBound: verdict !== null };
  if (verdict) {
    cell.warnings.push({
      code: 'cpu-bound',
      message: verdict.message,
      remedy: 'compare on a slower link, or against a native implementation of the same protocol (e.g. the quic-go subject)',
      cellId: cell.id,
    });
  }
  if (hostLoads) cell.hostLoads = { client: hostLoads.client?.load ?? null, server: hostLoads.server?.load ?? null };
  const hostViews = host ? [{ view: host, who: '' }] : hostLoads ? (['client', 'server'] as const).map((end) => ({ view: hostLoads[end], who: `${end} host: ` })) : [];
  for (const { view, who } of hostViews) {
    if (!view) continue;
    if (host) cell.host = view.load;
    if (view.why) {
      cell.warnings.push({
        code: 'host-contended',
        message: `${who}${view.why}: this figure reflects a contended host as well as the link`,
        remedy: 'run on an otherwise idle machine, or with fewer processes than CPUs (a lower link rate takes less of the emulator)',
        cellId: cell.id,
      });
    }
  }
  if (cell.status === 'ok') for (const n of def.notes(cell.samples)) cell.warnings.push({ ...n, cellId: cell.id });
  return cell;
}

/**
 * A cell is `ok` only when it measured what its workload claims, within its timeout; a
 * cell that went wrong names the process that spoiled it when one is dead or stopped.
 */
function judge(cell: CellResult, def: ReturnType<typeof defOf>, w: Workload, subject: Subject, env: PointEnv, timeoutMs: number): void {
  if (cell.status === 'ok') {
    const why = def.unmeasured(w, cell.samples);
    if (why) {
      cell.status = 'failed';
      cell.reason = `the workload ended without an error, but ${why}`;
    }
  }
  if (cell.status === 'ok' && cell.durationMs > timeoutMs) {
    // The agent's own timer could not fire: its process (or a peer) was stalled.
    cell.status = 'timeout';
    cell.reason = `ran ${(cell.durationMs / 1000).toFixed(1)} s, beyond its ${(timeoutMs / 1000).toFixed(1)} s timeout; samples kept`;
  }
  if (cell.status !== 'ok') {
    const culprit = pointBroken(env) ?? subject.health?.() ?? null;
    if (culprit && !cell.reason?.includes(culprit)) cell.reason = `${cell.reason ?? cell.status}; ${culprit}`;
  }
}
