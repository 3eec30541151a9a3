// The verdict model (harness/results/decide.ts) over thousands of synthetic comparisons
// drawn from the shapes bench measures: its false-verdict rate and its power, printed and
// asserted (issue 13; the team's rule "any stopping rule or test you add is checked by a
// simulation test that prints its false-verdict rate and power"). Seeded, so it is
// deterministic; every rate is asserted through its 99 % Clopper-Pearson interval, so the
// Monte Carlo error counts against the method, not for it.
//
// Comparisons run as bench would run them: fixed `repetitions: 3` is one look at 3 vs 3;
// adaptive is a plan of looks at 3..10 repetitions a side, one interleaved round (one
// repetition per side) between looks, stopping at the first decided look, or, as the engine
// does, at the first look where the comparison is futile (decide.ts futile: from the second
// look, its "~N more" beyond 10x the looks left). One test runs the same rows without the futility stop, to
// show what it costs in power and saves in repetitions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, futile, FUTILITY_FACTOR, type DecisionVerdict } from '../harness/results/decide.js';
import { fixedPlan, sequentialPlan, type SequentialPlan } from '../harness/results/sequential-plan.js';
import { betaIncReg } from '../harness/results/student-t.js';
import { rng } from '../harness/core/stats.js';
import { REAL_CELLS } from './fixtures/real-repetitions.js';

const ALPHA = 0.05;
const MARGIN_PCT = 5;
const TRIALS = 2000;
const LEVEL = 0.99;
const FIXED3 = fixedPlan(3, ALPHA);
const ADAPTIVE = sequentialPlan({ minReps: 3, maxReps: 10, alpha: ALPHA });

// ------------------------------------------------------------------ populations

type Draw = () => number;
/** One comparison's two populations; B is A's shape times `ratio`. `trial` picks a real cell. */
type Population = (r: () => number, ratio: number, trial: number) => { a: Draw; b: Draw };

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

const scaled = (draw: Draw, ratio: number): { a: Draw; b: Draw } => ({ a: draw, b: () => ratio * draw() });

/** Lognormal with coefficient of variation `cv`: run-to-run noise of a steady cell. */
const lognormal = (cv: number): Population => (r, ratio) => {
  const s = Math.sqrt(Math.log(1 + cv * cv));
  return scaled(() => Math.exp(s * normal(r)), ratio);
};

/** exp(scale x t with 3 df): heavy tails on both sides (a rare repetition 3-5x off). */
const heavyTails = (scale: number): Population => (r, ratio) =>
  scaled(() => Math.exp((scale * normal(r)) / Math.sqrt((normal(r) ** 2 + normal(r) ** 2 + normal(r) ** 2) / 3)), ratio);

/** Lognormal CV 3 %, but a share `p` of repetitions hits an RTO stall and is 2-4x slower. */
const rtoStalls = (p: number): Population => (r, ratio) => {
  const base = lognormal(0.03)(r, 1, 0).a;
  return scaled(() => base() * (r() < p ? 2 + 2 * r() : 1), ratio);
};

/** Loss %: 0 in 40 % of repetitions, else lognormal around 0.5 % with CV 50 % (the zeros path). */
const lossPct: Population = (r, ratio) => {
  const base = lognormal(0.5)(r, 1, 0).a;
  return scaled(() => (r() < 0.4 ? 0 : 0.5 * base()), ratio);
};

/** Resampled repetitions of a real cell (test/fixtures/real-repetitions.ts), cycling through the cells. */
const realCells: Population = (r, ratio, trial) => {
  const v = REAL_CELLS[trial % REAL_CELLS.length].values;
  return scaled(() => v[Math.floor(r() * v.length)], ratio);
};

// ------------------------------------------------------------------ the simulation

interface Outcome {
  trials: number;
  counts: Record<DecisionVerdict, number>;
  /** Mean repetitions per side when the comparison stopped. */
  meanReps: number;
  /** "~N more" at the first undecided look, where N fit in the plan: how often the comparison was decided by then. */
  estimates: { made: number; kept: number };
  /** Decided worse (slower) by more than the margin: what bench compare would call a REGRESSION at threshold = margin. */
  regressions: number;
}

/**
 * `TRIALS` comparisons of A against B = ratio x A, B better when higher (goodput-like).
 * `futility` (default on, as the engine runs): stop an undecided comparison at a look where
 * it is futile.
 */
function simulate(seed: number, population: Population, ratio: number, plan: SequentialPlan, trials = TRIALS, futility = true): Outcome {
  const r = rng(seed);
  const counts: Record<DecisionVerdict, number> = { faster: 0, slower: 0, same: 0, undecided: 0 };
  const estimates = { made: 0, kept: 0 };
  let reps = 0;
  let regressions = 0;
  for (let t = 0; t < trials; t++) {
    const { a: drawA, b: drawB } = population(r, ratio, t);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 1; i < plan.minReps; i++) a.push(drawA()), b.push(drawB());
    let verdict: DecisionVerdict = 'undecided';
    let deltaPct: number | null = null;
    let promisedBy: number | null = null;
    for (let look = 0; look < plan.looks.length && verdict === 'undecided'; look++) {
      a.push(drawA());
      b.push(drawB());
      const d = decide(a, b, { better: 'higher', alpha: plan.alpha, marginPct: MARGIN_PCT, plan, look });
      verdict = d.verdict;
      deltaPct = d.deltaPct;
      if (verdict === 'undecided' && promisedBy === null && d.moreRepsNeeded !== null) {
        promisedBy = a.length + d.moreRepsNeeded;
        if (promisedBy <= plan.maxReps) estimates.made++;
      }
      if (futility && futile(d, plan, look)) break;
    }
    if (promisedBy !== null && promisedBy <= plan.maxReps && verdict !== 'undecided' && a.length <= promisedBy) estimates.kept++;
    counts[verdict]++;
    if (verdict === 'slower' && deltaPct !== null && Math.abs(deltaPct) > MARGIN_PCT) regressions++;
    reps += a.length;
  }
  return { trials, counts, meanReps: reps / trials, estimates, regressions };
}

interface Rate {
  k: number;
  n: number;
  lo: number;
  hi: number;
}

/**
 * Clopper-Pearson interval of k successes in n, from the beta quantiles it is defined by
 * (stats.binomialInterval sums the binomial terms, O(k^2) per step: too slow at n = 2000).
 */
function clopperPearson(k: number, n: number, level: number): { lo: number; hi: number } {
  const tail = (1 - level) / 2;
  // The p at which I_p(a, b) = target, by bisection (I is increasing in p).
  const betaQuantile = (target: number, a: number, b: number): number => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (betaIncReg(mid, a, b) < target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return { lo: k === 0 ? 0 : betaQuantile(tail, k, n - k + 1), hi: k === n ? 1 : betaQuantile(1 - tail, k + 1, n - k) };
}

const rate = (k: number, n: number): Rate => ({ k, n, ...clopperPearson(k, n, LEVEL) });
const fmt = (x: Rate): string => `${((100 * x.k) / x.n).toFixed(2).padStart(6)} % [${(100 * x.lo).toFixed(2)}, ${(100 * x.hi).toFixed(2)}]`;

/** Verdicts that are wrong for this true ratio: a direction on A/A; 'same' or the wrong direction beyond the margin. */
function falseVerdicts(o: Outcome, ratio: number): Rate {
  const c = o.counts;
  if (ratio === 1) return rate(c.faster + c.slower, o.trials);
  const beyond = Math.abs(ratio - 1) * 100 >= MARGIN_PCT - 1e-9;
  return rate((ratio > 1 ? c.slower : c.faster) + (beyond ? c.same : 0), o.trials);
}

/** Comparisons decided in the true direction (power). */
const correct = (o: Outcome, ratio: number): Rate => rate(ratio > 1 ? o.counts.faster : o.counts.slower, o.trials);

function report(name: string, o: Outcome, ratio: number): void {
  const c = o.counts;
  const share = (k: number): string => `${((100 * k) / o.trials).toFixed(2)} %`;
  const est = o.estimates.made ? `; "~N more" kept ${o.estimates.kept}/${o.estimates.made}` : '';
  console.log(
    `${name.padEnd(46)} n=${o.trials} faster ${share(c.faster)}, slower ${share(c.slower)}, same ${share(c.same)}, ` +
      `undecided ${share(c.undecided)}; false ${fmt(falseVerdicts(o, ratio))}` +
      (ratio === 1 ? `; false regression ${share(o.regressions)}` : `; power ${fmt(correct(o, ratio))}`) +
      `; mean reps ${o.meanReps.toFixed(2)}${est}`,
  );
}

const pocock = ADAPTIVE.looks.map((l) => l.alpha.toFixed(4)).join(' ');
console.log(`verdict simulation: alpha ${ALPHA}, margin ±${MARGIN_PCT} %, ${TRIALS} comparisons per row, intervals ${LEVEL * 100} % Clopper-Pearson`);
console.log(`adaptive plan 3..10 reps, Pocock-like spending, look alphas: ${pocock}; futility stop from the 2nd look at "~N more" > ${FUTILITY_FACTOR} x looks left`);

// ------------------------------------------------------------------ the assertions

// Fixed 3 vs 3 rows run 10,000 comparisons (one look each, cheap): Welch's size there is
// ~3.5 % (100,000 lognormal draws at CV 30 %; ~3.1 % at CV 3 %, where 'same' takes the
// intervals that exclude 0 but lie within the margin), so the upper end of an interval
// from 2000 comparisons could reach 5 % by chance alone.
const AA: [string, Population, SequentialPlan, number?][] = [
  ['A/A lognormal CV 3 %, fixed 3', lognormal(0.03), FIXED3, 10_000],
  ['A/A lognormal CV 10 %, fixed 3', lognormal(0.1), FIXED3, 10_000],
  ['A/A RTO stalls 15 % x2-4, fixed 3', rtoStalls(0.15), FIXED3, 10_000],
  ['A/A real cells, fixed 3', realCells, FIXED3, 10_000],
  ['A/A lognormal CV 3 %, adaptive 3..10', lognormal(0.03), ADAPTIVE],
  ['A/A lognormal CV 10 %, adaptive 3..10', lognormal(0.1), ADAPTIVE],
  ['A/A heavy tails (log-t3 x 0.05), adaptive', heavyTails(0.05), ADAPTIVE],
  ['A/A RTO stalls 10 % x2-4, adaptive', rtoStalls(0.1), ADAPTIVE],
  ['A/A RTO stalls 20 % x2-4, adaptive', rtoStalls(0.2), ADAPTIVE],
  ['A/A loss % with 40 % zeros, adaptive', lossPct, ADAPTIVE],
  ['A/A real cells, adaptive 3..10', realCells, ADAPTIVE],
];

test('A/A (no true difference): false faster/slower verdicts <= alpha on every shape, fixed and adaptive', () => {
  AA.forEach(([name, population, plan, trials], i) => {
    const o = simulate(1000 + i, population, 1, plan, trials);
    report(name, o, 1);
    const f = falseVerdicts(o, 1);
    assert.ok(f.hi <= ALPHA, `${name}: false-verdict rate ${fmt(f)} may exceed alpha ${ALPHA}`);
  });
});

test('a 2x change at 3 repetitions a side with CV 10 %: decided (right way) >= 99 %, both directions', () => {
  for (const [ratio, seed] of [[2, 2001], [0.5, 2002]] as const) {
    const o = simulate(seed, lognormal(0.1), ratio, FIXED3);
    report(`${ratio}x lognormal CV 10 %, fixed 3`, o, ratio);
    const p = correct(o, ratio);
    assert.ok(p.lo >= 0.99, `${ratio}x: power ${fmt(p)} below 99 %`);
    assert.equal(falseVerdicts(o, ratio).k, 0);
  }
});

test('a 10 % change with CV 3 %: decided (right way) >= 90 % within 10 repetitions, adaptive', () => {
  for (const [ratio, seed] of [[1.1, 3001], [1 / 1.1, 3002]] as const) {
    const o = simulate(seed, lognormal(0.03), ratio, ADAPTIVE);
    report(`${ratio.toFixed(3)}x lognormal CV 3 %, adaptive 3..10`, o, ratio);
    const p = correct(o, ratio);
    assert.ok(p.lo >= 0.9, `${ratio}: power ${fmt(p)} below 90 %`);
  }
});

test('a true difference at or beyond the margin: false "same" (and wrong direction) <= alpha, fixed and adaptive', () => {
  const cases: [string, Population, number, SequentialPlan][] = [
    ['+5 % (at the margin) CV 3 %, adaptive', lognormal(0.03), 1.05, ADAPTIVE],
    ['-5 % (at the margin) CV 3 %, adaptive', lognormal(0.03), 0.95, ADAPTIVE],
    ['+5 % (at the margin) CV 1 %, adaptive', lognormal(0.01), 1.05, ADAPTIVE],
    ['+5 % (at the margin) CV 3 %, fixed 3', lognormal(0.03), 1.05, FIXED3],
    ['+8 % RTO stalls 15 %, adaptive', rtoStalls(0.15), 1.08, ADAPTIVE],
    ['-10 % real cells, adaptive', realCells, 0.9, ADAPTIVE],
  ];
  cases.forEach(([name, population, ratio, plan], i) => {
    const o = simulate(4000 + i, population, ratio, plan);
    report(name, o, ratio);
    const f = falseVerdicts(o, ratio);
    assert.ok(f.hi <= ALPHA, `${name}: false verdicts ${fmt(f)} may exceed alpha ${ALPHA}`);
  });
});

test('power on the other shapes, printed (no requirement): real cells, stalls, heavy tails, equivalence', () => {
  const cases: [string, Population, number, SequentialPlan][] = [
    ['0.5x real cells, fixed 3', realCells, 0.5, FIXED3],
    ['0.5x real cells, adaptive 3..10', realCells, 0.5, ADAPTIVE],
    ['0.9x real cells, adaptive 3..10', realCells, 0.9, ADAPTIVE],
    ['2x RTO stalls 15 %, adaptive 3..10', rtoStalls(0.15), 2, ADAPTIVE],
    ['1.2x heavy tails, adaptive 3..10', heavyTails(0.05), 1.2, ADAPTIVE],
    ['1.1x lognormal CV 10 %, adaptive 3..10', lognormal(0.1), 1.1, ADAPTIVE],
  ];
  cases.forEach(([name, population, ratio, plan], i) => {
    const o = simulate(5000 + i, population, ratio, plan);
    report(name, o, ratio);
    // Even where power is low, what is decided is decided the right way.
    const f = falseVerdicts(o, ratio);
    assert.ok(f.hi <= ALPHA, `${name}: false verdicts ${fmt(f)}`);
  });
});

test('the futility stop: what it costs in power and saves in repetitions (same rows with and without it), and A/A stays <= alpha', () => {
  const cases: [string, Population, number][] = [
    ['A/A lognormal CV 3 %', lognormal(0.03), 1],
    ['A/A real cells', realCells, 1],
    ['1.1x lognormal CV 3 %', lognormal(0.03), 1.1],
    ['1.1x lognormal CV 10 %', lognormal(0.1), 1.1],
    ['1.2x heavy tails', heavyTails(0.05), 1.2],
    ['2x RTO stalls 15 %', rtoStalls(0.15), 2],
    ['0.5x real cells', realCells, 0.5],
    ['0.9x real cells', realCells, 0.9],
  ];
  cases.forEach(([name, population, ratio], i) => {
    const seed = 6000 + i;
    const without = simulate(seed, population, ratio, ADAPTIVE, TRIALS, false);
    const withStop = simulate(seed, population, ratio, ADAPTIVE, TRIALS, true);
    report(`${name}, adaptive, no futility stop`, without, ratio);
    report(`${name}, adaptive, futility stop`, withStop, ratio);
    const f = falseVerdicts(withStop, ratio);
    assert.ok(f.hi <= ALPHA, `${name} with the futility stop: false verdicts ${fmt(f)} may exceed alpha ${ALPHA}`);
    assert.ok(withStop.meanReps <= without.meanReps, `${name}: the futility stop added repetitions`);
    if (ratio !== 1) {
      // Same seed, same draws up to the stop: the stop can only turn a later decision into
      // "undecided" (the draws after it differ, so the difference also carries Monte Carlo
      // noise). No row may lose more than 3 points of power.
      const lost = (correct(without, ratio).k - correct(withStop, ratio).k) / TRIALS;
      console.log(`${name}: power lost to the futility stop ${(100 * lost).toFixed(2)} points, repetitions saved ${(without.meanReps - withStop.meanReps).toFixed(2)} a side`);
      assert.ok(lost <= 0.03, `${name}: the futility stop costs ${(100 * lost).toFixed(2)} points of power (allowed: 3)`);
    }
  });
});

test('a gate over 10 rows at alpha/10 each (the union bound over rows as over looks): per-row false rate <= alpha/10, and what it costs in power', () => {
  const rows = 10;
  const perRow = ALPHA / rows;
  const fixed = (n: number): SequentialPlan => fixedPlan(n, perRow);
  const adaptive = sequentialPlan({ minReps: 3, maxReps: 10, alpha: perRow });
  const aa = simulate(7000, lognormal(0.1), 1, fixed(3), 20_000);
  report(`A/A CV 10 %, fixed 3, alpha ${perRow}`, aa, 1);
  const f = falseVerdicts(aa, 1);
  assert.ok(f.hi <= perRow, `false-verdict rate ${fmt(f)} may exceed ${perRow}`);
  const cases: [string, number, SequentialPlan][] = [
    ['0.5x CV 10 %, fixed 3', 0.1, fixed(3)],
    ['0.5x CV 10 %, fixed 5', 0.1, fixed(5)],
    ['0.5x CV 10 %, adaptive 3..10', 0.1, adaptive],
  ];
  cases.forEach(([name, cv, plan], i) => report(`${name}, alpha ${perRow}`, simulate(7001 + i, lognormal(cv), 0.5, plan), 0.5));
  report(`0.9x CV 3 %, adaptive 3..10, alpha ${perRow}`, simulate(7010, lognormal(0.03), 0.9, adaptive), 0.9);
});

// ------------------------------------------------------------------ the gate (family-wise)

/**
 * A CI gate compares m rows at once and fails (exit 1) when any row is decided slower beyond
 * the threshold; alpha bounds each row, so the gate judges each at alpha / m (Bonferroni:
 * the union bound over rows, as over looks). Realistic gates: 16 rows of the shapes bench
 * measures, 4 each (goodput-like CV 3 %, CV 10 %, RTO stalls, real cells).
 */
const GATE_ROWS: Population[] = [
  ...Array<Population>(4).fill(lognormal(0.03)),
  ...Array<Population>(4).fill(lognormal(0.1)),
  ...Array<Population>(4).fill(rtoStalls(0.15)),
  ...Array<Population>(4).fill(realCells),
];

interface GateOutcome {
  gates: number;
  /** Gates with a decided regression (slower beyond the threshold) on some row: exit 1. */
  failed: number;
  /** Gates where the changed row (index 0) was decided a regression. */
  caught: number;
  /** Gates with every row decided (exit 0 or 1, not 5). */
  allDecided: number;
  meanReps: number;
}

/**
 * `gates` gates of `rows` rows; row 0's candidate is `ratio` x its baseline (goodput-like,
 * higher is better), the others unchanged. 'compare': both runs fixed at `plan.minReps`;
 * 'baseline': the baseline file has `baseReps` repetitions and the candidate adds rounds
 * (bench run --baseline: decide's baselineFixed), one look per round for every open row.
 */
function simulateGate(seed: number, rows: Population[], ratio: number, plan: SequentialPlan, mode: 'compare' | 'baseline', gates: number, baseReps = plan.minReps): GateOutcome {
  const r = rng(seed);
  let failed = 0;
  let caught = 0;
  let allDecided = 0;
  let reps = 0;
  for (let g = 0; g < gates; g++) {
    let anyRegression = false;
    let open = 0;
    let gateReps = 0;
    rows.forEach((population, i) => {
      const { a: drawA, b: drawB } = population(r, i === 0 ? ratio : 1, g * rows.length + i);
      const a = Array.from({ length: mode === 'baseline' ? baseReps : plan.minReps }, drawA);
      const b: number[] = [];
      for (let k = 1; k < plan.minReps; k++) b.push(drawB());
      let verdict: DecisionVerdict = 'undecided';
      let deltaPct: number | null = null;
      for (let look = 0; look < plan.looks.length && verdict === 'undecided'; look++) {
        b.push(drawB());
        if (mode === 'compare' && a.length < b.length) a.push(drawA());
        const d = decide(a, b, { better: 'higher', alpha: plan.alpha, marginPct: MARGIN_PCT, plan, look, baselineFixed: mode === 'baseline' });
        verdict = d.verdict;
        deltaPct = d.deltaPct;
        // The gate's rows stop as futile as the engine's GateVerdicts stops them.
        if (futile(d, plan, look)) break;
      }
      gateReps = Math.max(gateReps, b.length);
      const regression = verdict === 'slower' && deltaPct !== null && Math.abs(deltaPct) > MARGIN_PCT;
      anyRegression ||= regression;
      if (i === 0 && regression) caught++;
      if (verdict === 'undecided') open++;
    });
    if (anyRegression) failed++;
    if (open === 0) allDecided++;
    reps += gateReps;
  }
  return { gates, failed, caught, allDecided, meanReps: reps / gates };
}

function reportGate(name: string, o: GateOutcome, ratio: number): void {
  const pct = (k: number): string => `${((100 * k) / o.gates).toFixed(2)} %`;
  console.log(
    `${name.padEnd(58)} gates=${o.gates} exit 1 ${fmt(rate(o.failed, o.gates))}` +
      (ratio === 1 ? '' : `; change caught ${fmt(rate(o.caught, o.gates))}`) +
      `; every row decided ${pct(o.allDecided)}; candidate reps (max over rows) ${o.meanReps.toFixed(2)}`,
  );
}

test('a 16-row gate at alpha/16 per row: an unchanged candidate fails it (false exit 1) in <= alpha of gates, fixed and adaptive; and what it catches', () => {
  const m = GATE_ROWS.length;
  const perRow = ALPHA / m;
  const fixed6 = fixedPlan(6, perRow);
  const adaptive = sequentialPlan({ minReps: 3, maxReps: 10, alpha: perRow });
  console.log(`gate: ${m} rows (4 x lognormal CV 3 %, 4 x CV 10 %, 4 x RTO stalls 15 %, 4 x real cells), alpha ${ALPHA} / ${m} = ${perRow} per row`);
  const aa: [string, SequentialPlan, 'compare' | 'baseline', number?][] = [
    ['A/A gate, compare of two runs, fixed 6', fixed6, 'compare'],
    ['A/A gate, --baseline (baseline 6 reps), candidate 3..10', adaptive, 'baseline', 6],
    ['A/A gate, --baseline (baseline 10 reps), candidate 3..10', adaptive, 'baseline', 10],
  ];
  aa.forEach(([name, plan, mode, baseReps], i) => {
    const o = simulateGate(8000 + i, GATE_ROWS, 1, plan, mode, 2000, baseReps);
    reportGate(name, o, 1);
    const f = rate(o.failed, o.gates);
    assert.ok(f.hi <= ALPHA, `${name}: false exit-1 rate ${fmt(f)} may exceed alpha ${ALPHA}`);
  });
  // What the gate catches: one row changed, fifteen unchanged.
  const power: [string, Population[], number, SequentialPlan, 'compare' | 'baseline', number?][] = [
    ['0.5x on a CV 10 % row, compare fixed 6', [lognormal(0.1), ...GATE_ROWS.slice(1)], 0.5, fixed6, 'compare'],
    ['0.5x on a CV 10 % row, compare fixed 3', [lognormal(0.1), ...GATE_ROWS.slice(1)], 0.5, fixedPlan(3, perRow), 'compare'],
    ['0.9x on a CV 3 % row, compare fixed 6', GATE_ROWS, 0.9, fixed6, 'compare'],
    ['0.9x on a CV 3 % row, --baseline (10 reps), candidate 3..10', GATE_ROWS, 0.9, adaptive, 'baseline', 10],
    ['0.9x on a CV 1 % row, --baseline (6 reps), candidate 3..10', [lognormal(0.01), ...GATE_ROWS.slice(1)], 0.9, adaptive, 'baseline', 6],
  ];
  power.forEach(([name, rows, ratio, plan, mode, baseReps], i) => reportGate(name, simulateGate(8100 + i, rows, ratio, plan, mode, 1000, baseReps), ratio));
});
