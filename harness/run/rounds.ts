// When a link point stops adding rounds (issue 13). A round is one repetition of every
// transport x workload the open comparisons need, interleaved and rotated by the engine.
// After round minReps - 1 and after every later one, each open comparison is decided once,
// at the look whose index is the round's (VERDICTS.md: what the union bound needs): fixed
// minReps / maxReps / alpha, a budget that may end the rounds early but never extends
// them, and a decided comparison stays decided. Two kinds of comparison:
// - within the run: every transport against the point's baseline transport (run-verdicts.ts);
// - against a baseline file (`bench run --baseline`): the gate's rows (compare.ts), each at
//   alpha / m, m the gate's rows, with the baseline's repetitions fixed.
// Whichever the run is for drives the rounds; the other is decided at the same looks.
import { decide, futile, type Decision } from '../results/decide.js';
import { gateRows, pointKeyOf, resultIdentity, type CompareOptions, type GateRow } from '../results/compare.js';
import { METRICS } from '../results/metrics.js';
import { decideComparison, eligibleFrom, pointComparisons, comparisonKey } from '../results/run-verdicts.js';
import { fixedPlan, sequentialPlan, type SequentialPlan } from '../results/sequential-plan.js';
import type { CellResult, ResultFile, TransportRecord } from '../results/types.js';
import type { ComparisonRecord, ComparisonSpec, GateRecord, GateRowRecord, StoppingRule, StopReason } from '../results/verdict-types.js';
import type { WorkloadKind } from '../workloads/index.js';

/** "transport|workload": a cell pair a round runs. */
export const pairKey = (transport: string, workload: string): string => `${transport}|${workload}`;

/**
 * A comparison's state after a look: decided, no data, futile (its "~N more" more than 10x
 * the looks its plan has left: decide.ts futile), or still open. Open ones read "interrupted"
 * until they stop, so a killed run leaves them so.
 */
function stopAfterLook(decision: Decision, noData: boolean, plan: SequentialPlan, look: number): StopReason {
  if (noData) return 'no-data';
  if (decision.verdict !== 'undecided') return 'decided';
  return futile(decision, plan, look) ? 'futile' : 'interrupted';
}

/** Counts for progress: decided comparisons of all so far. */
export interface Tally {
  decided: number;
  total: number;
  /** Open comparisons whose "~N more" estimate fits in `roundsLeft` more rounds (80 % likely each). */
  settleWithin: number;
  /** Undecided comparisons stopped as futile: no more rounds for them. */
  futile: number;
  roundsLeft: number;
}

/** The comparisons within the run at one point. */
export class PointVerdicts {
  private specs: ComparisonSpec[] | null = null;
  private readonly records = new Map<string, ComparisonRecord>();

  constructor(
    private readonly point: number,
    private readonly rule: StoppingRule,
    private readonly plan: SequentialPlan,
    private readonly workloads: readonly { id: string; kind: WorkloadKind }[],
    private readonly names: readonly string[],
    private readonly facts: (name: string) => TransportRecord | undefined,
  ) {}

  /** Decide every open comparison at look `look`; the set of comparisons is fixed at the first look. */
  look(look: number, cellsOf: (transport: string, workload: string) => CellResult[]): void {
    this.specs ??= pointComparisons(this.point, this.workloads, this.names, this.facts, cellsOf, eligibleFrom(cellsOf));
    for (const spec of this.specs) {
      const key = comparisonKey(spec);
      const prev = this.records.get(key);
      if (prev && prev.stoppedBy !== 'interrupted') continue;
      const decision = decideComparison(spec, cellsOf(spec.baseline, spec.workload), cellsOf(spec.transport, spec.workload), this.rule, { plan: this.plan, look });
      const noData = decision.n[0] === 0 || decision.n[1] === 0;
      this.records.set(key, { ...spec, decision, look: noData ? null : look, stoppedBy: stopAfterLook(decision, noData, this.plan, look) });
    }
  }

  private open(): ComparisonRecord[] {
    return [...this.records.values()].filter((r) => r.stoppedBy === 'interrupted');
  }

  /** Cell pairs the open comparisons need in the next round. */
  pairs(): Set<string> {
    const out = new Set<string>();
    for (const r of this.open()) {
      out.add(pairKey(r.transport, r.workload));
      out.add(pairKey(r.baseline, r.workload));
    }
    return out;
  }

  /** Give the open comparisons their stop reason. */
  finish(reason: StopReason): void {
    for (const r of this.open()) r.stoppedBy = reason;
  }

  list(): ComparisonRecord[] {
    return [...this.records.values()];
  }

  tally(roundsLeft: number): Tally {
    return tallyOf(this.list(), roundsLeft);
  }
}

type TallyItem = { stoppedBy: StopReason; decision: Decision };

function tallyOf(xs: TallyItem[], roundsLeft: number): Tally {
  const open = xs.filter((x) => x.stoppedBy === 'interrupted');
  const settleWithin = open.filter((x) => x.decision.moreRepsNeeded !== null && x.decision.moreRepsNeeded <= roundsLeft).length;
  const count = (why: StopReason): number => xs.filter((x) => x.stoppedBy === why).length;
  return { decided: count('decided'), total: xs.length, settleWithin, futile: count('futile'), roundsLeft };
}

export interface GateSpec extends CompareOptions {
  baseline: ResultFile;
}

/**
 * The rows of a gate against a baseline file, over the whole run. Its family m (the rows)
 * is fixed by the baseline before the first look; each row is decided at alpha / m with
 * the baseline's repetitions fixed (decide's baselineFixed), so "~N more" counts the
 * candidate's repetitions alone.
 */
export class GateVerdicts {
  readonly rows: number;
  private readonly plan: SequentialPlan;
  private readonly records = new Map<string, GateRowRecord & { point: number; transport: string; workload: string }>();

  constructor(
    private readonly spec: GateSpec,
    private readonly rule: StoppingRule,
    candidate: ResultFile,
  ) {
    this.rows = gateRows(spec.baseline, candidate, spec.force).length;
    const alpha = spec.alpha / Math.max(1, this.rows);
    this.plan = rule.repetitions === 'fixed' ? fixedPlan(Math.max(2, rule.minReps), alpha) : sequentialPlan({ minReps: Math.max(2, rule.minReps), maxReps: Math.max(2, rule.maxReps), alpha });
  }

  /** The rows measured at candidate point `point`. */
  private rowsAt(point: number, candidate: ResultFile): GateRow[] {
    const key = pointKeyOf(candidate, point, this.spec.force);
    return gateRows(this.spec.baseline, candidate, this.spec.force).filter((r) => r.pointKey === key);
  }

  look(point: number, look: number, candidate: ResultFile): void {
    for (const row of this.rowsAt(point, candidate)) {
      const prev = this.records.get(row.key);
      if (prev && prev.stoppedBy !== 'interrupted') continue;
      const decision = decide(row.a, row.b, { better: METRICS[row.metric].better, alpha: this.plan.alpha, marginPct: this.spec.thresholdPct, plan: this.plan, look, baselineFixed: true });
      const noData = decision.n[1] === 0;
      const stoppedBy = stopAfterLook(decision, noData, this.plan, look);
      this.records.set(row.key, { key: row.key, decision, look: noData ? null : look, stoppedBy, point, transport: row.group.transport, workload: row.group.workload });
    }
  }

  private open(point: number): GateRowRecord[] {
    return [...this.records.values()].filter((r) => r.point === point && r.stoppedBy === 'interrupted');
  }

  pairs(point: number): Set<string> {
    const out = new Set<string>();
    for (const r of [...this.records.values()]) if (r.point === point && r.stoppedBy === 'interrupted') out.add(pairKey(r.transport, r.workload));
    return out;
  }

  finish(point: number, reason: StopReason): void {
    for (const r of this.open(point)) r.stoppedBy = reason;
  }

  /** Decided rows of all m (rows of points not yet measured count as not decided); with `point`, that point's rows only (total stays m). */
  tally(roundsLeft: number, point?: number): Tally {
    const t = tallyOf([...this.records.values()].filter((r) => point === undefined || r.point === point), roundsLeft);
    return { ...t, total: this.rows };
  }

  record(): GateRecord {
    const b = this.spec.baseline;
    return {
      baseline: { label: b.label, startedAt: b.startedAt, scenarioSha256: b.scenarioSha256, identity: resultIdentity(b) },
      alpha: this.spec.alpha,
      thresholdPct: this.spec.thresholdPct,
      force: this.spec.force,
      rows: this.rows,
      decisions: [...this.records.values()].map(({ key, decision, look, stoppedBy }) => ({ key, decision, look, stoppedBy })),
    };
  }
}
