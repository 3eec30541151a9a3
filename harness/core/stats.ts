// The one place for descriptive statistics: percentiles, confidence intervals of medians
// and proportions, the exact permutation bound. Reports, compare and the run summary all
// use these, so a figure means the same thing everywhere. Verdicts (faster, slower, same,
// undecided) are harness/results/decide.ts's.
import type { PercentileSummary } from './types.js';

/** Linear-interpolated quantile (Hyndman-Fan type 7, as numpy/R default) of sorted values. */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export function summarize(values: readonly number[]): PercentileSummary {
  const s = Float64Array.from(values).sort();
  return {
    n: s.length,
    min: s.length ? s[0] : NaN,
    mean: mean(values),
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    p999: quantileSorted(s, 0.999),
    max: s.length ? s[s.length - 1] : NaN,
  };
}

/**
 * Fewest samples a percentile q needs, 1 / (1 - q): p99 needs 100, p99.9 1000. Below that
 * the "percentile" is an interpolation between the largest samples, i.e. their maximum
 * (issue 13: percentiles only where the samples carry them).
 */
export function minSamplesFor(q: number): number {
  return Math.round(1 / (1 - q));
}

/**
 * The percentiles of `values` the sample count carries, by name, and why the others are
 * withheld ("n too small: 62 exchanges, p99 needs >= 100"). `noun` names a sample.
 */
export function carriedPercentiles(values: readonly number[], wanted: Record<string, number>, noun: string): { values: Record<string, number>; withheld: Record<string, string> } {
  const s = Float64Array.from(values).sort();
  const out: Record<string, number> = {};
  const withheld: Record<string, string> = {};
  for (const [name, q] of Object.entries(wanted)) {
    const need = minSamplesFor(q);
    if (s.length >= need) out[name] = quantileSorted(s, q);
    else if (s.length > 0) withheld[name] = `n too small: ${s.length} ${noun}${s.length === 1 ? '' : 's'}, p${+(q * 100).toFixed(1)} needs >= ${need}`;
  }
  return { values: out, withheld };
}

function logChoose(n: number, k: number): number {
  let r = 0;
  for (let i = 1; i <= k; i++) r += Math.log(n - k + i) - Math.log(i);
  return r;
}

/** P(X <= k) for X ~ Binomial(n, p). */
function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return Math.min(1, sum);
}

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
  /** Achieved confidence level; below the requested level when n is too small. */
  confidence: number;
}

/**
 * Distribution-free confidence interval for the median from order statistics: the widest
 * symmetric pair (x_(k), x_(n+1-k)) whose binomial coverage is still >= `level`. With
 * n < 6 no pair reaches 95 %, so [min, max] is returned with its true (lower) confidence.
 */
export function medianCI(values: readonly number[], level = 0.95): Interval {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  if (n === 0) return { estimate: NaN, lo: NaN, hi: NaN, confidence: 0 };
  const est = quantileSorted(s, 0.5);
  let best = { lo: s[0], hi: s[n - 1], confidence: 1 - 2 * binomialCdf(0, n, 0.5) };
  for (let k = 1; k <= Math.floor(n / 2); k++) {
    // Coverage of [x_(k+1), x_(n-k)] (0-based k .. n-1-k) is 1 - 2 P(X <= k).
    const conf = 1 - 2 * binomialCdf(k, n, 0.5);
    if (conf < level) break;
    best = { lo: s[k], hi: s[n - 1 - k], confidence: conf };
  }
  return { estimate: est, ...best };
}

/** Two-sided binomial (Clopper-Pearson) interval for a proportion, as fractions 0..1. */
export function binomialInterval(successes: number, n: number, level = 0.99): { lo: number; hi: number } {
  if (n === 0) return { lo: 0, hi: 1 };
  const a = (1 - level) / 2;
  const solve = (target: number, k: number): number => {
    // Find p with P(X <= k; n, p) = target by bisection.
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (binomialCdf(k, n, mid) > target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const lo = successes === 0 ? 0 : solve(1 - a, successes - 1);
  const hi = successes === n ? 1 : solve(a, successes);
  return { lo, hi };
}

/**
 * The smallest two-sided p of an exact permutation (rank) test with n1 and n2 samples:
 * 2 / C(n1 + n2, n1), reached when the two samples do not overlap at all (3 vs 3: 0.1;
 * 4 vs 4: 0.029). decide.ts uses it for two sides that are each constant.
 */
export function minAchievableP(n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  let arrangements = 1;
  for (let i = 1; i <= n1; i++) arrangements = (arrangements * (n2 + i)) / i;
  return Math.min(1, 2 / arrangements);
}

/** Small deterministic PRNG (mulberry32), for simulations and test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
