// Compare two result files across releases, as Go's benchstat does: per cell (point x
// transport x workload) and per metric, the medians over repetitions, the relative delta
// with a bootstrap CI, and a Mann-Whitney U test. A change counts only when it is
// significant AND beyond the threshold, so run-to-run noise never fails CI.
// Pure: no I/O, no printing; reporters format the returned data (STYLE rule 3).
import { InputError } from '../core/errors.js';
import { METRICS, okCpuBoundCount, okMetricValues, type MetricDef } from './metrics.js';
import { stableJson } from '../core/stable-json.js';
import { binomialInterval, deltaCI, mannWhitneyU, medianCI, minAchievableP } from '../core/stats.js';
import type { Calibration, CellStatus, LabRecord } from '../core/types.js';
import { senderLosses, sumLosses, type SenderLoss } from './counters.js';
import type { CellResult, ResultFile } from './types.js';
import type { Workload, WorkloadKind } from '../workloads/index.js';

/** Calibrated RTT p50 may differ by max(this, RTT_TOLERANCE_FRAC x baseline) before we refuse. */
const RTT_TOLERANCE_MS = 1;
const RTT_TOLERANCE_FRAC = 0.1;
/** Confidence of the per-run loss intervals; runs differ only when the intervals do not overlap. */
const LOSS_NOISE_LEVEL = 0.99;

export interface CompareOptions {
  /** A significant change smaller than this (percent of the baseline median) is not reported as one. @default 5 */
  thresholdPct: number;
  /** Significance level of the Mann-Whitney U test. @default 0.05 */
  alpha: number;
  /** Compare even when scenario hashes or measured links differ (the reasons become notes). */
  force: boolean;
}

/** The defaults of `bench compare`, also what the trend report judges consecutive releases by. */
export const COMPARE_DEFAULTS: Readonly<Pick<CompareOptions, 'thresholdPct' | 'alpha'>> = { thresholdPct: 5, alpha: 0.05 };

/**
 * `~` in the benchstat sense is 'not-significant' or 'too-few'; 'too-few' when no data could
 * reach alpha with these repetition counts (stats.minAchievableP).
 */
export type Verdict = 'regression' | 'improvement' | 'within-threshold' | 'not-significant' | 'too-few';

export interface SideStats {
  /** Repetitions with a finite value of this metric (ok cells only). */
  n: number;
  median: number | null;
  /** Distribution-free CI of the median; confidence < 0.95 when n < 6. */
  ci: { lo: number; hi: number; confidence: number } | null;
}

export interface MetricComparison {
  metric: string;
  label: string;
  unit: MetricDef['unit'];
  better: MetricDef['better'];
  baseline: SideStats;
  candidate: SideStats;
  /** (candidate / baseline - 1) x 100 of the medians; null when undefined (baseline median 0, no data). */
  deltaPct: number | null;
  /** 95 % bootstrap CI of deltaPct; null when it cannot be computed or was not asked for (CompareMetricExtras.deltaCI). */
  deltaCIPct: { lo: number; hi: number } | null;
  /** Two-sided Mann-Whitney U p-value; null without data on both sides. */
  p: number | null;
  verdict: Verdict;
}

export interface GroupRef {
  /** Readable "point/transport/workload", e.g. "loss=1%/quic/echo-64B-c1". */
  key: string;
  point: { label: string; params: Record<string, string> };
  transport: string;
  workload: string;
  kind: WorkloadKind;
}

export interface GroupComparison extends GroupRef {
  implementation: { baseline: string; candidate: string };
  /** Some ok repetition was CPU-bound (CPU_BOUND_RULE in cpu.ts): the figure measures the CPU. */
  cpuBound: { baseline: boolean; candidate: boolean };
  /** Loss of the data at the end that sent it, summed over ok repetitions (context, not judged). */
  losses: { baseline: SenderLoss[]; candidate: SenderLoss[] };
  metrics: MetricComparison[];
}

export interface NotOkGroup extends GroupRef {
  side: 'baseline' | 'candidate' | 'both';
  total: number;
  counts: Partial<Record<CellStatus, number>>;
  reasons: string[];
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

export interface Comparison {
  baseline: RunRef;
  candidate: RunRef;
  options: CompareOptions;
  /** Why the runs would have been refused; non-empty only under --force. */
  overridden: string[];
  /** Things a reader should know that do not stop the comparison. */
  notes: string[];
  groups: GroupComparison[];
  onlyInBaseline: GroupRef[];
  onlyInCandidate: GroupRef[];
  notOk: NotOkGroup[];
  summary: Record<Verdict, number>;
}

// ------------------------------------------------------------------ identity of cells

/** Leaf paths where two values differ (for telling the user *what* differs), at most `max`. */
function diffPaths(a: unknown, b: unknown, max = 5, path = ''): string[] {
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
function pointIdentity(r: ResultFile, index: number, withLink: boolean): { key: string; label: string; params: Record<string, string> } {
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

interface Group extends GroupRef {
  /** Full identity (swept values, configured link, transport, workload parameters) for matching. */
  identity: string;
  cells: CellResult[];
}

function groupCells(r: ResultFile, withLink: boolean): Map<string, Group> {
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

const ref = (g: Group): GroupRef => ({ key: g.key, point: g.point, transport: g.transport, workload: g.workload, kind: g.kind });

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
function comparability(base: ResultFile, cand: ResultFile): { reasons: string[]; notes: string[] } {
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

// ------------------------------------------------------------------ statistics

function sideStats(values: readonly number[]): SideStats {
  if (values.length === 0) return { n: 0, median: null, ci: null };
  const ci = medianCI(values);
  return { n: values.length, median: ci.estimate, ci: { lo: ci.lo, hi: ci.hi, confidence: ci.confidence } };
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export interface CompareMetricExtras {
  /**
   * Compute deltaCIPct, a 2000-resample bootstrap; callers that never show it (the trend
   * report) pass false and get null. The verdict does not depend on it. @default true
   */
  deltaCI?: boolean;
}

/**
 * One metric, baseline values `a` against candidate values `b` (one per ok repetition): the
 * only place a change between two runs is judged, by compare and by the trend report.
 */
export function compareMetric(
  metric: string,
  a: readonly number[],
  b: readonly number[],
  opts: Pick<CompareOptions, 'thresholdPct' | 'alpha'> & CompareMetricExtras,
): MetricComparison {
  const def = METRICS[metric];
  const base = sideStats(a);
  const cand = sideStats(b);
  let deltaPct: number | null = null;
  let deltaCIPct: MetricComparison['deltaCIPct'] = null;
  if (base.median !== null && cand.median !== null) {
    if (base.median === 0) deltaPct = cand.median === 0 ? 0 : null;
    else {
      deltaPct = (cand.median / base.median - 1) * 100;
      if (opts.deltaCI !== false) {
        const ci = deltaCI(a, b);
        const lo = finiteOrNull(ci.lo * 100);
        const hi = finiteOrNull(ci.hi * 100);
        if (lo !== null && hi !== null) deltaCIPct = { lo, hi };
      }
    }
  }
  const p = a.length && b.length ? mannWhitneyU(a, b).p : null;
  let verdict: Verdict;
  if (minAchievableP(a.length, b.length) > opts.alpha) verdict = 'too-few';
  else if (p === null || p > opts.alpha) verdict = 'not-significant';
  else {
    // Baseline median 0 and candidate not: an infinite relative change, beyond any threshold.
    const d = deltaPct ?? (cand.median! > 0 ? Infinity : -Infinity);
    const worse = def.better === 'lower' ? d > 0 : d < 0;
    if (Math.abs(d) <= opts.thresholdPct) verdict = 'within-threshold';
    else verdict = worse ? 'regression' : 'improvement';
  }
  return { metric, label: def.label, unit: def.unit, better: def.better, baseline: base, candidate: cand, deltaPct, deltaCIPct, p, verdict };
}

function groupLosses(r: ResultFile, cells: CellResult[]): SenderLoss[] {
  return sumLosses(cells.filter((c) => c.status === 'ok').flatMap((c) => senderLosses(r, c))).filter((l) => l.sent > 0);
}

function implementations(cells: CellResult[]): string {
  return [...new Set(cells.map((c) => c.implementation).filter(Boolean))].join(' / ');
}

function notOkOf(g: Group, side: NotOkGroup['side']): NotOkGroup | null {
  const bad = g.cells.filter((c) => c.status !== 'ok');
  if (bad.length === 0) return null;
  const counts: NotOkGroup['counts'] = {};
  for (const c of bad) counts[c.status] = (counts[c.status] ?? 0) + 1;
  const reasons = [...new Set(bad.map((c) => c.reason ?? '(no reason recorded)'))];
  return { ...ref(g), side, total: g.cells.length, counts, reasons };
}

// ------------------------------------------------------------------ the engine

function runRef(r: ResultFile): RunRef {
  const { label, scenarioSha256, backend, status, startedAt } = r;
  const tool = { toolVersion: r.tool?.version ?? '?', gitSha: r.tool?.gitSha ?? null };
  return { label, ...tool, scenario: r.scenario.name, scenarioSha256, backend, status, startedAt, hostname: r.host?.hostname ?? '?' };
}

/** Metric ids present in any cell of either group, in the registry's order. */
function metricsOf(cells: CellResult[], notes: Set<string>): string[] {
  const seen = new Set<string>();
  for (const c of cells) for (const m of Object.keys(c.metrics ?? {})) seen.add(m);
  for (const m of seen) if (!(m in METRICS)) notes.add(`metric "${m}" is not in this bench's registry; not compared`);
  return Object.keys(METRICS).filter((m) => seen.has(m));
}

/**
 * Compare `cand` against `base`. Throws InputError when the runs are not comparable
 * (scenario hash or measured link differs) unless `opts.force`.
 */
export function compareResults(base: ResultFile, cand: ResultFile, opts: CompareOptions): Comparison {
  const { reasons, notes } = comparability(base, cand);
  if (reasons.length > 0 && !opts.force) {
    throw new InputError(
      `refusing to compare: the runs are not comparable:\n  - ${reasons.join('\n  - ')}`,
      'compare runs of the same scenario on equivalent links, or pass --force to compare anyway',
    );
  }
  const noteSet = new Set(notes);
  const bg = groupCells(base, !opts.force);
  const cg = groupCells(cand, !opts.force);
  if (opts.force) {
    for (const p of base.scenario.points) {
      const q = cand.scenario.points.find((x) => x.label === p.label);
      const ld = q ? diffPaths(p.link, q.link) : [];
      if (ld.length) noteSet.add(`--force: point "${p.label}" is compared although its configured link differs (${ld.join(', ')})`);
    }
  }
  const groups: GroupComparison[] = [];
  const notOk: NotOkGroup[] = [];
  const summary: Record<Verdict, number> = { regression: 0, improvement: 0, 'within-threshold': 0, 'not-significant': 0, 'too-few': 0 };
  for (const [key, b] of bg) {
    const c = cg.get(key);
    const nb = notOkOf(b, 'baseline');
    const nc = c ? notOkOf(c, 'candidate') : null;
    // Identical on both sides (typically "unsupported"): one line, not two.
    if (nb && nc && stableJson([nb.counts, nb.reasons, nb.total]) === stableJson([nc.counts, nc.reasons, nc.total])) {
      notOk.push({ ...nb, side: 'both' });
    } else notOk.push(...[nb, nc].filter((x): x is NotOkGroup => x !== null));
    if (!c) continue;
    const metrics = metricsOf([...b.cells, ...c.cells], noteSet).map((m) =>
      compareMetric(m, okMetricValues(b.cells, m), okMetricValues(c.cells, m), opts),
    );
    for (const m of metrics) summary[m.verdict]++;
    groups.push({
      ...ref(b),
      implementation: { baseline: implementations(b.cells), candidate: implementations(c.cells) },
      cpuBound: { baseline: okCpuBoundCount(b.cells) > 0, candidate: okCpuBoundCount(c.cells) > 0 },
      losses: { baseline: groupLosses(base, b.cells), candidate: groupLosses(cand, c.cells) },
      metrics,
    });
  }
  const onlyInBaseline = [...bg.values()].filter((g) => !cg.has(g.identity)).map(ref);
  const onlyInCandidate = [...cg.values()].filter((g) => !bg.has(g.identity)).map(ref);
  for (const g of cg.values()) {
    const n = bg.has(g.identity) ? null : notOkOf(g, 'candidate');
    if (n) notOk.push(n);
  }
  explainUnmatched(base.scenario.workloads, cand.scenario.workloads, onlyInBaseline, onlyInCandidate, noteSet);
  return {
    baseline: runRef(base),
    candidate: runRef(cand),
    options: opts,
    overridden: opts.force ? reasons : [],
    notes: [...noteSet],
    groups,
    onlyInBaseline,
    onlyInCandidate,
    notOk,
    summary,
  };
}

/**
 * When the same point label, transport and workload id exist on both sides unmatched, say
 * what differs. Only workload parameters can: a differing configured link changes the
 * scenario hash (refused), and under --force links are left out of the match.
 */
function explainUnmatched(baseWorkloads: readonly Workload[], candWorkloads: readonly Workload[], ob: GroupRef[], oc: GroupRef[], notes: Set<string>): void {
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
