// The comparisons a run answers (issue 13): at each link point, for each workload, every
// transport against the point's baseline transport (plain TCP, else TLS: baselineRank in
// transports.ts) on each headline metric of the workload. Reference transports (udp: its
// lost datagrams are not exchanges) are shown, never compared. The run engine decides them
// round by round under its stopping rule and records each decision with why it stopped
// (ResultFile.verdicts); reports read those records, or, for a file without them, decide
// once over all repetitions (one look at alpha, what a fixed `repetitions: N` is).
// Pure: no I/O.
import { decide, type Decision } from './decide.js';
import { METRICS, okMetricValues } from './metrics.js';
import { fixedPlan, sequentialPlan, type SequentialPlan } from './sequential-plan.js';
import { baselineRank, transportFacts } from './transports.js';
import type { CellResult, ResultFile, TransportRecord } from './types.js';
import type { ComparisonRecord, ComparisonSpec, RunVerdicts, StoppingRule } from './verdict-types.js';
import { workloads, type WorkloadKind } from '../workloads/index.js';

/** What a run's verdicts mean when the scenario does not say: alpha per comparison, and the margin of "same". */
export const VERDICT_DEFAULTS = { alpha: 0.05, marginPct: 5 } as const;

export const comparisonKey = (c: Pick<ComparisonSpec, 'point' | 'workload' | 'metric' | 'transport'>): string =>
  `${c.point}/${c.workload}/${c.metric}/${c.transport}`;

export type { ComparisonRecord, ComparisonSpec, RunVerdicts, StoppingRule, StopReason } from './verdict-types.js';

/** A rule; a plan needs 2 repetitions for a spread, so `repetitions: 1` is planned as 2 (its comparisons stay undecided). */
export function ruleOf(o: { minReps: number; maxReps: number; budgetMs: number | null; alpha?: number; marginPct?: number }): StoppingRule {
  const alpha = o.alpha ?? VERDICT_DEFAULTS.alpha;
  const plan = sequentialPlan({ minReps: Math.max(2, o.minReps), maxReps: Math.max(2, o.maxReps), alpha });
  return {
    repetitions: o.budgetMs === null && o.minReps === o.maxReps ? 'fixed' : 'auto',
    minReps: o.minReps,
    maxReps: o.maxReps,
    budgetMs: o.budgetMs,
    alpha,
    marginPct: o.marginPct ?? VERDICT_DEFAULTS.marginPct,
    spending: plan.spending,
    lookAlphas: plan.looks.map((l) => l.alpha),
  };
}

/** The stopping rule a resolved scenario asks for. */
export function ruleOfScenario(s: ResultFile['scenario']): StoppingRule {
  const a = s.adaptive;
  return ruleOf(a ? { minReps: s.repetitions, maxReps: a.maxReps, budgetMs: a.budgetMs } : { minReps: s.repetitions, maxReps: s.repetitions, budgetMs: null });
}

export function planOf(rule: StoppingRule): SequentialPlan {
  return rule.repetitions === 'fixed' ? fixedPlan(Math.max(2, rule.minReps), rule.alpha) : sequentialPlan({ minReps: Math.max(2, rule.minReps), maxReps: Math.max(2, rule.maxReps), alpha: rule.alpha, spending: rule.spending });
}

/** The transport a point's comparisons are read against: lowest baselineRank, then list order; null when none. */
export function baselineOf(names: readonly string[], facts: (name: string) => TransportRecord | undefined): string | null {
  let best: string | null = null;
  for (const n of names) if (best === null || baselineRank(facts(n)) < baselineRank(facts(best))) best = n;
  return best;
}

/**
 * The metric a verdict about a headline metric uses for these cells: the headline metric
 * itself, or its registered fallback when some ok cell could not carry it (a transfer too
 * short for a steady state reports its whole-transfer goodput instead).
 */
export function verdictMetric(metric: string, cells: readonly CellResult[]): string {
  const fallback = METRICS[metric]?.fallback;
  if (!fallback) return metric;
  const ok = cells.filter((c) => c.status === 'ok');
  return ok.length > 0 && ok.some((c) => c.metrics[metric] === undefined) && ok.every((c) => c.metrics[fallback] !== undefined) ? fallback : metric;
}

/** The headline metrics of a workload kind, in registry order. */
export function headlineOf(kind: WorkloadKind): readonly string[] {
  return workloads[kind].headline;
}

/** Which transports a point's comparisons may use, for one workload. */
export interface Eligible {
  /** It ran the workload (cells that are not all `unsupported`): a subject. */
  runs(transport: string, workload: string): boolean;
  /** It can anchor the comparisons: some ok cell of the workload. */
  anchors(transport: string, workload: string): boolean;
}

/**
 * The comparisons of one point: for each workload, each transport (in `names` order) that
 * ran it and is neither the baseline nor a reference, on each headline metric. The
 * baseline is the best-ranked transport with an ok cell (a baseline that failed in every
 * repetition cannot anchor anything). `cellsOf` gives the cells measured so far (to pick a
 * fallback metric).
 */
export function pointComparisons(
  point: number,
  wls: readonly { id: string; kind: WorkloadKind }[],
  names: readonly string[],
  facts: (name: string) => TransportRecord | undefined,
  cellsOf: (transport: string, workload: string) => readonly CellResult[],
  eligible: Eligible,
): ComparisonSpec[] {
  const out: ComparisonSpec[] = [];
  for (const w of wls) {
    const here = names.filter((t) => eligible.runs(t, w.id));
    const baseline = baselineOf(here.filter((t) => !facts(t)?.reference && eligible.anchors(t, w.id)), facts);
    if (!baseline) continue;
    for (const transport of here) {
      if (transport === baseline || facts(transport)?.reference) continue;
      for (const h of headlineOf(w.kind)) {
        const metric = verdictMetric(h, [...cellsOf(baseline, w.id), ...cellsOf(transport, w.id)]);
        out.push({ point, workload: w.id, kind: w.kind, metric, baseline, transport });
      }
    }
  }
  return out;
}

/** Decide one comparison from the ok cells of both sides; without a plan, one look at alpha. */
export function decideComparison(spec: ComparisonSpec, a: readonly CellResult[], b: readonly CellResult[], rule: StoppingRule, at?: { plan: SequentialPlan; look: number }): Decision {
  return decide(okMetricValues(a, spec.metric), okMetricValues(b, spec.metric), {
    better: METRICS[spec.metric].better,
    alpha: rule.alpha,
    marginPct: rule.marginPct,
    ...(at ? { plan: at.plan, look: at.look } : {}),
  });
}

/** The cells of a run by point, transport and workload. */
export function cellIndex(cells: readonly CellResult[]): (point: number, transport: string, workload: string) => CellResult[] {
  const by = new Map<string, CellResult[]>();
  for (const c of cells) {
    const k = `${c.point}|${c.transport}|${c.workload}`;
    const list = by.get(k);
    if (list) list.push(c);
    else by.set(k, [c]);
  }
  return (p, t, w) => by.get(`${p}|${t}|${w}`) ?? [];
}

/** Ran (not unsupported everywhere) and anchors (some ok cell), from the cells measured so far. */
export function eligibleFrom(cellsOf: (transport: string, workload: string) => readonly CellResult[]): Eligible {
  return {
    runs: (t, w) => cellsOf(t, w).some((c) => c.status !== 'unsupported'),
    anchors: (t, w) => cellsOf(t, w).some((c) => c.status === 'ok'),
  };
}

/**
 * A run's verdicts: as the run recorded them, or, for a result file without them (written
 * before verdicts were recorded), decided now in one look at alpha over every ok
 * repetition.
 */
export function runVerdicts(r: ResultFile): RunVerdicts {
  if (r.verdicts) return r.verdicts;
  // The count the scenario states; a value that is none (a file edited by hand, read
  // without the schema) gives way to the repetitions the cells show.
  const stated = r.scenario.repetitions;
  const reps = Number.isInteger(stated) && stated >= 1 ? stated : Math.max(1, ...r.cells.map((c) => (Number.isInteger(c.repetition) ? c.repetition + 1 : 1)));
  const rule = ruleOf({ minReps: reps, maxReps: reps, budgetMs: null });
  const facts = transportFacts(r);
  const index = cellIndex(r.cells);
  const names = [...new Set([...r.scenario.transports.map((t) => t.name), ...r.cells.map((c) => c.transport)])];
  const wls = [...new Map([...r.scenario.workloads, ...r.cells.map((c) => ({ id: c.workload, kind: c.kind }))].map((w) => [w.id, { id: w.id, kind: w.kind }])).values()];
  const points = [...new Set([...r.scenario.points.map((p) => p.index), ...r.cells.map((c) => c.point)])].sort((x, y) => x - y);
  const comparisons: ComparisonRecord[] = [];
  for (const point of points) {
    const of = (t: string, w: string): CellResult[] => index(point, t, w);
    for (const spec of pointComparisons(point, wls, names, (n) => facts.get(n), of, eligibleFrom(of))) {
      const decision = decideComparison(spec, of(spec.baseline, spec.workload), of(spec.transport, spec.workload), rule);
      const noData = decision.n[0] === 0 || decision.n[1] === 0;
      comparisons.push({ ...spec, decision, look: noData ? null : 0, stoppedBy: noData ? 'no-data' : decision.verdict === 'undecided' ? 'max-reps' : 'decided' });
    }
  }
  return { rule, comparisons, points: [] };
}
