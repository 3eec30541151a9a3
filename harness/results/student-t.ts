// Student's t distribution for non-integer degrees of freedom (Welch's test gives
// fractional df): two-sided tail probabilities and quantiles. Accurate to ~1e-10 in the
// range the verdicts use (df 1..1e5, alpha down to 1e-8); checked against scipy in
// test/verdict-decide.test.ts.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error ~1e-15). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = LANCZOS;
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const clamp = (v: number): number => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / clamp(1 + even * d);
    c = clamp(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / clamp(1 + odd * d);
    c = clamp(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b), a, b > 0, x in [0, 1]; lnB = ln B(a, b) when the caller has it. */
export function betaIncReg(x: number, a: number, b: number, lnB = lnGamma(a) + lnGamma(b) - lnGamma(a + b)): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - lnB);
  // The fraction converges fast only below the mean; use the symmetry above it.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** ln B(df/2, 1/2), the constant of the t distribution. */
const lnBetaT = (df: number): number => lnGamma(df / 2) + lnGamma(0.5) - lnGamma((df + 1) / 2);

/** P(|T| >= |t|) for T ~ Student t with `df` degrees of freedom (df > 0). */
export function tTwoSidedP(t: number, df: number, lnB = lnBetaT(df)): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return betaIncReg(df / (df + t * t), df / 2, 0.5, lnB);
}

/** Upper-tail standard normal quantile to ~5e-4 (Abramowitz-Stegun 26.2.23); only a starting point. */
function roughNormalQuantile(p: number): number {
  const w = Math.sqrt(-2 * Math.log(p));
  return w - (2.515517 + 0.802853 * w + 0.010328 * w * w) / (1 + 1.432788 * w + 0.189269 * w * w + 0.001308 * w * w * w);
}

/**
 * The t > 0 with P(|T| >= t) = alpha, i.e. the critical value of a two-sided test at level
 * alpha (and the half-width multiplier of a 1 - alpha confidence interval). The one-sided
 * quantile at level q is tQuantileTwoSided(2 q, df).
 */
export function tQuantileTwoSided(alpha: number, df: number): number {
  return newtonQuantile(alpha, df, 100);
}

/**
 * tQuantileTwoSided to a relative error below 5e-4 for df >= 2 (1e-6 for df >= 6), for
 * planning estimates that call it many times: the Cornish-Fisher start and one Newton step.
 */
export function tQuantileEstimate(alpha: number, df: number): number {
  return newtonQuantile(alpha, df, 1);
}

function newtonQuantile(alpha: number, df: number, maxSteps: number): number {
  if (!(alpha > 0)) return Infinity;
  if (alpha >= 1) return 0;
  const lnB = lnBetaT(df);
  const lnDensityC = -0.5 * Math.log(df) - lnB;
  // Start from the Cornish-Fisher expansion around the normal quantile (4 terms), then
  // Newton on u = ln t, where ln P(e^u) is smooth and nearly linear in the tails.
  const z = roughNormalQuantile(alpha / 2);
  const t0 =
    z +
    (z ** 3 + z) / (4 * df) +
    (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2) +
    (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3);
  let u = Math.log(Math.max(t0, 1e-3));
  const target = Math.log(alpha);
  for (let i = 0; i < maxSteps; i++) {
    const t = Math.exp(u);
    const p = tTwoSidedP(t, df, lnB);
    const density = Math.exp(lnDensityC - ((df + 1) / 2) * Math.log1p((t * t) / df));
    let step = -(Math.log(p) - target) / ((-2 * density * t) / p);
    if (!Number.isFinite(step)) step = p > alpha ? 1 : -1;
    step = Math.max(-1, Math.min(1, step));
    u += step;
    if (Math.abs(step) < 1e-12) break;
  }
  return Math.exp(u);
}
