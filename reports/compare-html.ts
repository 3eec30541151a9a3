// Rendering of a comparison (harness/compare.ts). The row model below is shared by the
// terminal table, Markdown and HTML, so the three outputs always show the same figures;
// renderers are pure functions of the Comparison (STYLE: hyperfine's exporters).
import { CPU_BOUND_RULE } from '../harness/results/cpu.js';
import type { Comparison, GroupRef, LostGroup, MetricComparison, NotOkGroup, RunRef } from '../harness/results/compare.js';
import { lossEndLabel, lossUnit, type SenderLoss } from '../harness/results/counters.js';
import { METRICS } from '../harness/results/metrics.js';
import { fmtDate, fmtMetric, fmtP, fmtPct, sig } from './format.js';
import { badge, cpuMark, html, htmlDocument, note, section, table, type Html, type HtmlValue, type Tone } from './style.js';
import { fmtDelta } from './verdict.js';

export type RowKind = 'regression' | 'improvement' | 'within' | 'same' | 'undecided';

export interface Row {
  point: string;
  transport: string;
  workload: string;
  metric: string;
  baseline: string;
  candidate: string;
  /** Relative change (ratio of geometric means), always shown: "+20 %", "-3.1 %". */
  delta: string;
  /** Its interval, "[+12, +29] %"; empty when none exists. */
  ci: string;
  p: string;
  n: string;
  verdict: string;
  kind: RowKind;
  /** Plain transport name and the sides on which it was CPU-bound ("" when neither), for HTML marks. */
  transportName: string;
  cpuSides: string;
}

export const COLUMNS: readonly [keyof Row, string][] = [
  ['point', 'point'], ['transport', 'transport'], ['workload', 'workload'], ['metric', 'metric'],
  ['baseline', 'baseline'], ['candidate', 'candidate'], ['delta', 'delta'], ['ci', 'CI of delta'],
  ['p', 'p'], ['n', 'n'], ['verdict', 'verdict'],
];

/** Right-aligned in every renderer. */
export const NUMERIC_COLUMNS: ReadonlySet<keyof Row> = new Set<keyof Row>(['baseline', 'candidate', 'delta', 'ci', 'p', 'n']);

const signed = (v: number): string => `${v > 0 ? '+' : v < 0 ? '-' : '±'}${sig(Math.abs(v))}`;

/** "50.2 ms ±3%": median and the half-width of its CI, shown only when that reaches 95 % (n >= 6). */
function fmtSide(m: MetricComparison, side: 'baseline' | 'candidate'): string {
  const s = m[side];
  if (s.median === null) return '–';
  const v = fmtMetric(m.metric, s.median);
  if (!s.ci || s.ci.confidence < 0.95 || s.median === 0) return v;
  const half = Math.max(s.ci.hi - s.median, s.median - s.ci.lo) / Math.abs(s.median);
  return `${v} ±${sig(half * 100, 2)}%`;
}

function verdictText(m: MetricComparison, thresholdPct: number): string {
  const d = m.decision;
  switch (m.verdict) {
    case 'regression':
      return 'REGRESSION';
    case 'improvement':
      return 'improvement';
    case 'within-threshold':
      return `${d.verdict}, within ${thresholdPct}%`;
    case 'same':
      return `same (±${thresholdPct}%)`;
    case 'undecided':
      return d.moreRepsNeeded === null ? 'undecided' : `undecided (~${d.moreRepsNeeded} more)`;
  }
}

const KIND: Record<MetricComparison['verdict'], RowKind> = {
  regression: 'regression', improvement: 'improvement', 'within-threshold': 'within', same: 'same', undecided: 'undecided',
};

/** The interval of a row; a recorded decision's own level is stated, since it differs from the family's. */
function fmtCi(m: MetricComparison): string {
  const ci = m.decision.ciPct;
  if (!ci) return '';
  return `[${signed(ci[0])}, ${signed(ci[1])}]%${m.recorded ? ` @${+(100 * m.decision.ciLevel).toPrecision(4)}%` : ''}`;
}

export function rowsOf(c: Comparison): Row[] {
  const rows: Row[] = [];
  for (const g of c.groups) {
    const cpuSides = (['baseline', 'candidate'] as const).filter((s) => g.cpuBound[s]).join('+');
    for (const m of g.metrics) {
      rows.push({
        point: g.point.label,
        transport: cpuSides ? `${g.transport} [CPU-bound: ${cpuSides}]` : g.transport,
        workload: g.workload,
        metric: m.standsInFor ? `${m.label} (for ${METRICS[m.standsInFor]?.label ?? m.standsInFor})` : m.label,
        baseline: fmtSide(m, 'baseline'),
        candidate: fmtSide(m, 'candidate'),
        delta: fmtDelta(m.decision).replace(' %', '%'),
        ci: fmtCi(m),
        p: m.decision.p === null ? '' : fmtP(m.decision.p),
        n: `${m.decision.n[0]}+${m.decision.n[1]}`,
        verdict: verdictText(m, c.options.thresholdPct),
        kind: KIND[m.verdict],
        transportName: g.transport,
        cpuSides,
      });
    }
  }
  return rows;
}

export function runLine(r: RunRef): string {
  const sha = r.gitSha ? ` ${r.gitSha.slice(0, 10)}` : '';
  return `"${r.label}" (bench ${r.toolVersion}${sha}, ${r.backend} on ${r.hostname}, ${fmtDate(r.startedAt)})`;
}

export function summaryLine(c: Comparison): string {
  const s = c.summary;
  const parts = [
    `${s.regression} regression${s.regression === 1 ? '' : 's'}`,
    `${s.improvement} improvement${s.improvement === 1 ? '' : 's'}`,
    `${s['within-threshold']} within ${c.options.thresholdPct}%`,
    `${s.same} same`,
    `${s.undecided} undecided`,
  ];
  const lost = c.lost.length ? `; ${c.lost.length} measurement${c.lost.length === 1 ? '' : 's'} lost` : '';
  return `${parts.join(', ')}${lost} (${c.family.rows} row${c.family.rows === 1 ? '' : 's'} at alpha ${c.options.alpha}/${c.family.rows})`;
}

/** Only the lines that explain something present in this comparison. */
export function legend(c: Comparison): string[] {
  const { rows, alphaPerRow } = c.family;
  const level = +(100 * (1 - alphaPerRow)).toPrecision(4);
  const out = [
    `Each row is decided by Welch's t on log values over repetitions (VERDICTS.md) at alpha ${c.options.alpha}/${rows} = ${+alphaPerRow.toPrecision(3)}, so that an unchanged candidate fails this gate with a chance of at most ${c.options.alpha} over all ${rows} rows (Bonferroni).`,
    `delta: ratio of the geometric means, with its ${level}% interval. REGRESSION / improvement: decided slower / faster by more than ${c.options.thresholdPct}%; same: the whole interval within ±${c.options.thresholdPct}%.`,
  ];
  if (c.summary.undecided > 0) out.push('undecided: the interval reaches past the threshold and contains 0; "~N more" is about how many more candidate repetitions would likely settle it (an estimate from the spread so far; none when the baseline\'s own spread is too wide for any).');
  if (c.groups.some((g) => g.metrics.some((m) => m.recorded))) out.push('@level: a row decided by the candidate run itself at one of its looks against this baseline (bench run --baseline), at that look\'s level.');
  out.push('baseline / candidate: the median, ± the half-width of its 95% CI (shown from 6 repetitions).');
  if (c.groups.some((g) => g.cpuBound.baseline || g.cpuBound.candidate)) {
    out.push(`CPU-bound: ${CPU_BOUND_RULE}, so the figure measures the CPU, not the link.`);
  }
  return out;
}

export const groupName = (g: GroupRef): string => `${g.point.label} ${g.transport} ${g.workload}`;

export function lostLine(l: LostGroup): string {
  return `${groupName(l)}: ${l.why}`;
}

export function notOkLine(n: NotOkGroup): string {
  const counts = Object.entries(n.counts).map(([s, k]) => `${k} ${s}`).join(', ');
  return `${n.side}: ${groupName(n)}: ${counts} of ${n.total} (${n.reasons.join('; ')})`;
}

/**
 * Loss of each compared group's data at the end that sent it, baseline -> candidate, with
 * its unit: context for a figure, never judged.
 */
export function lossLines(c: Comparison): string[] {
  const out: string[] = [];
  for (const g of c.groups) {
    const { baseline: b, candidate: a } = g.losses;
    const keys = [...new Set([...b, ...a].map((l) => `${lossEndLabel(l)}, ${lossUnit(l.protocol)}`))];
    for (const k of keys) {
      const side = (ls: SenderLoss[]): string => {
        const l = ls.find((x) => `${lossEndLabel(x)}, ${lossUnit(x.protocol)}` === k);
        return l ? fmtPct((100 * l.lost) / l.sent) : '–';
      };
      out.push(`${groupName(g)}: ${side(b)} -> ${side(a)} (${k})`);
    }
  }
  return out;
}

/** Transports whose implementation is named, per side (every QUIC figure must name its implementation). */
export function implementationLines(c: Comparison): string[] {
  const seen = new Map<string, string>();
  for (const g of c.groups) {
    const { baseline: b, candidate: a } = g.implementation;
    seen.set(`${g.transport}: ${b === a ? b : `${b} -> ${a}`}`, g.transport);
  }
  return [...seen.keys()];
}

// ------------------------------------------------------------------ HTML

const VERDICT_TONE: Record<RowKind, Tone> = { regression: 'bad', improvement: 'ok', within: 'info', same: 'muted', undecided: 'warn' };

function list(items: string[]): Html {
  return html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;
}

function metricsTable(c: Comparison): Html {
  const rows = rowsOf(c);
  if (rows.length === 0) return note('warn', 'No cells in common: nothing was compared.');
  const cell = (r: Row, k: keyof Row): HtmlValue => {
    if (k === 'verdict') return badge(r.verdict, VERDICT_TONE[r.kind]);
    if (k === 'transport') return html`${r.transportName}${r.cpuSides ? html` ${cpuMark(`${r.cpuSides} run`)}` : ''}`;
    return r[k];
  };
  return table({
    head: COLUMNS.map(([, h]) => h),
    rows: rows.map((r) => COLUMNS.map(([k]) => cell(r, k))),
    numeric: COLUMNS.map(([k], i) => (NUMERIC_COLUMNS.has(k) ? i : -1)).filter((i) => i >= 0),
    rowClass: rows.map((r) => (r.kind === 'regression' || r.kind === 'improvement' ? r.kind : r.cpuSides ? 'cpu-bound' : undefined)),
  });
}

/** One self-contained HTML file in the run report's look (reports/style.ts), no scripts needed. */
export function renderCompareHtml(c: Comparison, files: { baseline: string; candidate: string }): string {
  const fact = (k: string, v: string): Html => html`<div><b>${k}</b>${v}</div>`;
  const tone: Tone = c.outcome === 'regression' ? 'bad' : c.outcome === 'undecided' ? 'warn' : 'ok';
  const parts: Html[] = [
    html`<h1>bench compare: ${c.baseline.label} → ${c.candidate.label}</h1>`,
    html`<p class="subtitle">scenario ${c.baseline.scenario} · threshold ${c.options.thresholdPct}% · alpha ${c.options.alpha}</p>`,
    html`<div class="facts">${[
      fact('baseline', `${files.baseline}: ${runLine(c.baseline)}`),
      fact('candidate', `${files.candidate}: ${runLine(c.candidate)}`),
      fact('scenario sha256', `${c.baseline.scenarioSha256.slice(0, 12)}${c.candidate.scenarioSha256 !== c.baseline.scenarioSha256 ? ` vs ${c.candidate.scenarioSha256.slice(0, 12)}` : ''}`),
    ]}</div>`,
    note(tone, html`<b>${summaryLine(c)}</b>`),
  ];
  if (c.overridden.length) parts.push(note('warn', html`Compared despite (--force):${list(c.overridden)}`));
  if (c.lost.length) parts.push(section('lost', 'Lost measurements (fail the gate)', list(c.lost.map(lostLine))));
  parts.push(section('metrics', 'Metrics', html`${metricsTable(c)}<div class="muted">${list(legend(c))}</div>`));
  const impl = implementationLines(c);
  if (impl.length) parts.push(section('implementations', 'Implementations', list(impl)));
  const losses = lossLines(c);
  if (losses.length) parts.push(section('losses', 'Lost at the sender', `<p class="muted">Each end counts what it sent: a download's loss at the server, an upload's at the client, an echo's at both.</p>${list(losses)}`));
  if (c.onlyInBaseline.length) parts.push(section('only-baseline', 'Only in baseline', list(c.onlyInBaseline.map(groupName))));
  if (c.onlyInCandidate.length) parts.push(section('only-candidate', 'Only in candidate', list(c.onlyInCandidate.map(groupName))));
  if (c.notOk.length) parts.push(section('not-ok', 'Cells not ok', list(c.notOk.map(notOkLine))));
  if (c.notes.length) parts.push(section('notes', 'Notes', list(c.notes)));
  return htmlDocument({ title: `bench compare: ${c.baseline.label} vs ${c.candidate.label}`, body: parts.map((p) => html`${p}\n`) });
}
