// The sequential plan of a comparison: at which repetition counts a verdict may be taken
// (the looks) and how much of the false-verdict budget alpha each look may spend. Adaptive
// repetitions (issue 13) add one interleaved round per side while a comparison is
// undecided and look after each round; a fixed `repetitions: N` is a plan with one look.
//
// Validity rests on the union bound: a false verdict at any look is a false verdict at
// some look k, so P(any false verdict) <= sum_k P(false verdict at look k) <= sum_k
// alpha_k = alpha, whatever the correlation between looks and whenever the run stops
// (a budget that ends the run early only drops terms). See VERDICTS.md.

/**
 * How alpha is spread over the looks, as a function of the information fraction
 * f = reps / maxReps (cumulative alpha spent by the look at `reps`):
 * - 'pocock': alpha ln(1 + (e - 1) f), Lan-DeMets' Pocock-like spending: a large share at
 *   the first look (42 % of alpha at 3 of 10), where tight data can already decide.
 * - 'linear': alpha f, the same share per repetition.
 * Whatever precedes minReps is spent at the first look.
 */
export type Spending = 'pocock' | 'linear';

export interface SequentialPlanSpec {
  /** Repetitions per side at the first look; >= 2 (a spread needs two). */
  minReps: number;
  /** Repetitions per side at the last look; >= minReps. */
  maxReps: number;
  /** Overall false-verdict rate over all looks (false faster + false slower), 0 < alpha < 1. */
  alpha: number;
  /** @default 'pocock' */
  spending?: Spending;
}

export interface Look {
  /** Planned repetitions per side at this look. */
  reps: number;
  /** The share of alpha this look spends: its tests run at this level. */
  alpha: number;
  /** Alpha spent by this look and all before it. */
  spent: number;
}

export interface SequentialPlan {
  readonly minReps: number;
  readonly maxReps: number;
  readonly alpha: number;
  readonly spending: Spending;
  /** One look per repetition count minReps..maxReps; spent of the last equals alpha. */
  readonly looks: readonly Look[];
}

/** Largest plan accepted: beyond it the per-look alpha and the run time stop making sense. */
const MAX_REPS = 1000;

const SPEND: Record<Spending, (alpha: number, f: number) => number> = {
  pocock: (alpha, f) => alpha * Math.log(1 + (Math.E - 1) * f),
  linear: (alpha, f) => alpha * f,
};

export function sequentialPlan(spec: SequentialPlanSpec): SequentialPlan {
  const { minReps, maxReps, alpha } = spec;
  const spending = spec.spending ?? 'pocock';
  if (!Number.isInteger(minReps) || minReps < 2 || minReps > MAX_REPS) {
    throw new RangeError(`sequential plan: minReps is ${minReps} (allowed: an integer 2..${MAX_REPS})`);
  }
  if (!Number.isInteger(maxReps) || maxReps < minReps || maxReps > MAX_REPS) {
    throw new RangeError(`sequential plan: maxReps is ${maxReps} (allowed: an integer ${minReps}..${MAX_REPS}, at least minReps)`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`sequential plan: alpha is ${alpha} (allowed: 0 < alpha < 1)`);
  if (!(spending in SPEND)) throw new RangeError(`sequential plan: spending is "${spending}" (allowed: ${Object.keys(SPEND).join(', ')})`);
  const looks: Look[] = [];
  let before = 0;
  for (let reps = minReps; reps <= maxReps; reps++) {
    // The last look takes exactly the remainder, so rounding never overspends.
    const spent = reps === maxReps ? alpha : SPEND[spending](alpha, reps / maxReps);
    looks.push({ reps, alpha: spent - before, spent });
    before = spent;
  }
  return { minReps, maxReps, alpha, spending, looks };
}

/** A fixed `repetitions: N`: one look at N spending all of alpha. */
export function fixedPlan(reps: number, alpha: number): SequentialPlan {
  return sequentialPlan({ minReps: reps, maxReps: reps, alpha });
}

/**
 * The alpha a look at `reps` repetitions per side would spend: the plan's look for that
 * count, and beyond the plan the last look's share (what continuing at the same pace would
 * buy). Used to estimate how many more repetitions a comparison needs.
 */
export function alphaAtReps(plan: SequentialPlan, reps: number): number {
  const i = Math.min(plan.looks.length - 1, Math.max(0, reps - plan.minReps));
  return plan.looks[i].alpha;
}
