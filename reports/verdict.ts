// Verdicts in words: which transport wins at each point, by how much, and only when the
// difference is statistically significant (Mann-Whitney U over repetition values, by the
// same rule as compare: p <= alpha, "too few" when stats.minAchievableP is above alpha).
// Output is structured phrases; html.ts and summary.ts render them.
import { COMPARE_DEFAULTS, compareMetric, type Verdict } from '../harness/results/compare.js';
import { METRICS, workloadInfo } from '../harness/results/metrics.js';
import { baselineRank } from '../harness/results/transports.js';
import { median, minAchievableP } from '../harness/core/stats.js';
import type { ResultFile, WorkloadKind } from '../harness/results/types.js';
import { describeLink, fmtFactor, fmtP, metricShort } from './format.js';
import { cpuDetail, metricValues, pointIndexes, pointLabel, pointOf, seriesLabel, workloadOrder, type CellGroup, type Series } from './model.js';
import { CPU_BOUND_MEANING } from './style.js';

export const ALPHA = COMPARE_DEFAULTS.alpha;

/** The figures a verdict speaks about, per workload kind: each workload's headline metrics. */
export function verdictMetrics(kind: WorkloadKind): string[] {
  return [...workloadInfo(kind).headline];
}

export type Outcome = 'better' | 'worse' | 'same' | 'too-few' | 'no-data';

export interface Comparison {
  metric: string;
  subject: CellGroup;
  baseline: CellGroup;
  subjectMedian: number;
  baselineMedian: number;
  /** >= 1: how many times higher or lower the subject's median is. */
  factor: number;
  direction: 'higher' | 'lower' | 'equal';
  p: number;
  n: [number, number];
  outcome: Outcome;
}

/** Smallest equal repetition count per side that can reach alpha. */
export function repetitionsNeeded(alpha = ALPHA): number {
  let n = 1;
  while (minAchievableP(n, n) > alpha) n++;
  return n;
}

/** bench compare's verdicts (baseline first), as the subject's outcome against its baseline. */
const OUTCOME: Record<Verdict, Outcome> = {
  regression: 'worse', improvement: 'better', 'not-significant': 'same', 'within-threshold': 'same', 'too-few': 'too-few',
};

function compareGroups(subject: CellGroup, baseline: CellGroup, metric: string, alpha = ALPHA): Comparison {
  const a = metricValues(subject, metric);
  const b = metricValues(baseline, metric);
  const sm = a.length ? median(a) : NaN;
  const bm = b.length ? median(b) : NaN;
  const direction = sm > bm ? 'higher' : sm < bm ? 'lower' : 'equal';
  const factor = direction === 'higher' ? sm / bm : direction === 'lower' ? bm / sm : 1;
  const base = { metric, subject, baseline, subjectMedian: sm, baselineMedian: bm, factor, direction, n: [a.length, b.length] as [number, number] } as const;
  if (!a.length || !b.length) return { ...base, p: NaN, outcome: 'no-data' };
  // The same rule as bench compare, with no threshold: any significant difference counts.
  const c = compareMetric(metric, b, a, { alpha, thresholdPct: 0, deltaCI: false });
  return { ...base, p: c.verdict === 'too-few' ? NaN : (c.p ?? NaN), outcome: OUTCOME[c.verdict] };
}

export interface Segment {
  text: string;
  tone?: 'good' | 'bad' | 'warn' | 'muted' | 'strong';
}

export interface WorkloadVerdict {
  workload: string;
  kind: WorkloadKind;
  baseline: CellGroup | null;
  /** One phrase per other transport at this point, compared with the baseline. */
  lines: Segment[][];
}

export interface Winner {
  workload: string;
  metric: string;
  best: CellGroup | null;
  runnerUp: CellGroup | null;
  /** best vs runner-up; null when fewer than two transports have data. */
  cmp: Comparison | null;
}

export interface PointVerdict {
  point: number;
  label: string;
  link: string;
  workloads: WorkloadVerdict[];
  winners: Winner[];
  /** Some comparison here had too few repetitions for the test to reach alpha. */
  tooFew: boolean;
}

/** TCP is the reference the question is asked against; TLS when there is no plain TCP. */
function pickBaseline(groups: CellGroup[]): CellGroup | null {
  let best: CellGroup | null = null;
  for (const g of groups) if (!best || baselineRank(g.facts) < baselineRank(best.facts)) best = g;
  return best;
}

function cpuNote(g: CellGroup, label: string): Segment | null {
  if (!g.cpuBoundReps) return null;
  return { text: ` ⚠ ${label} — ${CPU_BOUND_MEANING} (${cpuDetail(g)}).`, tone: 'warn' };
}

type Compare = (subject: CellGroup, baseline: CellGroup, metric: string) => Comparison;

function subjectPhrase(s: CellGroup, b: CellGroup, metrics: string[], name: (g: CellGroup) => string, compare: Compare): Segment[] {
  const cs = metrics.map((m) => compare(s, b, m)).filter((c) => Number.isFinite(c.subjectMedian) || Number.isFinite(c.baselineMedian));
  const sn = name(s);
  const bn = name(b);
  const out: Segment[] = [{ text: sn, tone: 'strong' }];
  if (!cs.length || cs.every((c) => c.outcome === 'no-data')) {
    const missing = !s.ok.length ? sn : bn;
    out.push({ text: `: no comparison, ${missing} has no successful repetition.`, tone: 'muted' });
  } else if (cs.every((c) => c.outcome === 'too-few')) {
    const c = cs[0];
    const hint = cs.map((x) => `${metricShort(x.metric)} ${x.direction === 'equal' ? 'equal' : `${fmtFactor(x.factor)} ${x.direction}`}`).join(', ');
    out.push({ text: `: too few repetitions to tell (${c.n[0]} vs ${c.n[1]}). Medians alone: ${hint} than ${bn}'s.`, tone: 'muted' });
  } else if (cs.every((c) => c.outcome === 'same' || c.outcome === 'no-data')) {
    const ps = cs.filter((c) => c.outcome === 'same').map((c) => `${metricShort(c.metric)} ${fmtP(c.p)}`);
    out.push({ text: `: no significant difference from ${bn} (${ps.join(', ')}).` });
  } else {
    let first = true;
    cs.forEach((c, i) => {
      const sep = i === 0 ? ' ' : '; ';
      const m = metricShort(c.metric);
      if (c.outcome === 'better' || c.outcome === 'worse') {
        out.push({ text: `${sep}${m} is ` });
        out.push({ text: `${fmtFactor(c.factor)} ${c.direction}`, tone: c.outcome === 'better' ? 'good' : 'bad' });
        out.push({ text: first ? ` than ${bn}'s (${fmtP(c.p)})` : ` (${fmtP(c.p)})` });
        first = false;
      } else if (c.outcome === 'same') {
        out.push({ text: `${sep}${m}: no significant difference (${fmtP(c.p)})` });
      } else if (c.outcome === 'too-few') {
        out.push({ text: `${sep}${m}: too few repetitions to tell` });
      } else {
        out.push({ text: `${sep}${m}: no data` });
      }
    });
    out.push({ text: '.' });
  }
  for (const n of [cpuNote(s, sn), cpuNote(b, bn)]) if (n) out.push(n);
  return out;
}

function winner(groups: CellGroup[], workload: string, metric: string, compare: Compare): Winner {
  const higher = METRICS[metric]?.better === 'higher';
  const ranked = groups
    .map((g) => ({ g, v: metricValues(g, metric) }))
    .filter((x) => x.v.length > 0)
    .map((x) => ({ g: x.g, m: median(x.v) }))
    .sort((a, b) => (higher ? b.m - a.m : a.m - b.m));
  const best = ranked[0]?.g ?? null;
  const runnerUp = ranked[1]?.g ?? null;
  return { workload, metric, best, runnerUp, cmp: best && runnerUp ? compare(best, runnerUp, metric) : null };
}

/** Whether any verdict could not be reached for too few repetitions. */
export function anyTooFew(pv: PointVerdict[]): boolean {
  return pv.some((p) => p.tooFew);
}

export function computeVerdicts(result: ResultFile, groups: CellGroup[], series: Map<string, Series>, alpha = ALPHA): PointVerdict[] {
  const name = (g: CellGroup): string => seriesLabel(series, g);
  const wOrder = workloadOrder(result);
  return pointIndexes(result).map((point) => {
    const here = groups.filter((g) => g.point === point);
    let tooFew = false;
    const compare: Compare = (subject, baseline, metric) => {
      const c = compareGroups(subject, baseline, metric, alpha);
      tooFew ||= c.outcome === 'too-few';
      return c;
    };
    const workloads: WorkloadVerdict[] = [];
    const winners: Winner[] = [];
    for (const w of wOrder) {
      const gs = here.filter((g) => g.workload === w);
      if (!gs.length) continue;
      const kind = gs[0].kind;
      const metrics = verdictMetrics(kind);
      const baseline = pickBaseline(gs.filter((g) => g.ok.length > 0)) ?? pickBaseline(gs);
      const lines = baseline ? gs.filter((g) => g !== baseline).map((s) => subjectPhrase(s, baseline, metrics, name, compare)) : [];
      workloads.push({ workload: w, kind, baseline, lines });
      for (const m of metrics) winners.push(winner(gs, w, m, compare));
    }
    const p = pointOf(result, point);
    return { point, label: pointLabel(result, point), link: p ? describeLink(p.link) : '', workloads, winners, tooFew };
  });
}

/** "quic · … wins by 2.2× over tls (p=0.008)" in segments, for the verdict matrix. */
export function winnerPhrase(w: Winner, name: (g: CellGroup) => string): Segment[] {
  if (!w.best) return [{ text: 'no data', tone: 'muted' }];
  const bn = name(w.best);
  if (!w.cmp || !w.runnerUp) return [{ text: bn, tone: 'strong' }, { text: ' (only transport with data)', tone: 'muted' }];
  const rn = name(w.runnerUp);
  const c = w.cmp;
  const cpu = w.best.cpuBoundReps ? [{ text: ' ⚠ CPU-bound', tone: 'warn' as const }] : [];
  if (c.outcome === 'better' || c.outcome === 'worse') {
    return [{ text: bn, tone: 'strong' }, ...cpu, { text: ': ' }, { text: `${fmtFactor(c.factor)} ${c.direction}`, tone: 'good' }, { text: ` than ${rn} (${fmtP(c.p)})` }];
  }
  if (c.outcome === 'too-few' && c.direction !== 'equal') return [{ text: bn, tone: 'strong' }, ...cpu, { text: ` ahead of ${rn} by ${fmtFactor(c.factor)}, too few repetitions to tell`, tone: 'muted' }];
  if (c.outcome === 'too-few') return [{ text: `${bn} ≈ ${rn}`, tone: 'strong' }, { text: ' equal medians, too few repetitions to tell', tone: 'muted' }];
  return [{ text: `${bn} ≈ ${rn}`, tone: 'strong' }, { text: ` no significant difference (${fmtP(c.p)})`, tone: 'muted' }];
}
