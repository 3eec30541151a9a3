// How two result files line up for a comparison (bench compare, bench run --baseline, the
// trend report): which cells are the same measurement (point, transport, workload with its
// parameters), and whether the two runs may be compared at all (same scenario, equivalent
// measured links). Pure: no I/O.
import { InputError } from '../core/errors.js';
import { stableJson } from '../core/stable-json.js';
import { binomialInterval } from '../core/stats.js';
import type { Calibration, LabRecord } from '../core/types.js';
import type { CellResult, ResultFile } from './types.js';
import type { Workload, WorkloadKind } from '../workloads/index.js';

/** Calibrated RTT p50 may differ by max(this, RTT_TOLERANCE_FRAC x baseline) before we refuse. */
const RTT_TOLERANCE_MS = 1;
const RTT_TOLERANCE_FRAC = 0.1;
/** Confidence of the per-run loss intervals; runs differ only when the intervals do not overlap. */
const LOSS_NOISE_LEVEL = 0.99;

export interface GroupRef {
  /** Readable "point/transport/workload", e.g. "loss=1%/quic/echo-64B-c1". */
  key: string;
  point: { label: string; params: Record<string, string> };
  transport: string;
  workload: string;
  kind: WorkloadKind;
}

export interface RunRef {
  label: string;
  toolVersion: string;
  gitSha: string | null;
  scenario: string;
  scenarioSha256: string;
  backend: string;
  status: string;
  startedAt: string;
  hostname: string;
}

// ------------------------------------------------------------------ identity of cells

/** Leaf paths where two values differ (for telling the user *what* differs), at most `max`. */
export function diffPaths(a: unknown, b: unknown, max = 5, path = ''): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, p: string): void => {
    if (out.length >= max) return;
    const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
    if (isObj(x) && isObj(y) && Array.isArray(x) === Array.isArray(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const k of keys) walk(x[k], y[k], Array.isArray(x) ? `${p}[${k}]` : p ? `${p}.${k}` : k);
    } else if (stableJson(x) !== stableJson(y)) {
      out.push(p || '(root)');
    }
  };
  walk(a, b, path);
  return out;
}

/**
 * A point is the same point when its swept values AND its configured link are the same.
 * Under --force the configured link is left out, so a deliberately changed link (say, a
 * halved rate) is compared point for point, which is what forcing is for.
 */
export function pointIdentity(r: ResultFile, index: number, withLink: boolean): { key: string; label: string; params: Record<string, string> } {
  const p = r.scenario.points.find((x) => x.index === index);
  const link = p?.link ?? r.labs.find((l) => l.point === index)?.configured ?? null;
  if (!p && !link) return { key: `#${index}`, label: `#${index}`, params: {} };
  return { key: stableJson({ params: p?.params ?? {}, link: withLink ? link : null }), label: p?.label ?? `#${index}`, params: p?.params ?? {} };
}

/** A workload is the same workload when its id AND its parameters are the same. */
function workloadIdentity(r: ResultFile, id: string): string {
  const w = r.scenario.workloads.find((x) => x.id === id);
  return w ? stableJson(w) : stableJson({ id });
}

export interface Group extends GroupRef {
  /** Full identity (swept values, configured link, transport, workload parameters) for matching. */
  identity: string;
  cells: CellResult[];
}

export function groupCells(r: ResultFile, withLink: boolean): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const c of r.cells) {
    const pt = pointIdentity(r, c.point, withLink);
    const identity = `${pt.key}|${c.transport}|${workloadIdentity(r, c.workload)}`;
    let g = groups.get(identity);
    if (!g) {
      const key = `${pt.label}/${c.transport}/${c.workload}`;
      g = { identity, key, point: { label: pt.label, params: pt.params }, transport: c.transport, workload: c.workload, kind: c.kind, cells: [] };
      groups.set(identity, g);
    }
    g.cells.push(c);
  }
  return groups;
}

export const ref = (g: Group): GroupRef => ({ key: g.key, point: g.point, transport: g.transport, workload: g.workload, kind: g.kind });

// ------------------------------------------------------------------ comparability

const fmtMs = (v: number): string => `${+v.toFixed(3)} ms`;

function lossDiffers(aLost: number, aN: number, bLost: number, bN: number): boolean {
  if (aN <= 0 || bN <= 0) return false;
  const a = binomialInterval(aLost, aN, LOSS_NOISE_LEVEL);
  const b = binomialInterval(bLost, bN, LOSS_NOISE_LEVEL);
  return a.hi < b.lo || b.hi < a.lo;
}

function calibrationReasons(where: string, a: Calibration, b: Calibration): string[] {
  const out: string[] = [];
  const ra = a.rttMs.p50;
  const rb = b.rttMs.p50;
  const tol = Math.max(RTT_TOLERANCE_MS, RTT_TOLERANCE_FRAC * ra);
  if (Math.abs(rb - ra) > tol) {
    out.push(`${where}: measured.rttMs.p50 differs: baseline ${fmtMs(ra)}, candidate ${fmtMs(rb)} (allowed +-${fmtMs(tol)}, max(1 ms, 10 %))`);
  }
  // The downlink sees only the probes that reached the server.
  const dirs = [
    ['uplinkLossPct', a.uplinkLost, a.probes, b.uplinkLost, b.probes],
    ['downlinkLossPct', a.downlinkLost, a.probes - a.uplinkLost, b.downlinkLost, b.probes - b.uplinkLost],
  ] as const;
  for (const [field, al, an, bl, bn] of dirs) {
    if (lossDiffers(al, an, bl, bn)) {
      out.push(
        `${where}: measured.${field} differs beyond its noise: baseline ${+a[field].toFixed(3)} % (${al}/${an}), ` +
          `candidate ${+b[field].toFixed(3)} % (${bl}/${bn}); their ${LOSS_NOISE_LEVEL * 100} % binomial intervals do not overlap`,
      );
    }
  }
  return out;
}

/** Reasons the two runs must not be compared without --force, plus softer notes. */
export function comparability(base: ResultFile, cand: ResultFile): { reasons: string[]; notes: string[] } {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (base.scenarioSha256 !== cand.scenarioSha256) {
    const { sourceFile: _a, overrides: oa, ...sa } = base.scenario;
    const { sourceFile: _b, overrides: ob, ...sb } = cand.scenario;
    const d = diffPaths(sa, sb);
    // Say where a difference came from when a run overrode its scenario on the command line.
    const set = (o: string[] | undefined): string => (o?.length ? `--set ${o.join(' --set ')}` : 'no overrides');
    reasons.push(
      `scenarioSha256 differs: baseline ${base.scenarioSha256.slice(0, 12)} (${base.scenario.name}), ` +
        `candidate ${cand.scenarioSha256.slice(0, 12)} (${cand.scenario.name})` +
        (d.length ? `; scenario differs in ${d.join(', ')}` : '') +
        (oa?.length || ob?.length ? `; baseline ran with ${set(oa)}, candidate with ${set(ob)}` : ''),
    );
  }
  const real = (r: ResultFile): boolean => r.backend === 'real-path';
  if (real(base) !== real(cand)) {
    // An emulated link and a real path differ in everything the link does: a delta would measure that, not the change under test.
    const what = (r: ResultFile): string => (real(r) ? `a real path between ${r.hosts ? `${r.hosts.client.destination} and ${r.hosts.server.destination}` : 'two hosts'}` : `an emulated link (${r.backend} backend)`);
    reasons.push(`baseline ran on ${what(base)}, candidate on ${what(cand)}: an emulated link and a real path are not the same link`);
  } else if (base.backend !== cand.backend) notes.push(`backends differ: baseline ${base.backend}, candidate ${cand.backend}`);
  const candLabs = new Map<string, LabRecord>();
  for (const l of cand.labs) candLabs.set(pointIdentity(cand, l.point, false).key, l);
  for (const bl of base.labs) {
    const pt = pointIdentity(base, bl.point, false);
    const cl = candLabs.get(pt.key);
    if (!cl) continue;
    const where = `point "${pt.label}"`;
    if (bl.measured && cl.measured) reasons.push(...calibrationReasons(where, bl.measured, cl.measured));
    else if (bl.measured || cl.measured) {
      notes.push(`${where}: measured link not checked, ${bl.measured ? 'candidate' : 'baseline'} has no calibration`);
    }
  }
  for (const [r, side] of [[base, 'baseline'], [cand, 'candidate']] as const) {
    if (r.status !== 'complete') notes.push(`${side} run status is "${r.status}": some cells may be missing`);
  }
  return { reasons, notes };
}

// ------------------------------------------------------------------ refs

export function runRef(r: ResultFile): RunRef {
  const { label, scenarioSha256, backend, status, startedAt } = r;
  const tool = { toolVersion: r.tool?.version ?? '?', gitSha: r.tool?.gitSha ?? null };
  return { label, ...tool, scenario: r.scenario.name, scenarioSha256, backend, status, startedAt, hostname: r.host?.hostname ?? '?' };
}


/** Throws InputError naming every reason when the runs may not be compared and `force` is off. */
export function refuseUnlessComparable(reasons: readonly string[], force: boolean): void {
  if (reasons.length > 0 && !force) {
    throw new InputError(
      `refusing to compare: the runs are not comparable:\n  - ${reasons.join('\n  - ')}`,
      'compare runs of the same scenario on equivalent links, or pass --force to compare anyway',
    );
  }
}

/**
 * When the same point label, transport and workload id exist on both sides unmatched, say
 * what differs. Only workload parameters can: a differing configured link changes the
 * scenario hash (refused), and under --force links are left out of the match.
 */
export function explainUnmatched(baseWorkloads: readonly Workload[], candWorkloads: readonly Workload[], ob: GroupRef[], oc: GroupRef[], notes: Set<string>): void {
  for (const b of ob) {
    const c = oc.find((x) => x.transport === b.transport && x.workload === b.workload && x.point.label === b.point.label);
    if (!c) continue;
    const wd = diffPaths(
      baseWorkloads.find((w) => w.id === b.workload),
      candWorkloads.find((w) => w.id === c.workload),
    );
    if (wd.length) notes.add(`workload "${b.workload}" has different parameters (${wd.join(', ')}): its cells are not matched`);
  }
}
