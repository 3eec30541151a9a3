// What the run engine tells its subscribers (the progress view): the events, and what is
// left to run. The engine never prints; a view turns these into lines (STYLE: autocannon).
import type { Calibration, LinkPoint, Warning } from '../core/types.js';
import type { CellResult } from '../results/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { Lab } from '../../netem/lab.js';
import type { PointRounds } from '../results/verdict-types.js';
import type { Tally } from './rounds.js';

/**
 * What is still to run as the engine plans it now; the progress view turns it into a
 * remaining-time estimate with the durations it has seen. With adaptive repetitions the
 * cells are the most the plan may still run, and the budget and decided count bound it.
 */
export interface WorkLeft {
  /** Cells still to run, warm-up included, the one starting now included, by workload id. */
  cells: Record<string, number>;
  /** Points whose lab is not up yet: each costs a lab, a calibration and its agents. */
  points: number;
  /** Time until a budget stops new rounds, ms; null without a budget. */
  budgetLeftMs: number | null;
  /** Comparisons decided so far (adaptive repetitions); null when the run does not decide. */
  decided: { k: number; n: number } | null;
}

/** A warm-up cell: run like a recorded one, never recorded. `index` counts 1..of at the point. */
export interface WarmupInfo {
  point: number;
  transport: string;
  workload: string;
  round: number;
  rounds: number;
  index: number;
  of: number;
}

export interface RunEvents {
  /** A point starts: its lab is about to be built. `ordinal` counts 1..of. */
  pointStart: [point: LinkPoint, position: { ordinal: number; of: number }];
  point: [point: LinkPoint, lab: Lab | null];
  calibrationStart: [info: { point: number; probes: number; expectedMs: number }];
  calibrationProgress: [info: { point: number; sent: number; probes: number }];
  calibrationEnd: [info: { point: number; calibration: Calibration; durationMs: number; warnings: number }];
  /** The point's agents and transports are up (after calibration, before its first cell). */
  ready: [info: { point: number; transports: number; durationMs: number }];
  warmupStart: [info: WarmupInfo];
  warmupEnd: [info: WarmupInfo & { status: CellResult['status']; durationMs: number }];
  /** Before every cell and at every point's start: what is left (see WorkLeft). */
  plan: [left: WorkLeft];
  cellStart: [info: { point: number; transport: string; workload: string; repetition: number; done: number; total: number }];
  cell: [cell: CellResult, progress: { done: number; total: number }];
  /** After a look at a point's comparisons (adaptive repetitions, or the --baseline gate). */
  look: [info: LookInfo];
  /** A point stopped adding rounds, and why. */
  stopped: [info: PointRounds];
  warning: [w: Warning];
}

/** After a look: where the point's comparisons (and the gate's rows) stand, and the time left. */
export interface LookInfo {
  point: number;
  /** Recorded rounds so far at this point. */
  round: number;
  look: number;
  verdicts: Tally;
  gate: Tally | null;
  /** Time until the budget stops new rounds, ms; null without a budget. */
  budgetLeftMs: number | null;
  /** Whether the rule allows another round (not at maxReps). */
  moreAllowed: boolean;
}


/**
 * The fixed plan's bookkeeping: (warm-up + repetitions) x transports cells per workload at
 * each point, minus those run. A rounds-based engine reports its own WorkLeft instead.
 */
export class PlanTracker {
  /** Cells run (warm-up included) at each point, by workload id; a finished point counts as all run. */
  private readonly ranAt = new Map<number, Map<string, number>>();
  private started = 0;
  /** The last look's standing (adaptive repetitions or a gate), for the view. */
  private standing: { decided: { k: number; n: number }; budgetLeftMs: number | null; at: number } | null = null;

  /** `maxReps`: the most recorded repetitions a point may run (the scenario's count, or an adaptive rule's max). */
  constructor(
    private readonly scenario: ResolvedScenario,
    private readonly maxReps: number = scenario.repetitions,
  ) {}

  private get perPoint(): number {
    return (this.scenario.warmup + this.maxReps) * this.scenario.transports.length;
  }

  /** After a look: comparisons decided so far and the budget left then. */
  looked(decided: { k: number; n: number }, budgetLeftMs: number | null): void {
    this.standing = { decided, budgetLeftMs, at: performance.now() };
  }

  /** A point's lab is about to be built; returns its ordinal (1-based). */
  pointStarts(): number {
    return ++this.started;
  }

  /** A cell (warm-up or recorded) starts at `point`. */
  ran(point: number, workload: string): void {
    const m = this.ranAt.get(point) ?? new Map<string, number>();
    this.ranAt.set(point, m);
    m.set(workload, (m.get(workload) ?? 0) + 1);
  }

  /** A point is over (done, broken or failed): none of its cells is left to run. */
  pointOver(point: number): void {
    this.ranAt.set(point, new Map(this.scenario.workloads.map((w) => [w.id, this.perPoint])));
  }

  left(): WorkLeft {
    const s = this.scenario;
    const cells: Record<string, number> = {};
    for (const w of s.workloads) cells[w.id] = s.points.reduce((n, p) => n + Math.max(0, this.perPoint - (this.ranAt.get(p.index)?.get(w.id) ?? 0)), 0);
    const st = this.standing;
    const budgetLeftMs = st?.budgetLeftMs == null ? null : Math.max(0, st.budgetLeftMs - (performance.now() - st.at));
    return { cells, points: s.points.length - this.started, budgetLeftMs, decided: st?.decided ?? null };
  }
}
