// summary.md: the compact form of a report for CI step summaries and PR comments. Same
// verdicts and figures as the HTML report, as GitHub-flavoured Markdown, written only
// through the md tag (safe-markdown.ts): data is text, never markup.
import { median } from '../harness/core/stats.js';
import { lossEndLabel, lossUnitShort, senderLosses, sumLosses } from '../harness/results/counters.js';
import { CPU_BOUND_RULE } from '../harness/results/cpu.js';
import type { ResultFile, WorkloadKind } from '../harness/results/types.js';
import { METRICS, WORKLOAD_KINDS, workloadInfo } from '../harness/results/metrics.js';
import { describeLink, fmtDate, fmtMetric, fmtMs, fmtPct, lossOf } from './format.js';
import { appliedLoss, type AppliedLoss } from '../harness/core/link.js';
import type { LabRecord } from '../harness/core/types.js';
import { countStatuses, groupCells, labOf, metricValues, pointIndexes, pointLabel, pointOf, resultSeries, seriesLabel, workloadOrder, type CellGroup } from './model.js';
import { CPU_BOUND_MEANING } from './style.js';
import { isRealPath, linkWhere } from './real-path.js';
import { collectWarnings, problemRows } from './notices.js';
import { computeVerdicts, ruleText, verdictIntro, type Segment } from './verdict.js';
import { joinMd, md, mdCode, type Md } from './safe-markdown.js';

function segmentsMd(segs: Segment[]): Md {
  return joinMd(segs.map((s) => (s.tone === 'good' || s.tone === 'bad' || s.tone === 'strong' ? md`**${s.text.trim()}**${s.text.endsWith(' ') ? ' ' : ''}` : s.text)));
}

/** One column per headline metric of every workload kind, in registry order. */
const COLUMNS: { metric: string; kind: WorkloadKind; title: string }[] = WORKLOAD_KINDS.flatMap((kind) =>
  workloadInfo(kind).headline.map((metric) => ({ metric, kind, title: METRICS[metric].short ?? METRICS[metric].label })),
);

function statusText(gs: CellGroup[]): string {
  const cells = gs.flatMap((g) => g.cells);
  const n = countStatuses(cells);
  const rest = Object.entries(n).filter(([s, k]) => s !== 'ok' && k > 0).map(([s, k]) => `${k} ${s}`);
  return [`${n.ok}/${cells.length} ok`, ...rest].join(', ');
}

function pointTable(result: ResultFile, groups: CellGroup[], point: number): Md[] {
  const here = groups.filter((g) => g.point === point);
  const wOrder = workloadOrder(result);
  // One column per (metric, workload); the workload id only when a kind has several.
  const cols: { metric: string; workload: string; title: string }[] = [];
  for (const c of COLUMNS) {
    const ws = wOrder.filter((w) => here.some((g) => g.workload === w && g.kind === c.kind));
    for (const w of ws) cols.push({ metric: c.metric, workload: w, title: ws.length > 1 ? `${w} ${c.title}` : c.title });
  }
  const seriesKeys = [...new Set(here.map((g) => g.seriesKey))];
  const lines = [
    md`| Transport | Implementation | ${joinMd(cols.map((c) => c.title), md` | `)} | Status |`,
    md`|---|---|${joinMd(cols.map(() => md`--:`), md`|`)}|---|`,
  ];
  for (const key of seriesKeys) {
    const gs = here.filter((g) => g.seriesKey === key);
    const cells = cols.map((c) => {
      const g = gs.find((x) => x.workload === c.workload);
      if (!g) return '';
      const v = metricValues(g, c.metric);
      const why = g.ok.map((x) => x.metricsWithheld?.[c.metric]).find(Boolean);
      if (!v.length && why) return why.split(':')[0];
      if (!v.length) return g.cells.length ? g.cells[0].status : '–';
      return fmtMetric(c.metric, median(v)) + (g.cpuBoundReps ? ' ⚠ CPU-bound' : '');
    });
    lines.push(md`| ${gs[0].transport} | ${gs[0].implementation} | ${joinMd(cells, md` | `)} | ${statusText(gs)} |`);
  }
  return lines;
}

/** Configured, emulator-applied and probe-measured loss of each direction, side by side (issue 15). */
function linkLossLines(lab: LabRecord | undefined): (Md | '')[] {
  if (!lab || (!lab.measured && !lab.emulatorCounters)) return [];
  const frac = (a: AppliedLoss | null | undefined): string => (a && a.packets > 0 ? `${fmtPct((100 * a.dropped) / a.packets)} (${a.dropped}/${a.packets})` : '–');
  const out: (Md | '')[] = [md`| Loss | configured | emulator during probe | probe measured | emulator over the point |`, md`| --- | --- | --- | --- | --- |`];
  for (const which of ['uplink', 'downlink'] as const) {
    const m = lab.measured;
    const lost = which === 'uplink' ? m?.uplinkLost : m?.downlinkLost;
    const n = m ? (which === 'uplink' ? m.probes : m.probes - m.uplinkLost) : 0;
    const e = m?.lossRelativeError?.[which];
    const probe = m ? `${fmtPct(which === 'uplink' ? m.uplinkLossPct : m.downlinkLossPct)} (${lost}/${n}${typeof e === 'number' && Number.isFinite(e) ? `, ±${Math.round(e * 100)} % of it` : ''})` : 'not calibrated';
    const warned = lab.warnings.some((w) => w.code.endsWith(`-${which}`) && (w.code.startsWith('calibration-loss') || w.code.startsWith('emulator-loss')));
    out.push(md`| ${which === 'uplink' ? 'up' : 'down'}${warned ? ' ⚠' : ''} | ${lossOf(lab.configured[which])} | ${frac(m?.emulator?.[which])} | ${probe} | ${frac(appliedLoss(lab.emulatorCounters, which === 'uplink' ? 'up' : 'down'))} |`);
  }
  return [...out, ''];
}

/** Loss of each measurement's data at the end that sent it, in its unit: one line per transport and workload. */
function lossLines(result: ResultFile, groups: CellGroup[], point: number): (Md | '')[] {
  const out: Md[] = [];
  for (const g of groups.filter((x) => x.point === point)) {
    const ls = sumLosses(g.ok.flatMap((c) => senderLosses(result, c))).filter((l) => l.sent > 0);
    if (!ls.length) continue;
    const figs = ls.map((l) => `${fmtPct((100 * l.lost) / l.sent)} ${lossUnitShort(l.protocol)} at ${l.end === 'both' ? '' : 'the '}${lossEndLabel(l)}`);
    out.push(md`- ${g.transport} ${g.workload}: ${joinMd(figs, '; ')}`);
  }
  return out.length ? [md`_Lost at the sender_ (each end counts what it sent):`, '', ...out, ''] : [];
}

export function renderSummaryMarkdown(result: ResultFile): string {
  const groups = groupCells(result);
  const series = resultSeries([result]);
  const label = (g: CellGroup): string => seriesLabel(series, g);
  const sc = result.scenario;
  const sha = result.tool.gitSha ? ` (${String(result.tool.gitSha).slice(0, 12)})` : '';
  const view = computeVerdicts(result, groups, series);
  const out: (Md | '')[] = [
    md`## bench: ${sc.name} (${result.label})`,
    '',
    sc.description ? md`${sc.description}` : '',
    '',
    isRealPath(result) ? md`**Link: ${linkWhere(result)}** (measured as it is, not emulated) · kernel ${result.host.kernel} · TCP ${sc.congestionControl} · ${ruleText(view.rule)} · bench ${result.tool.version}${sha} · ${fmtDate(result.startedAt)}` :
    md`Backend ${result.backend} · kernel ${result.host.kernel} · TCP ${sc.congestionControl} · ${ruleText(view.rule)} · bench ${result.tool.version}${sha} · ${fmtDate(result.startedAt)}`,
    '',
  ];
  if (result.status !== 'complete') out.push(md`> **Run ${result.status}:** only the cells measured before it stopped are included.`, '');

  out.push(md`### Verdict`, '', md`_${verdictIntro(view)}_`, '');
  for (const p of view.points) {
    out.push(md`**${p.label}** (${p.link})`, '');
    for (const w of p.workloads) {
      const vs = w.baseline ? ` (vs ${w.baseline})` : '';
      const refs = w.references.map((r) => md`  - _${r.transport}: a reference row, not compared (${r.why})_`);
      if (!w.lines.length) out.push(md`- ${w.workload}: no comparison, only one transport ran this workload with an ok cell.`, ...refs);
      else out.push(md`- ${w.workload}${vs}:`, ...w.lines.map((l) => md`  - ${segmentsMd(l)}`), ...refs);
    }
    out.push('');
  }

  out.push(md`### Results`, '');
  for (const point of pointIndexes(result)) {
    const p = pointOf(result, point);
    const lab = labOf(result, point);
    const m = lab?.measured;
    const measured = m ? `; measured RTT ${fmtMs(m.rttMs.p50)}` : '';
    out.push(md`**${pointLabel(result, point)}**: ${p ? describeLink(p.link) : ''}${measured}`, '', ...linkLossLines(lab), ...pointTable(result, groups, point), '', ...lossLines(result, groups, point));
  }
  if (groups.some((g) => g.cpuBoundReps)) out.push(md`⚠ ${CPU_BOUND_MEANING} (flagged when ${CPU_BOUND_RULE}).`, '');

  const warnings = collectWarnings(result, groups, series);
  if (warnings.length) {
    out.push(md`### Warnings (${warnings.length})`, '');
    for (const w of warnings) {
      const where = w.where.length > 3 ? `${w.where.slice(0, 3).join(', ')} and ${w.where.length - 3} more` : w.where.join(', ');
      out.push(md`- **${w.code}** (${where}): ${w.message} _Remedy:_ ${w.remedy}`);
    }
    out.push('');
  }
  const bad = problemRows(result);
  if (bad.length) {
    const n = bad.reduce((k, r) => k + r.cells.length, 0);
    out.push(md`### Cells that did not complete (${n})`, '');
    const shown = bad.slice(0, 20);
    for (const { cells, ids } of shown) {
      const c = cells[0];
      out.push(md`- ${mdCode(ids)} **${c.status}**${cells.length > 1 ? ` ×${cells.length}` : ''}: ${c.reason ?? '(no reason recorded)'}`);
    }
    if (bad.length > shown.length) out.push(md`- … and ${bad.length - shown.length} more (see report.html)`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
