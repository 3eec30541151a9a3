// One verdict model (issue 13): candidate B against baseline A on one metric, from one
// value per repetition on each side, answers faster / slower / same (within ±marginPct) /
// undecided (with about how many more repetitions per side would likely settle it). The
// relative delta B/A - 1 and its interval are always returned. Method and its validity:
// VERDICTS.md next to this file; checked by test/verdict-simulation.test.ts.
//
// In short: Welch's t on log values gives a (1 - lookAlpha) interval for the ratio of
// geometric means; "different" when it excludes 0, "same" when it lies within ±margin
// (a TOST at lookAlpha/2 per side). lookAlpha is the current look's share of alpha in a
// SequentialPlan, so adaptive repetitions keep the overall false-verdict rate <= alpha.
// Pure: no I/O.
import { minAchievableP } from '../core/stats.js';
import type { MetricDef } from '../workloads/types.js';
import { alphaAtReps, fixedPlan, type SequentialPlan } from './sequential-plan.js';
import { tQuantileEstimate, tQuantileTwoSided, tTwoSidedP } from './student-t.js';

/** Which way is good, as the metric registry says it. */
export type Better = MetricDef['better'];
/** 'faster' = B is better than A in the metric's better direction (higher goodput, lower RTT). */
export type DecisionVerdict = 'faster' | 'slower' | 'same' | 'undecided';
/**
 * - 'welch-log': Welch's t on ln(values), all values > 0 (the normal case).
 * - 'welch-fieller': some value is 0 (e.g. loss %): Welch's t on the raw values, Fieller's
 *   interval for the ratio of means.
 * - 'permutation': neither side varies but they differ: the exact permutation test
 *   (p = 2 / C(na + nb, na)); no interval exists.
 * - 'identical': every value on both sides is the same.
 * - 'too-few': a side has fewer than 2 values.
 */
export type DecisionMethod = 'welch-log' | 'welch-fieller' | 'permutation' | 'identical' | 'too-few';

export interface DecideOptions {
  better: Better;
  /** Overall false-verdict rate (false faster + false slower), 0 < alpha < 1; with `plan`, must equal plan.alpha. */
  alpha: number;
  /** 'same' means B/A within [1 - marginPct/100, 1 + marginPct/100]; percent, 0 <= marginPct < 100. */
  marginPct: number;
  /** The looks of adaptive repetitions; without it the call is a single look at alpha (fixed repetitions). */
  plan?: SequentialPlan;
  /** 0-based index into plan.looks; required with `plan`. Call decide at most once per look. */
  look?: number;
  /**
   * A's repetitions are final (a baseline result file, `bench run --baseline`): the
   * estimate of repetitions still needed grows B alone. @default false (both sides grow)
   */
  baselineFixed?: boolean;
}

export interface Decision {
  verdict: DecisionVerdict;
  /** (B / A - 1) x 100: ratio of geometric means ('welch-log'), else of means; null when A's mean is 0 or a side is empty. */
  deltaPct: number | null;
  /** Interval of deltaPct at confidence ciLevel; null when it does not exist (n < 2, no spread, unbounded ratio). */
  ciPct: [number, number] | null;
  /** 1 - lookAlpha, e.g. 0.95 for a single look at alpha 0.05. */
  ciLevel: number;
  /** Two-sided p of the difference test; null without one. */
  p: number | null;
  /** Values on each side [A, B]. */
  n: [number, number];
  /** The share of alpha this look spends (its test level). */
  lookAlpha: number;
  /** Alpha spent by this look and all earlier ones: the bound on the false-verdict rate so far. */
  alphaSpent: number;
  /**
   * Undecided: about how many more repetitions per side (of B alone with baselineFixed) would
   * settle it (80 % likely); null when no estimate exists or it exceeds 10000. 0 when decided.
   */
  moreRepsNeeded: number | null;
  method: DecisionMethod;
  /** One sentence: why this verdict. */
  reason: string;
}

/** The chance "~N more" aims at: with the observed delta and spread, N more settle it 80 % of the time. */
const PLANNING_POWER = 0.8;
/** Beyond this many repetitions per side the estimate is reported as null ("not in any practical count"). */
const MAX_ESTIMATE = 10_000;

interface Side {
  n: number;
  mean: number;
  /** Unbiased sample variance; 0 for n < 2. */
  variance: number;
}

/** Mean and variance of the values, or of their logarithms (no intermediate array: the simulation calls this ~10^6 times). */
function side(xs: readonly number[], log = false): Side {
  const n = xs.length;
  let m = 0;
  for (const x of xs) m += log ? Math.log(x) : x;
  m /= n;
  let ss = 0;
  for (const x of xs) ss += ((log ? Math.log(x) : x) - m) ** 2;
  return { n, mean: m, variance: n > 1 ? ss / (n - 1) : 0 };
}

/** Welch-Satterthwaite degrees of freedom for per-repetition variances va, vb at na, nb values. */
function welchDf(va: number, vb: number, na: number, nb: number): number {
  const a = va / na;
  const b = vb / nb;
  return (a + b) ** 2 / ((a * a) / (na - 1) + (b * b) / (nb - 1));
}

/** What a method measured, in its own scale (log ratio or raw difference), for verdict and planning. */
interface Estimate {
  method: DecisionMethod;
  deltaPct: number | null;
  ciPct: [number, number] | null;
  p: number | null;
  /** Sign of B - A. */
  sign: number;
  /** |B - A| in the method's scale, and the distance from it to the nearer margin bound. */
  diff: number;
  room: number;
  varA: number;
  varB: number;
}

const pct = (ratio: number): number => (ratio - 1) * 100;

function welchLog(a: readonly number[], b: readonly number[], lookAlpha: number, marginPct: number): Estimate {
  const A = side(a, true);
  const B = side(b, true);
  const d = B.mean - A.mean;
  const se = Math.sqrt(A.variance / A.n + B.variance / B.n);
  const df = welchDf(A.variance, B.variance, A.n, B.n);
  const h = tQuantileTwoSided(lookAlpha, df) * se;
  const lnHi = Math.log1p(marginPct / 100);
  const lnLo = Math.log1p(-marginPct / 100);
  return {
    method: 'welch-log',
    deltaPct: Math.expm1(d) * 100,
    ciPct: [Math.expm1(d - h) * 100, Math.expm1(d + h) * 100],
    p: tTwoSidedP(d / se, df),
    sign: Math.sign(d),
    diff: Math.abs(d),
    room: Math.min(lnHi - d, d - lnLo),
    varA: A.variance,
    varB: B.variance,
  };
}

/**
 * Some value is 0, so logs do not exist: Welch's t on the raw values for the difference,
 * and Fieller's interval for the ratio of means with the same t quantile, i.e. every ratio
 * r with (mean(B) - r mean(A))^2 <= q^2 (vB/nB + r^2 vA/nA). It is unbounded when mean(A)
 * is not itself distinguishable from 0.
 */
function welchFieller(a: readonly number[], b: readonly number[], lookAlpha: number, marginPct: number): Estimate {
  const A = side(a);
  const B = side(b);
  const d = B.mean - A.mean;
  const va = A.variance / A.n;
  const vb = B.variance / B.n;
  const df = welchDf(A.variance, B.variance, A.n, B.n);
  const q = tQuantileTwoSided(lookAlpha, df);
  let ciPct: [number, number] | null = null;
  const qa = A.mean * A.mean - q * q * va;
  if (qa > 0) {
    const half = Math.sqrt(Math.max(0, (A.mean * B.mean) ** 2 - qa * (B.mean * B.mean - q * q * vb)));
    ciPct = [pct((A.mean * B.mean - half) / qa), pct((A.mean * B.mean + half) / qa)];
  }
  return {
    method: 'welch-fieller',
    deltaPct: A.mean > 0 ? pct(B.mean / A.mean) : null,
    ciPct,
    p: tTwoSidedP(d / Math.sqrt(va + vb), df),
    sign: Math.sign(d),
    diff: Math.abs(d),
    room: (marginPct / 100) * A.mean - Math.abs(d),
    varA: A.variance,
    varB: B.variance,
  };
}

function ratioPct(a: readonly number[], b: readonly number[]): number | null {
  if (a.length === 0 || b.length === 0) return null;
  if (a.every((v) => v > 0) && b.every((v) => v > 0)) return Math.expm1(side(b, true).mean - side(a, true).mean) * 100;
  const ma = side(a).mean;
  return ma > 0 ? pct(side(b).mean / ma) : null;
}

function checkInput(a: readonly number[], b: readonly number[], opts: DecideOptions): void {
  for (const [name, xs] of [['a', a], ['b', b]] as const) {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      if (!Number.isFinite(v) || v < 0) {
        throw new RangeError(`decide: ${name}[${i}] is ${v} (allowed: finite values >= 0, one per repetition: durations, rates, percentages)`);
      }
    }
  }
  if (opts.better !== 'lower' && opts.better !== 'higher') throw new RangeError(`decide: better is "${opts.better}" (allowed: lower, higher)`);
  if (!(opts.marginPct >= 0 && opts.marginPct < 100)) throw new RangeError(`decide: marginPct is ${opts.marginPct} (allowed: 0 <= marginPct < 100)`);
  if (!(opts.alpha > 0 && opts.alpha < 1)) throw new RangeError(`decide: alpha is ${opts.alpha} (allowed: 0 < alpha < 1)`);
}

function resolveLook(opts: DecideOptions): { plan: SequentialPlan; lookAlpha: number; spent: number } {
  if (!opts.plan) {
    if (opts.look !== undefined && opts.look !== 0) throw new RangeError(`decide: look is ${opts.look} without a plan (allowed: 0 or absent)`);
    // One look: its share is alpha at any repetition count, which is what the estimate asks.
    return { plan: fixedPlan(2, opts.alpha), lookAlpha: opts.alpha, spent: opts.alpha };
  }
  const { plan, look } = opts;
  if (plan.alpha !== opts.alpha) throw new RangeError(`decide: alpha ${opts.alpha} differs from the plan's alpha ${plan.alpha} (allowed: the same value)`);
  if (look === undefined || !Number.isInteger(look) || look < 0 || look >= plan.looks.length) {
    throw new RangeError(`decide: look is ${look} (allowed: an integer 0..${plan.looks.length - 1}, the index of the round in the plan)`);
  }
  return { plan, lookAlpha: plan.looks[look].alpha, spent: plan.looks[look].spent };
}

/**
 * Repetitions (beyond the current ones) at which a look would, with PLANNING_POWER, settle
 * a comparison whose spread and delta stay as observed: its interval half-width
 * (t_lookAlpha + t_power) x sqrt(varA / NA + varB / NB) falls below the larger of |delta|
 * (it would exclude 0) and the room to the nearer margin bound (it would fit inside).
 * Both sides grow to N, or, with `baselineFixed`, B alone (NA stays nA): then a spread of
 * A too large for any NB gives null.
 */
function repsToSettle(e: Estimate, nA: number, nB: number, plan: SequentialPlan, baselineFixed: boolean): number | null {
  const target = Math.max(e.diff, e.room);
  if (!(target > 0) || !(e.varA + e.varB > 0)) return null;
  const n = baselineFixed ? nB : Math.min(nA, nB);
  let N = n + 1;
  // N depends on the t quantiles at N's own df and look alpha: a few fixed-point steps.
  for (let i = 0; i < 3; i++) {
    const NA = baselineFixed ? nA : N;
    const df = welchDf(e.varA, e.varB, NA, N);
    const k = tQuantileEstimate(alphaAtReps(plan, N), df) + tQuantileEstimate(2 * (1 - PLANNING_POWER), df);
    // Solve k^2 (varA / NA + varB / N) = target^2 for N.
    const left = (target * target) / (k * k) - (baselineFixed ? e.varA / nA : 0);
    const perN = baselineFixed ? e.varB : e.varA + e.varB;
    if (!(left > 0)) return null;
    const next = Math.max(n + 1, Math.ceil(perN / left));
    if (next > MAX_ESTIMATE) return null;
    if (next === N) break;
    N = next;
  }
  return N - n;
}

/** Repetitions (per side, or of B alone) at which a complete separation would reach the look's alpha. */
function repsForPermutation(nA: number, nB: number, plan: SequentialPlan, baselineFixed: boolean): number | null {
  const n = baselineFixed ? nB : Math.min(nA, nB);
  for (let N = n + 1; N <= 60; N++) if (minAchievableP(baselineFixed ? nA : N, N) <= alphaAtReps(plan, N)) return N - n;
  return null;
}

const fmtPct = (v: number): string => `${v >= 0 ? '+' : ''}${v.toPrecision(3)} %`;

/** Decide candidate `b` against baseline `a` (one value per repetition each; units as the metric's). */
export function decide(a: readonly number[], b: readonly number[], opts: DecideOptions): Decision {
  checkInput(a, b, opts);
  const n: [number, number] = [a.length, b.length];
  const nMin = Math.min(a.length, b.length);
  const { plan, lookAlpha, spent } = resolveLook(opts);
  // One object shape for every outcome, in Decision's field order (a spread of a shared
  // base was the simulation's hottest line).
  const result = (
    verdict: DecisionVerdict,
    deltaPct: number | null,
    ciPct: [number, number] | null,
    p: number | null,
    moreRepsNeeded: number | null,
    method: DecisionMethod,
    reason: string,
  ): Decision => ({ verdict, deltaPct, ciPct, ciLevel: 1 - lookAlpha, p, n, lookAlpha, alphaSpent: spent, moreRepsNeeded, method, reason });
  if (nMin < 2) {
    const reason = `fewer than 2 repetitions on a side (${n[0]} vs ${n[1]}): no spread to judge by`;
    return result('undecided', ratioPct(a, b), null, null, null, 'too-few', reason);
  }
  const first = a[0];
  if (a.every((v) => v === first) && b.every((v) => v === first)) {
    const reason = `every repetition on both sides measured exactly ${first}`;
    return result('same', 0, [0, 0], 1, 0, 'identical', reason);
  }
  const better = (sign: number): boolean => (opts.better === 'lower' ? sign < 0 : sign > 0);
  // Compared value by value: a mean of equal floats is not always that float, so a
  // computed variance of [0.1, 0.1, 0.1] is ~1e-34, not 0.
  if (a.every((v) => v === a[0]) && b.every((v) => v === b[0])) {
    // Constant but different sides: a t statistic would be infinite, yet constant values
    // usually mean a coarse metric, not certainty; the permutation test is exact here.
    const p = minAchievableP(n[0], n[1]);
    const sign = Math.sign(b[0] - a[0]);
    const decided = p <= lookAlpha;
    const verdict: DecisionVerdict = decided ? (better(sign) ? 'faster' : 'slower') : 'undecided';
    const reason = `neither side varies (A ${a[0]}, B ${b[0]}); exact permutation p = ${p.toPrecision(3)} ${decided ? '<=' : '>'} look alpha ${lookAlpha.toPrecision(3)}`;
    const more = decided ? 0 : repsForPermutation(n[0], n[1], plan, opts.baselineFixed ?? false);
    return result(verdict, ratioPct(a, b), null, p, more, 'permutation', reason);
  }
  const allPositive = a.every((v) => v > 0) && b.every((v) => v > 0);
  const e = allPositive ? welchLog(a, b, lookAlpha, opts.marginPct) : welchFieller(a, b, lookAlpha, opts.marginPct);
  const m = opts.marginPct;
  const test = `p = ${e.p?.toPrecision(3)} ${e.p !== null && e.p <= lookAlpha ? '<=' : '>'} look alpha ${lookAlpha.toPrecision(3)}`;
  const interval = e.ciPct
    ? `the ${+(100 * (1 - lookAlpha)).toPrecision(4)} % interval of B/A - 1, [${fmtPct(e.ciPct[0])}, ${fmtPct(e.ciPct[1])}],`
    : null;
  const noRatio = `B/A - 1 has no bounded interval (A's mean is not distinguishable from 0)`;
  let verdict: DecisionVerdict;
  let reason: string;
  if (e.ciPct && e.ciPct[0] >= -m && e.ciPct[1] <= m) {
    verdict = 'same';
    reason = `${interval} lies within ±${m} %`;
  } else if (e.p !== null && e.p <= lookAlpha) {
    verdict = better(e.sign) ? 'faster' : 'slower';
    reason = interval ? `${interval} excludes 0 (${test})` : `${noRatio}; B - A differs from 0 (${test})`;
  } else {
    verdict = 'undecided';
    reason = interval ? `${interval} contains 0 (${test}) and reaches beyond ±${m} %` : `${noRatio}; B - A is not shown to differ from 0 (${test})`;
  }
  const moreRepsNeeded = verdict === 'undecided' ? repsToSettle(e, n[0], n[1], plan, opts.baselineFixed ?? false) : 0;
  return result(verdict, e.deltaPct, e.ciPct, e.p, moreRepsNeeded, e.method, reason);
}

export interface Outlook {
  total: number;
  decided: number;
  undecided: number;
  /** Undecided comparisons expected to settle (80 % likely each) within the plan's remaining rounds. */
  settleWithinPlan: number;
  /** Rounds until every undecided comparison is expected to settle; null when one is not expected to in any practical count. */
  roundsToSettleAll: number | null;
  /** Rounds the plan still allows the least-repeated undecided comparison (maxReps minus its repetitions); 0 when none is undecided. */
  roundsLeftInPlan: number;
}

/**
 * Where a set of comparisons stands, for progress ("decided k of n") and for the final
 * "undecided, ~N more" message: from the decisions of the latest look of each comparison.
 */
export function outlook(decisions: readonly Decision[], plan: SequentialPlan): Outlook {
  const open = decisions.filter((d) => d.verdict === 'undecided');
  let settle = 0;
  let rounds: number | null = 0;
  let left = 0;
  for (const d of open) {
    const leftHere = Math.max(0, plan.maxReps - Math.min(...d.n));
    left = Math.max(left, leftHere);
    if (d.moreRepsNeeded !== null && d.moreRepsNeeded <= leftHere) settle++;
    rounds = rounds === null || d.moreRepsNeeded === null ? null : Math.max(rounds, d.moreRepsNeeded);
  }
  return {
    total: decisions.length,
    decided: decisions.length - open.length,
    undecided: open.length,
    settleWithinPlan: settle,
    roundsToSettleAll: rounds,
    roundsLeftInPlan: left,
  };
}

/**
 * Futility: from the plan's second look on, an open comparison stops taking rounds when
 * its "~N more" (80 % likely, from the spread so far) exceeds FUTILITY_FACTOR x the looks
 * its plan has left, or no estimate exists although both sides have a spread. The first
 * look is exempt and the factor is large because the estimate inherits the noise of a
 * spread from 3-5 values: one RTO stall among three repetitions inflates it. Stopping only
 * drops looks, so the union bound over looks (VERDICTS.md) still bounds the false-verdict
 * rate by alpha; what it can cost is power, which test/verdict-simulation prints with and
 * without it (chosen there: factor 2 from the first look cost 14 points of power on a 1.2x
 * change with heavy tails and 20 on 2x with RTO stalls; 10 from the second look costs
 * at most 1.5 points on the single-comparison rows, 3 on the 16-row gate's 0.9x row, and
 * saves up to 3.4 repetitions a side where nothing can be decided).
 */
export const FUTILITY_FACTOR = 10;

/** True when `d`, taken at look `look` of `plan`, should stop as futile (see FUTILITY_FACTOR). */
export function futile(d: Decision, plan: SequentialPlan, look: number): boolean {
  const looksLeft = plan.looks.length - 1 - look;
  if (d.verdict !== 'undecided' || look < 1 || looksLeft <= 0 || d.method === 'too-few') return false;
  return d.moreRepsNeeded === null || d.moreRepsNeeded > FUTILITY_FACTOR * looksLeft;
}
