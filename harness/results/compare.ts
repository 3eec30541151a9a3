// Compare a candidate run against a baseline run: the CI gate (bench compare, bench run
// --baseline, the trend report). Rows are the headline metrics of every measurement the
// baseline has (point x transport x workload); each row is decided by decide() (VERDICTS.md)
// as faster, slower, same within the threshold, or undecided, at alpha / m, where m is the
// number of rows: the union bound over rows keeps the chance that an unchanged candidate
// fails the gate at <= alpha (Bonferroni). A measurement the baseline had and the candidate
// lost (missing, no ok repetition, or failures where the baseline had none) fails the gate.
// Pure: no I/O, no printing; reporters format the returned data (STYLE rule 3).
import { createHash } from 'node:crypto';
import { stableJson } from '../core/stable-json.js';
import { medianCI } from '../core/stats.js';
import type { CellStatus } from '../core/types.js';
import { senderLosses, sumLosses, type SenderLoss } from './counters.js';
import {
  comparability, diffPaths, explainUnmatched, groupCells, pointIdentity, ref, refuseUnlessComparable, runRef,
  type Group, type GroupRef, type RunRef,
} from './compare-match.js';
import { decide, type Decision } from './decide.js';
import { METRICS, okCpuBoundCount, okMetricValues, type MetricDef } from './metrics.js';
import { headlineOf, verdictMetric } from './run-verdicts.js';
import type { CellResult, ResultFile } from './types.js';
import type { GateRecord } from './verdict-types.js';

export type { GroupRef, RunRef } from './compare-match.js';

export interface CompareOptions {
  /** A decided change counts as a regression or improvement only beyond this (percent); also the margin of "same". @default 5 */
  thresholdPct: number;
  /** Family-wise false-verdict rate of the gate: each of its m rows is judged at alpha / m. @default 0.05 */
  alpha: number;
  /** Compare even when scenario hashes or measured links differ (the reasons become notes). */
  force: boolean;
}

/** The defaults of `bench compare`, also what the trend report judges consecutive releases by. */
export const COMPARE_DEFAULTS: Readonly<Pick<CompareOptions, 'thresholdPct' | 'alpha'>> = { thresholdPct: 5, alpha: 0.05 };

/**
 * A row's answer: decided slower (worse in the metric's direction) beyond the threshold is
 * a 'regression', decided better beyond it an 'improvement', decided either way within it
 * 'within-threshold', the interval inside +-threshold 'same', else 'undecided'.
 */
export type Verdict = 'regression' | 'improvement' | 'within-threshold' | 'same' | 'undecided';

export const VERDICTS: readonly Verdict[] = ['regression', 'improvement', 'within-threshold', 'same', 'undecided'];

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
  /** decide(baseline, candidate): delta (ratio of geometric means), its interval, p, n, "~N more". */
  decision: Decision;
  verdict: Verdict;
  /** The decision is the candidate run's own, taken at its looks against this baseline (bench run --baseline). */
  recorded: boolean;
  /** The headline metric this row stands in for, when a fallback was used (a transfer too short for a steady state). */
  standsInFor?: string;
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

/** A measurement the baseline had with ok cells that the candidate lost: it fails the gate. */
export interface LostGroup extends GroupRef {
  why: string;
}

/** How the gate ends: 'regression' (exit 1), 'undecided' (exit 5 unless accepted), 'pass' (exit 0). */
export type GateOutcome = 'pass' | 'regression' | 'undecided';

export interface Comparison {
  baseline: RunRef;
  candidate: RunRef;
  options: CompareOptions;
  /** The gate's rows m (headline metrics of the baseline's measurements with ok cells) and each row's alpha. */
  family: { rows: number; alphaPerRow: number };
  /** Why the runs would have been refused; non-empty only under --force. */
  overridden: string[];
  /** Things a reader should know that do not stop the comparison. */
  notes: string[];
  groups: GroupComparison[];
  onlyInBaseline: GroupRef[];
  onlyInCandidate: GroupRef[];
  notOk: NotOkGroup[];
  lost: LostGroup[];
  summary: Record<Verdict, number>;
  outcome: GateOutcome;
}

// ------------------------------------------------------------------ rows

/** One row of the gate: a baseline measurement's headline metric and the values of both sides. */
export interface GateRow {
  /** Stable key of the row: hash of the measurement's identity and the metric. */
  key: string;
  group: Group;
  /** The baseline point's identity key: the candidate point with the same key (pointKeyOf) measures this row. */
  pointKey: string;
  /** The candidate's measurement, when it has one. */
  match: Group | null;
  metric: string;
  standsInFor?: string;
  a: number[];
  b: number[];
}

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Identity of a baseline file, for a candidate run to say which baseline it was judged against. */
export function resultIdentity(r: ResultFile): string {
  const cells = r.cells.map((c) => [c.id, c.status, c.metrics]);
  return createHash('sha256').update(stableJson({ label: r.label, startedAt: r.startedAt, scenarioSha256: r.scenarioSha256, cells })).digest('hex');
}

const hasOk = (g: Group): boolean => g.cells.some((c) => c.status === 'ok');

/**
 * The rows of a gate: every headline metric (or its fallback) of every baseline measurement
 * with an ok cell that carries it, matched with the candidate's measurement. Their count is the family m,
 * fixed by the baseline alone, so a candidate still being measured (bench run --baseline)
 * has the same m as the finished one.
 */
export function gateRows(base: ResultFile, cand: ResultFile, force: boolean): GateRow[] {
  const bg = groupCells(base, !force);
  const cg = groupCells(cand, !force);
  const rows: GateRow[] = [];
  for (const [identity, g] of bg) {
    if (!hasOk(g)) continue;
    const match = cg.get(identity) ?? null;
    for (const h of headlineOf(g.kind)) {
      const metric = verdictMetric(h, g.cells);
      const a = okMetricValues(g.cells, metric);
      // A metric the baseline's samples never carried (a p99 of 30 exchanges) is no row.
      if (a.length === 0) continue;
      rows.push({
        key: shortHash(`${identity}|${h}`),
        group: g,
        pointKey: pointIdentity(base, g.cells[0].point, !force).key,
        match,
        metric,
        ...(metric !== h ? { standsInFor: h } : {}),
        a,
        b: match ? okMetricValues(match.cells, metric) : [],
      });
    }
  }
  return rows;
}

/** The point key (swept values and, unless forced, the configured link) of a candidate point, as rows' pointKey. */
export function pointKeyOf(cand: ResultFile, point: number, force: boolean): string {
  return pointIdentity(cand, point, !force).key;
}

// ------------------------------------------------------------------ statistics

function sideStats(values: readonly number[]): SideStats {
  if (values.length === 0) return { n: 0, median: null, ci: null };
  const ci = medianCI(values);
  return { n: values.length, median: ci.estimate, ci: { lo: ci.lo, hi: ci.hi, confidence: ci.confidence } };
}

/** What a decision means for the gate, given the threshold. */
export function verdictOf(d: Decision, better: MetricDef['better'], thresholdPct: number): Verdict {
  if (d.verdict === 'same' || d.verdict === 'undecided') return d.verdict;
  // A baseline of 0 and a candidate that is not: an infinite relative change, beyond any threshold.
  const delta = d.deltaPct ?? Infinity;
  if (Math.abs(delta) <= thresholdPct) return 'within-threshold';
  return d.verdict === 'slower' ? 'regression' : 'improvement';
}

/**
 * One metric, baseline values `a` against candidate values `b` (one per ok repetition),
 * decided in one look at `alphaPerRow`, or taken from the candidate run's own decision.
 */
export function compareMetric(
  metric: string,
  a: readonly number[],
  b: readonly number[],
  opts: { thresholdPct: number; alphaPerRow: number; recorded?: Decision },
): MetricComparison {
  const def = METRICS[metric];
  // The baseline is a finished file: "~N more" counts candidate repetitions alone.
  const decision = opts.recorded ?? decide(a, b, { better: def.better, alpha: opts.alphaPerRow, marginPct: opts.thresholdPct, baselineFixed: true });
  return {
    metric,
    label: def.label,
    unit: def.unit,
    better: def.better,
    baseline: sideStats(a),
    candidate: sideStats(b),
    decision,
    verdict: verdictOf(decision, def.better, opts.thresholdPct),
    recorded: opts.recorded !== undefined,
  };
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

const broken = (g: Group): number => g.cells.filter((c) => c.status === 'failed' || c.status === 'timeout').length;

/** Why the candidate lost a measurement the baseline had with ok cells, or null. */
function lostWhy(b: Group, c: Group | null): string | null {
  if (!c) return 'missing in the candidate';
  if (!hasOk(c)) {
    const n = notOkOf(c, 'candidate');
    const counts = n ? Object.entries(n.counts).map(([s, k]) => `${k} ${s}`).join(', ') : 'no cell';
    return `no ok repetition in the candidate (${counts}), the baseline had ${b.cells.filter((x) => x.status === 'ok').length}`;
  }
  const bad = broken(c);
  if (bad > 0 && broken(b) === 0) return `${bad} of ${c.cells.length} repetitions failed or timed out in the candidate, none in the baseline`;
  return null;
}

/**
 * The candidate's own decisions against this baseline (bench run --baseline), when it
 * recorded them against this very file with these options; else null and a note why not.
 */
function recordedGate(base: ResultFile, cand: ResultFile, opts: CompareOptions, notes: Set<string>): GateRecord | null {
  const gate = cand.verdicts?.gate;
  if (!gate) return null;
  const same = gate.baseline.identity === resultIdentity(base);
  const optsSame = gate.alpha === opts.alpha && gate.thresholdPct === opts.thresholdPct && gate.force === opts.force;
  if (same && optsSame) return gate;
  notes.add(
    `the candidate added repetitions adaptively against ${same ? 'this baseline with other options' : `another baseline ("${gate.baseline.label}", ${gate.baseline.startedAt})`}` +
      `: its rows are decided here in one look over all its repetitions, which is not the test its stopping rule planned` +
      (same ? ` (use --alpha ${gate.alpha} --threshold ${gate.thresholdPct}${gate.force ? ' --force' : ''} for its own decisions)` : ''),
  );
  return null;
}

/**
 * Compare `cand` against `base`. Throws InputError when the runs are not comparable
 * (scenario hash or measured link differs) unless `opts.force`.
 */
export function compareResults(base: ResultFile, cand: ResultFile, opts: CompareOptions): Comparison {
  const { reasons, notes } = comparability(base, cand);
  refuseUnlessComparable(reasons, opts.force);
  const noteSet = new Set(notes);
  if (opts.force) {
    for (const p of base.scenario.points) {
      const q = cand.scenario.points.find((x) => x.label === p.label);
      const ld = q ? diffPaths(p.link, q.link) : [];
      if (ld.length) noteSet.add(`--force: point "${p.label}" is compared although its configured link differs (${ld.join(', ')})`);
    }
  }
  const rows = gateRows(base, cand, opts.force);
  const m = rows.length;
  const alphaPerRow = m > 0 ? opts.alpha / m : opts.alpha;
  const recorded = recordedGate(base, cand, opts, noteSet);
  const byKey = new Map(recorded?.decisions.map((d) => [d.key, d.decision]) ?? []);
  const bg = groupCells(base, !opts.force);
  const cg = groupCells(cand, !opts.force);
  const groups: GroupComparison[] = [];
  const notOk: NotOkGroup[] = [];
  const lost: LostGroup[] = [];
  const summary = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const [identity, b] of bg) {
    const c = cg.get(identity) ?? null;
    const nb = notOkOf(b, 'baseline');
    const nc = c ? notOkOf(c, 'candidate') : null;
    // Identical on both sides (typically "unsupported"): one line, not two.
    if (nb && nc && stableJson([nb.counts, nb.reasons, nb.total]) === stableJson([nc.counts, nc.reasons, nc.total])) {
      notOk.push({ ...nb, side: 'both' });
    } else notOk.push(...[nb, nc].filter((x): x is NotOkGroup => x !== null));
    const why = hasOk(b) ? lostWhy(b, c) : null;
    if (why) lost.push({ ...ref(b), why });
    if (!c) continue;
    const metrics = rows
      .filter((r) => r.group.identity === identity)
      .map((r) => ({ ...compareMetric(r.metric, r.a, r.b, { thresholdPct: opts.thresholdPct, alphaPerRow, recorded: byKey.get(r.key) }), ...(r.standsInFor ? { standsInFor: r.standsInFor } : {}) }));
    if (metrics.length === 0) continue;
    for (const x of metrics) summary[x.verdict]++;
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
  if (m === 0) noteSet.add('the baseline has no measurement with an ok repetition: nothing could be compared');
  const outcome: GateOutcome = summary.regression > 0 || lost.length > 0 ? 'regression' : summary.undecided > 0 || m === 0 ? 'undecided' : 'pass';
  return {
    baseline: runRef(base),
    candidate: runRef(cand),
    options: opts,
    family: { rows: m, alphaPerRow },
    overridden: opts.force ? reasons : [],
    notes: [...noteSet],
    groups,
    onlyInBaseline,
    onlyInCandidate,
    notOk,
    lost,
    summary,
    outcome,
  };
}
