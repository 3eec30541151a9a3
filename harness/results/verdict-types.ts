// The verdict records a result file carries (issue 13): the stopping rule a run fixed
// before its first look, each comparison's last decision with why it stopped, and, for a
// run against a baseline file (`bench run --baseline`), the gate's rows. Types only; the
// logic is in run-verdicts.ts (comparisons within a run) and compare.ts (against a baseline).
import type { Decision } from './decide.js';
import type { Spending } from './sequential-plan.js';
import type { WorkloadKind } from '../workloads/index.js';

/** The stopping rule of a run, fixed before its first look. */
export interface StoppingRule {
  /** 'fixed': `repetitions: N`, one look at N; 'auto': a look after every round from minReps to maxReps. */
  repetitions: 'fixed' | 'auto';
  minReps: number;
  maxReps: number;
  /** Wall time after which the run starts no new round, ms; null for fixed repetitions. */
  budgetMs: number | null;
  /** False-verdict rate bound per comparison, over all its looks. */
  alpha: number;
  /** "same" = the interval of B/A - 1 within +-marginPct. */
  marginPct: number;
  spending: Spending;
  /** Each look's share of alpha, in order (look i is taken after round minReps + i). */
  lookAlphas: number[];
}

/**
 * Why a comparison's last decision is its answer:
 * - 'decided': faster, slower or same at look `look`;
 * - 'max-reps': undecided at the plan's last look;
 * - 'budget': undecided when the time budget ended the rounds;
 * - 'futile': undecided at look `look`, and its "~N more" needed more than 10x the looks
 *   its plan had left (decide.ts futile): it took no more rounds;
 * - 'interrupted': undecided when the run was interrupted;
 * - 'no-data': a side never had an ok value of the metric, so no look could judge it.
 */
export type StopReason = 'decided' | 'max-reps' | 'budget' | 'futile' | 'interrupted' | 'no-data';

/** One comparison within a run: `transport` (B) against `baseline` (A) on `metric`. */
export interface ComparisonSpec {
  point: number;
  workload: string;
  kind: WorkloadKind;
  metric: string;
  baseline: string;
  transport: string;
}

export interface ComparisonRecord extends ComparisonSpec {
  decision: Decision;
  /** Index of the look that took `decision` (plan.looks); null when none could be taken. */
  look: number | null;
  stoppedBy: StopReason;
}

/** Rounds and time a point used. */
export interface PointRounds {
  point: number;
  /** Recorded rounds run (warm-up excluded). */
  rounds: number;
  elapsedMs: number;
  /** Why the point stopped adding rounds. */
  stoppedBy: 'all-decided' | 'futile' | 'max-reps' | 'budget' | 'interrupted' | 'failed';
}

/** One row of a gate against a baseline file, as the candidate run decided it. */
export interface GateRowRecord {
  /** compare.ts rowKey: the cell group's identity and the metric. */
  key: string;
  decision: Decision;
  look: number | null;
  stoppedBy: StopReason;
}

/** `bench run --baseline`: the baseline file, the gate's alpha per row, and its rows' decisions. */
export interface GateRecord {
  baseline: { label: string; startedAt: string; scenarioSha256: string; identity: string };
  /** Family-wise alpha of the gate; each of its `rows` rows is judged at alpha / rows. */
  alpha: number;
  thresholdPct: number;
  force: boolean;
  rows: number;
  decisions: GateRowRecord[];
}

export interface RunVerdicts {
  rule: StoppingRule;
  comparisons: ComparisonRecord[];
  points: PointRounds[];
  gate?: GateRecord;
}
