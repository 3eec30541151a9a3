// Verdicts in words (issue 13): at each point, each transport against the point's baseline
// transport (tcp, else tls) on each headline metric, as one of four answers: faster,
// slower, same (within the stated margin) or undecided (with about how many more
// repetitions would settle it). The delta and its interval are always shown. The decisions
// are the run's own (harness/results/run-verdicts.ts: recorded by the run under its
// stopping rule, or, for an older file, decided in one look); nothing here tests anything.
// Output is structured phrases; html.ts, summary.ts and the terminal summary render them.
import type { Decision } from '../harness/results/decide.js';
import { workloadInfo } from '../harness/results/metrics.js';
import { runVerdicts, type ComparisonRecord, type RunVerdicts, type StoppingRule } from '../harness/results/run-verdicts.js';
import type { ResultFile, WorkloadKind } from '../harness/results/types.js';
import { describeLink, fmtDuration, metricShort, sigTrim } from './format.js';
import { cpuDetail, pointIndexes, pointLabel, pointOf, seriesLabel, workloadOrder, type CellGroup, type Series } from './model.js';
import { CPU_BOUND_MEANING } from './style.js';

/** The figures a verdict speaks about, per workload kind: each workload's headline metrics. */
export function verdictMetrics(kind: WorkloadKind): string[] {
  return [...workloadInfo(kind).headline];
}

export interface Segment {
  text: string;
  tone?: 'good' | 'bad' | 'warn' | 'muted' | 'strong';
}

export interface WorkloadVerdict {
  workload: string;
  kind: WorkloadKind;
  /** The transport the others were compared with; null when none could anchor a comparison. */
  baseline: string | null;
  /** One phrase per compared transport. */
  lines: Segment[][];
  /** Transports shown but never compared (reference rows), with why. */
  references: { transport: string; why: string }[];
}

/** Per point and metric: each compared transport's answer, for the matrix. */
export interface MatrixCell {
  workload: string;
  metric: string;
  baseline: string;
  records: ComparisonRecord[];
}

export interface PointVerdict {
  point: number;
  label: string;
  link: string;
  workloads: WorkloadVerdict[];
  matrix: MatrixCell[];
}

export interface RunVerdictView {
  rule: StoppingRule;
  points: PointVerdict[];
  decided: number;
  total: number;
  /** Largest "~N more repetitions" among the undecided; null when one has no estimate or none is undecided. */
  moreReps: number | null;
}

/** "+12", "-3.1", "+0.4": two significant digits, with its sign. */
const signed = (v: number): string => `${v >= 0 ? '+' : '-'}${sigTrim(Math.abs(v), 2)}`;

/** "+12 %", or "–" when there is no relative change (baseline 0, no data). */
export function fmtDelta(d: Decision): string {
  return d.deltaPct === null ? '–' : `${signed(d.deltaPct)} %`;
}

/** "[+3.1, +21] % at 97.9 %", or "" without an interval. */
export function fmtInterval(d: Decision): string {
  if (!d.ciPct) return '';
  const level = +(100 * d.ciLevel).toPrecision(4);
  return `[${signed(d.ciPct[0])}, ${signed(d.ciPct[1])}] % (${level} % CI)`;
}

/** "+12 % [+3.1, +21] % (97.9 % CI)". */
export function fmtChange(d: Decision): string {
  const ci = fmtInterval(d);
  return ci ? `${fmtDelta(d)} ${ci}` : fmtDelta(d);
}

/** Why an undecided comparison stopped, and what would settle it. */
export function openWhy(r: Pick<ComparisonRecord, 'decision' | 'stoppedBy'>): string {
  const d = r.decision;
  const more = d.moreRepsNeeded === null ? 'no estimate of the repetitions it needs' : `~${d.moreRepsNeeded} more repetition${d.moreRepsNeeded === 1 ? '' : 's'} would likely settle it`;
  const reps = d.n[0] === d.n[1] ? `${d.n[0]} repetitions a side` : `${d.n[0]} and ${d.n[1]} repetitions`;
  const stop =
    r.stoppedBy === 'budget'
      ? `time budget spent at ${reps}`
      : r.stoppedBy === 'max-reps'
        ? `after ${reps}`
        : r.stoppedBy === 'futile'
          ? `stopped early at ${reps}: it needs more than 10x the repetitions the plan had left`
          : r.stoppedBy === 'interrupted'
            ? `run interrupted at ${reps}`
            : '';
  return [stop, more].filter(Boolean).join('; ');
}

/**
 * One comparison as a phrase about B (`subject`) against A (`base`): the answer, the
 * delta and its interval always, and for an undecided one why it stopped and "~N more".
 */
export function decisionSegments(r: ComparisonRecord, base: string, subject: string, marginPct: number, withheld: string | null): Segment[] {
  const d = r.decision;
  const m = metricShort(r.metric);
  if (r.stoppedBy === 'no-data') {
    const why = withheld ?? `no ok repetition of ${d.n[1] === 0 ? subject : base}`;
    return [{ text: `${m}: ` }, { text: `no data (${why})`, tone: 'muted' }];
  }
  const change = fmtChange(d);
  switch (d.verdict) {
    case 'faster':
    case 'slower':
      return [{ text: `${m} ` }, { text: d.verdict, tone: d.verdict === 'faster' ? 'good' : 'bad' }, { text: ` than ${base}'s: ${change}` }];
    case 'same':
      return [{ text: `${m} ` }, { text: `same as ${base}'s within ±${marginPct} %`, tone: 'strong' }, { text: `: ${change}` }];
    case 'undecided':
      return [{ text: `${m} ` }, { text: 'undecided', tone: 'warn' }, { text: `: ${change}; ${openWhy(r)}` }];
  }
}

function cpuNote(g: CellGroup | undefined, label: string): Segment | null {
  if (!g?.cpuBoundReps) return null;
  return { text: ` ⚠ ${label} — ${CPU_BOUND_MEANING} (${cpuDetail(g)}).`, tone: 'warn' };
}

/** The withheld reason of a metric in a measurement's cells ("n too small: ..."), if any. */
function withheldOf(gs: (CellGroup | undefined)[], metric: string): string | null {
  for (const g of gs) for (const c of g?.ok ?? []) if (c.metricsWithheld?.[metric]) return c.metricsWithheld[metric];
  return null;
}

/** The verdicts of a run for rendering: the recorded (or recomputed) decisions, by point and workload. */
export function computeVerdicts(result: ResultFile, groups: CellGroup[], series: Map<string, Series>): RunVerdictView {
  const v: RunVerdicts = runVerdicts(result);
  const groupOf = (point: number, transport: string, workload: string): CellGroup | undefined =>
    groups.find((g) => g.point === point && g.transport === transport && g.workload === workload);
  const name = (point: number, transport: string, workload: string): string => {
    const g = groupOf(point, transport, workload);
    return g ? seriesLabel(series, g) : transport;
  };
  const points = pointIndexes(result).map((point): PointVerdict => {
    const recs = v.comparisons.filter((c) => c.point === point);
    const workloads: WorkloadVerdict[] = [];
    const matrix: MatrixCell[] = [];
    for (const w of workloadOrder(result)) {
      const here = groups.filter((g) => g.point === point && g.workload === w);
      if (!here.length) continue;
      const rs = recs.filter((c) => c.workload === w);
      const baseline = rs[0]?.baseline ?? null;
      const subjects = [...new Set(rs.map((r) => r.transport))];
      const lines = subjects.map((t) => {
        const sn = name(point, t, w);
        const bn = baseline ? name(point, baseline, w) : '';
        const out: Segment[] = [{ text: sn, tone: 'strong' }, { text: ': ' }];
        rs.filter((r) => r.transport === t).forEach((r, i) => {
          if (i > 0) out.push({ text: '; ' });
          out.push(...decisionSegments(r, bn, sn, v.rule.marginPct, withheldOf([groupOf(point, t, w), groupOf(point, r.baseline, w)], r.metric)));
        });
        out.push({ text: '.' });
        for (const n of [cpuNote(groupOf(point, t, w), sn), cpuNote(baseline ? groupOf(point, baseline, w) : undefined, bn)]) if (n) out.push(n);
        return out;
      });
      const references = here
        .filter((g) => g.facts?.reference && g.cells.some((c) => c.status !== 'unsupported'))
        .map((g) => ({ transport: seriesLabel(series, g), why: g.facts!.reference! }));
      workloads.push({ workload: w, kind: here[0].kind, baseline: baseline ? name(point, baseline, w) : null, lines, references });
      for (const metric of [...new Set(rs.map((r) => r.metric))]) matrix.push({ workload: w, metric, baseline: name(point, baseline!, w), records: rs.filter((r) => r.metric === metric) });
    }
    const p = pointOf(result, point);
    return { point, label: pointLabel(result, point), link: p ? describeLink(p.link) : '', workloads, matrix };
  });
  const open = v.comparisons.filter((c) => c.decision.verdict === 'undecided' && c.stoppedBy !== 'no-data');
  const moreReps = open.length ? open.reduce<number | null>((m, c) => (m === null || c.decision.moreRepsNeeded === null ? null : Math.max(m, c.decision.moreRepsNeeded)), 0) : null;
  return { rule: v.rule, points, decided: v.comparisons.filter((c) => c.stoppedBy === 'decided').length, total: v.comparisons.length, moreReps };
}

/** The matrix cell: transports decided faster (by delta), then same, slower, undecided; a transport is named ahead only when decided. */
export function matrixSegments(cell: MatrixCell, name: (transport: string) => string): Segment[] {
  const by = (verdict: Decision['verdict']): ComparisonRecord[] => cell.records.filter((r) => r.decision.verdict === verdict && r.stoppedBy !== 'no-data');
  const faster = by('faster').sort((a, b) => Math.abs(b.decision.deltaPct ?? 0) - Math.abs(a.decision.deltaPct ?? 0));
  const parts: Segment[][] = [];
  const named = (rs: ComparisonRecord[], tone: Segment['tone'], withDelta: boolean): Segment[] =>
    rs.flatMap((r, i) => [{ text: `${i ? ', ' : ''}${name(r.transport)}`, tone }, ...(withDelta ? [{ text: ` ${fmtDelta(r.decision)}` }] : [])]);
  const group = (label: string, rs: ComparisonRecord[], tone: Segment['tone'], withDelta: boolean): void => {
    if (rs.length) parts.push([{ text: `${label}: `, tone: 'muted' }, ...named(rs, tone, withDelta)]);
  };
  if (faster.length === 1) parts.push([{ text: name(faster[0].transport), tone: 'strong' }, { text: ` beats ${cell.baseline}: ` }, { text: fmtChange(faster[0].decision), tone: 'good' }]);
  else group(`faster than ${cell.baseline}`, faster, 'good', true);
  const undecided = by('undecided');
  if (!faster.length && cell.records.length && !undecided.length && cell.records.every((r) => r.stoppedBy !== 'no-data')) parts.push([{ text: `none beats ${cell.baseline}`, tone: 'strong' }]);
  group('same', by('same'), undefined, false);
  group('slower', by('slower'), 'bad', true);
  group('undecided', undecided, 'warn', true);
  group('no data', cell.records.filter((r) => r.stoppedBy === 'no-data'), 'muted', false);
  return parts.flatMap((p, i) => (i ? [{ text: '; ' }, ...p] : p));
}

/** "3..10 repetitions, adaptive, budget 5 min" or "3 repetitions (fixed)": the stopping rule in words. */
export function ruleText(rule: StoppingRule): string {
  if (rule.repetitions === 'fixed') return `${rule.minReps} repetitions (fixed, one look)`;
  return `${rule.minReps}..${rule.maxReps} repetitions, added while undecided${rule.budgetMs !== null ? `, budget ${fmtDuration(rule.budgetMs)}` : ''}`;
}

/** The paragraph every verdict section opens with: what is compared, how, and what the words mean. */
export function verdictIntro(view: RunVerdictView): string {
  const r = view.rule;
  return (
    `Each transport is compared with the point's baseline (tcp, else tls) on each workload's headline metrics: ` +
    `faster, slower, same (the whole interval within ±${r.marginPct} %) or undecided, by Welch's t on log values over repetitions, ` +
    `alpha ${r.alpha} per comparison over all its looks (VERDICTS.md). Stopping rule: ${ruleText(r)}. ` +
    `Deltas are ratios of geometric means with their interval. Failed, timeout and unsupported cells take no part. ` +
    `Decided ${view.decided} of ${view.total}.`
  );
}
