// The one place for statistics: percentiles, confidence intervals and the Mann-Whitney U
// test. Reports, compare and the run summary all use these, so a figure means the same
// thing everywhere.
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

export interface MannWhitney {
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/**
 * Mann-Whitney U test, two-sided, as Go's benchstat uses it: exact distribution when the
 * samples are small and tie-free, otherwise the normal approximation with tie correction
 * and continuity correction.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitney {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, p: 1, method: 'normal' };
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  let hasTies = false;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const t = j - i + 1;
    if (t > 1) {
      hasTies = true;
      tieTerm += t * t * t - t;
    }
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    i = j + 1;
  }
  let r1 = 0;
  all.forEach((x, i) => {
    if (x.g === 0) r1 += ranks[i];
  });
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u = Math.min(u1, n1 * n2 - u1);
  if (!hasTies && n1 * n2 <= 400) {
    // Exact: count arrangements with U <= u via the standard recurrence.
    const dist = uDistribution(n1, n2);
    let total = 0;
    let cum = 0;
    for (let k = 0; k < dist.length; k++) {
      total += dist[k];
      if (k <= u) cum += dist[k];
    }
    return { u: u1, p: Math.min(1, (2 * cum) / total), method: 'exact' };
  }
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma2 = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (sigma2 <= 0) return { u: u1, p: 1, method: 'normal' };
  const z = (Math.abs(u1 - mu) - 0.5) / Math.sqrt(sigma2);
  const p = 2 * (1 - normalCdf(Math.max(0, z)));
  return { u: u1, p: Math.min(1, p), method: 'normal' };
}

/**
 * The smallest two-sided p the exact Mann-Whitney U test can give with n1 and n2 samples:
 * 2 / C(n1 + n2, n1), reached when the two samples do not overlap at all. When it is above
 * alpha no data can be significant (3 vs 3: 0.1; 4 vs 4: 0.029; 3 vs 5: 0.036), so every
 * verdict, in compare and in the reports, calls such a comparison "too few" rather than
 * "no difference". A change is significant when p <= alpha.
 */
export function minAchievableP(n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  let arrangements = 1;
  for (let i = 1; i <= n1; i++) arrangements = (arrangements * (n2 + i)) / i;
  return Math.min(1, 2 / arrangements);
}

/** Number of (n1, n2) arrangements for each U value 0..n1*n2. */
function uDistribution(n1: number, n2: number): number[] {
  // f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)
  const memo = new Map<string, number[]>();
  const f = (m: number, n: number): number[] => {
    if (m === 0 || n === 0) return [1];
    const key = `${m},${n}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const a = f(m - 1, n);
    const b = f(m, n - 1);
    const out = new Array<number>(m * n + 1).fill(0);
    a.forEach((c, k) => (out[k + n] += c));
    b.forEach((c, k) => (out[k] += c));
    memo.set(key, out);
    return out;
  };
  return f(n1, n2);
}

function normalCdf(z: number): number {
  // Abramowitz-Stegun 7.1.26 via erf; accurate to ~1e-7, plenty for p-values.
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Small deterministic PRNG (mulberry32), for bootstrap resampling and test data. */
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

/**
 * Percentile bootstrap CI for the relative change of medians, (median(b) / median(a) - 1),
 * deterministic for a given seed.
 */
export function deltaCI(a: readonly number[], b: readonly number[], level = 0.95, iterations = 2000, seed = 1): Interval {
  const est = median(b) / median(a) - 1;
  if (a.length < 2 || b.length < 2) return { estimate: est, lo: NaN, hi: NaN, confidence: 0 };
  const r = rng(seed);
  const pick = (xs: readonly number[]): number[] => xs.map(() => xs[Math.floor(r() * xs.length)]);
  const deltas = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) deltas[i] = median(pick(b)) / median(pick(a)) - 1;
  deltas.sort();
  return {
    estimate: est,
    lo: quantileSorted(deltas, (1 - level) / 2),
    hi: quantileSorted(deltas, 1 - (1 - level) / 2),
    confidence: level,
  };
}
