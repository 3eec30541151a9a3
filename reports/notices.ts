// Everything a reader must not miss: warnings with their remedies (recorded by the run, the
// labs and the cells, plus a few the report can tell from the data), and cells that did not
// complete, with their reasons. Failed/timeout/unsupported are results, not crashes.
import { CPU_BOUND_RULE } from '../harness/results/cpu.js';
import { cellKey } from '../harness/results/metrics.js';
import type { CellResult, ResultFile } from '../harness/results/types.js';
import type { CellStatus, Warning } from '../harness/core/types.js';
import { countStatuses, cpuDetail, pointLabel, seriesLabel, type CellGroup, type Series } from './model.js';
import { computeVerdicts } from './verdict.js';
import { badge, CPU_BOUND_MEANING, details, html, joinHtml, section, statusBadge, table, type Html, type Tone } from './style.js';

export interface NoticeRow {
  code: string;
  source: 'run' | 'lab' | 'cell' | 'report';
  where: string[];
  message: string;
  remedy: string;
}

/** All warnings, identical ones (code, message, remedy) merged with every place they apply. */
export function collectWarnings(result: ResultFile, groups: CellGroup[], series: Map<string, Series>): NoticeRow[] {
  // One row per (code, remedy): per-cell variants of a message ("client used 96% / 95% of a
  // core") are listed together rather than as a wall of near-identical rows.
  const rows = new Map<string, NoticeRow & { messages: string[] }>();
  const add = (w: Warning, source: NoticeRow['source'], where: string): void => {
    const key = `${w.code}\u0000${w.remedy}\u0000${source === 'report' ? 'r' : ''}`;
    const row = rows.get(key) ?? { code: w.code, source, where: [], message: '', messages: [], remedy: w.remedy };
    if (where && !row.where.includes(where)) row.where.push(where);
    if (!row.messages.includes(w.message)) row.messages.push(w.message);
    rows.set(key, row);
  };
  const at = (w: Warning): string => (w.cellId ?? (w.point !== undefined ? pointLabel(result, w.point) : ''));
  for (const w of result.warnings) add(w, 'run', at(w) || 'run');
  for (const l of result.labs) for (const w of l.warnings) add(w, 'lab', pointLabel(result, l.point));
  for (const c of result.cells) for (const w of c.warnings) add(w, 'cell', c.id);

  const codes = new Set([...rows.values()].map((r) => r.code));
  const cellsWarned = new Set(result.cells.filter((c) => c.warnings.some((w) => w.code === 'cpu-bound')).map((c) => c.id));
  for (const g of groups) {
    if (!g.cpuBoundReps || g.ok.every((c) => !c.cpu?.cpuBound || cellsWarned.has(c.id))) continue;
    const name = seriesLabel(series, g);
    add(
      {
        code: 'cpu-bound',
        message: `${name} ${g.workload} at ${pointLabel(result, g.point)} (${cpuDetail(g)}) — ${CPU_BOUND_MEANING} (flagged when ${CPU_BOUND_RULE}).`,
        remedy: 'Treat it as the implementation’s ceiling on this machine: compare on a faster CPU, or against another implementation.',
      },
      'report',
      cellKey(g),
    );
  }
  const view = computeVerdicts(result, groups, series);
  const open = view.points.flatMap((p) => p.matrix.flatMap((m) => m.records)).filter((r) => r.decision.verdict === 'undecided' && r.stoppedBy !== 'no-data');
  if (open.length && !codes.has('undecided')) {
    const more = view.moreReps === null ? '' : ` About ${view.moreReps} more repetition${view.moreReps === 1 ? '' : 's'} per side would likely settle ${open.length === 1 ? 'it' : 'them'} (an estimate from the spread so far).`;
    const auto = view.rule.repetitions === 'auto';
    add(
      {
        code: 'undecided',
        message: `${open.length} of ${view.total} comparisons ${open.length === 1 ? 'is' : 'are'} undecided: the data cannot tell faster, slower or same yet.${more}`,
        remedy: auto ? 'Raise max or budget under repetitions: auto in the scenario, or make the cells less noisy (longer transfers, more exchanges).' : 'Set repetitions: auto in the scenario: it adds repetitions while comparisons are undecided, within a time budget.',
      },
      'report',
      'run',
    );
  }
  return [...rows.values()].map(({ messages, ...r }) => ({
    ...r,
    message: messages.length <= 3 ? messages.join(' · ') : `${messages.slice(0, 2).join(' · ')} · and ${messages.length - 2} similar`,
  }));
}

const SOURCE_TONE: Record<NoticeRow['source'], Tone> = { run: 'info', lab: 'info', cell: 'muted', report: 'warn' };

function whereHtml(where: string[]): Html {
  const list = joinHtml(where.map((w) => html`<code>${w}</code>`), html`<br>`);
  return where.length <= 3 ? list : details(`${where.length} places`, list);
}

export function warningsSection(rows: NoticeRow[], idPrefix: string): Html {
  if (!rows.length) return html``;
  const body = table({
    caption: `${rows.length} warning${rows.length === 1 ? '' : 's'}, each with what to do about it`,
    head: ['Kind', 'Where', 'What happened', 'Remedy'],
    rows: rows.map((r) => [html`${badge(r.code, r.code === 'cpu-bound' ? 'warn' : 'info')}<br>${badge(r.source === 'report' ? 'found by report' : `from ${r.source}`, SOURCE_TONE[r.source])}`, whereHtml(r.where), r.message, r.remedy]),
    rowClass: rows.map((r) => (r.code === 'cpu-bound' ? 'cpu-bound' : undefined)),
  });
  return section(`${idPrefix}warnings`, 'Warnings', body);
}

function statusLine(result: ResultFile): Html {
  const n = countStatuses(result.cells);
  const parts = (Object.keys(n) as CellStatus[]).filter((k) => n[k] > 0 || k === 'ok').map((k) => html`${statusBadge(k)} ${n[k]}`);
  return joinHtml(parts, html` &nbsp; `);
}

/** Repetitions that failed the same way, as one row: "0/udp/bulk/{0,1,2}". */
export interface ProblemRow {
  cells: CellResult[];
  ids: string;
}

export function problemRows(result: ResultFile): ProblemRow[] {
  const by = new Map<string, CellResult[]>();
  for (const c of result.cells) {
    if (c.status === 'ok') continue;
    const key = [c.point, c.transport, c.implementation, c.workload, c.status, c.reason ?? ''].join('\u0000');
    by.set(key, [...(by.get(key) ?? []), c]);
  }
  return [...by.values()].map((cells) => {
    const c = cells[0];
    const reps = cells.map((x) => x.repetition);
    return { cells, ids: `${cellKey(c)}/${reps.length > 1 ? `{${reps.join(',')}}` : reps[0]}` };
  });
}

export function problemsSection(result: ResultFile, idPrefix: string): Html {
  const groups = problemRows(result);
  if (!groups.length) return html``;
  const rows = groups.map(({ cells, ids }) => {
    const c = cells[0];
    const withLogs = cells.find((x) => x.logs && Object.keys(x.logs).length);
    const logs = withLogs?.logs
      ? details(`process output${cells.length > 1 ? ` (repetition ${withLogs.repetition})` : ''}`, Object.entries(withLogs.logs).map(([k, v]) => html`<p><b>${k}</b></p><pre>${v}</pre>`))
      : '';
    return [
      html`<code>${ids}</code>`,
      pointLabel(result, c.point),
      html`<b>${c.transport}</b>`,
      c.implementation,
      c.workload,
      html`${statusBadge(c.status)}${cells.length > 1 ? ` ×${cells.length}` : ''}`,
      html`${c.reason ?? '(no reason recorded)'}${logs}`,
    ];
  });
  const intro = html`<p>${statusLine(result)}. <span class="muted">Unsupported means the transport cannot run that workload (not a failure); failed and timeout cells are left out of every statistic and verdict.</span></p>`;
  return section(
    `${idPrefix}problems`,
    'Cells that did not complete',
    html`${intro}${table({ head: ['Cells', 'Point', 'Transport', 'Implementation', 'Workload', 'Status', 'Reason'], rows, rowClass: groups.map((g) => (g.cells[0].status === 'failed' ? 'regression' : undefined)) })}`,
  );
}
