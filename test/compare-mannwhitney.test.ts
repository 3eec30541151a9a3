// harness/stats.ts mannWhitneyU against scipy.stats.mannwhitneyu (scipy 1.17, two-sided,
// use_continuity=True; script in .scratch/compare/mw_ref.py) and against brute-force
// enumeration of the exact null distribution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mannWhitneyU, rng } from '../harness/core/stats.js';

const close = (got: number, want: number, tol = 1e-6): void => assert.ok(Math.abs(got - want) <= tol, `${got} != ${want}`);

test('fully separated 3 vs 3: U = 0, exact p = 2/20 = 0.1 (so n = 3 can never reach 0.05)', () => {
  const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  assert.equal(r.method, 'exact');
  assert.equal(r.u, 0);
  close(r.p, 0.1, 1e-12);
});

test('fully separated 10 vs 10: exact p = 2 / C(20, 10)', () => {
  const r = mannWhitneyU([...Array(10).keys()], [...Array(10).keys()].map((i) => i + 10));
  close(r.p, 2 / 184756, 1e-15);
  close(r.p, 1.082508822446903e-5, 1e-15);
});

test('scipy documentation example (males vs females): U = 17, exact p = 1/9', () => {
  const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
  assert.equal(r.u, 17);
  close(r.p, 0.1111111111111111, 1e-12);
});

test('interleaved 6 vs 7: exact p matches scipy', () => {
  const r = mannWhitneyU([1, 3, 5, 7, 9, 11], [2, 4, 6, 8, 10, 12, 14]);
  assert.equal(r.u, 15);
  close(r.p, 0.4452214452214452, 1e-12);
});

test('ties use the normal approximation with tie and continuity correction, as scipy', () => {
  const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4], [3, 4, 4, 5, 5, 6]);
  assert.equal(r.method, 'normal');
  assert.equal(r.u, 3.5);
  // By hand: mu = 21, tie term (2^3-2)+(4^3-4)+(3^3-3)+(2^3-2) = 96, sigma^2 = 42/12 * (14 - 96/156) = 46.846,
  // z = (17.5 - 0.5) / 6.8444 = 2.4838, p = 2 (1 - Phi(z)) = 0.0130.
  close(r.p, 0.012999854364387305, 1e-6);
});

test('large samples (25 x 20) use the normal approximation, as scipy asymptotic', () => {
  const a = Array.from({ length: 25 }, (_, i) => ((i * 1.7) % 13) + i * 0.01);
  const b = Array.from({ length: 20 }, (_, i) => ((i * 1.3) % 11) + 2 + i * 0.013);
  const r = mannWhitneyU(a, b);
  assert.equal(r.method, 'normal');
  assert.equal(r.u, 217);
  close(r.p, 0.45787390413750895, 1e-6);
});

test('all values equal: p = 1, no division by zero', () => {
  const r = mannWhitneyU([5, 5, 5, 5], [5, 5, 5, 5]);
  assert.equal(r.p, 1);
});

/** Exact two-sided p by enumerating every split of the pooled sample (tie-free data). */
function bruteForceP(a: number[], b: number[]): number {
  const all = [...a, ...b];
  const n1 = a.length;
  const uOf = (xs: number[], ys: number[]): number => xs.reduce((s, x) => s + ys.filter((y) => x > y).length, 0);
  const u = uOf(a, b);
  const mean = (n1 * b.length) / 2;
  let extreme = 0;
  let total = 0;
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === n1) {
      const xs = chosen.map((i) => all[i]);
      const ys = all.filter((_, i) => !chosen.includes(i));
      total++;
      if (Math.abs(uOf(xs, ys) - mean) >= Math.abs(u - mean)) extreme++;
      return;
    }
    for (let i = start; i < all.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return Math.min(1, extreme / total);
}

test('exact p equals brute-force enumeration on random tie-free samples', () => {
  const r = rng(42);
  for (let t = 0; t < 25; t++) {
    const n1 = 1 + Math.floor(r() * 6);
    const n2 = 1 + Math.floor(r() * 6);
    const a = Array.from({ length: n1 }, () => r());
    const b = Array.from({ length: n2 }, () => r() + 0.2);
    const got = mannWhitneyU(a, b);
    assert.equal(got.method, 'exact');
    close(got.p, bruteForceP(a, b), 1e-12);
  }
});
