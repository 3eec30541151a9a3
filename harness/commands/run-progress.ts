// The progress view: subscribes to the engine's events and draws on stderr. On a TTY one
// live line (cells done, current cell, decided k of n, time left); otherwise one plain
// line per cell. After each look, one line: decided k of n, and the budget left.
import { fmtDuration, fmtMetric, metricShort } from '../../reports/format.js';
import { groupCells, metricValues, pointLabel, resultSeries } from '../../reports/model.js';
import { computeVerdicts, ruleText, verdictMetrics, type Segment } from '../../reports/verdict.js';
import type { LookInfo, RunEngine } from '../run/engine.js';
import type { PointRounds } from '../results/verdict-types.js';
import { METRICS } from '../results/metrics.js';
import { median } from '../core/stats.js';
import type { CellResult, ResultFile } from '../results/types.js';
import type { WorkloadKind } from '../workloads/index.js';
import { terminalLine } from '../core/text.js';

/** The figures a verdict speaks about ("p50 51.2 ms p99 60.4 ms", "goodput 2.91 Mbit/s"), as the reports format them. */
function verdictFigures(kind: WorkloadKind, value: (metric: string) => number | undefined): string {
  // A headline metric's fallback is shown beside it (steady-state and whole-transfer goodput).
  return [...new Set(verdictMetrics(kind).flatMap((m) => [m, METRICS[m]?.fallback ?? m]))]
    .map((m) => ({ m, v: value(m) }))
    .filter((x): x is { m: string; v: number } => x.v !== undefined && Number.isFinite(x.v))
    .map(({ m, v }) => `${metricShort(m)} ${fmtMetric(m, v)}`)
    .join(' ');
}

/** "decided 9 of 12 (3 open, ~2 more rounds)" for the run's comparisons, or the gate's rows with --baseline. */
function decidedText(i: LookInfo): string {
  const t = i.gate ?? i.verdicts;
  const what = i.gate ? 'rows against the baseline' : 'comparisons';
  const open = t.total - t.decided;
  const more = open && t.roundsLeft > 0 ? `, ${t.settleWithin} likely to settle within the plan's ${t.roundsLeft} more round${t.roundsLeft === 1 ? '' : 's'}` : '';
  return `decided ${t.decided} of ${t.total} ${what}${open ? ` (${open} open${more})` : ''}`;
}

const STOPPED: Record<PointRounds['stoppedBy'], string> = {
  'all-decided': 'every comparison decided',
  'max-reps': 'the plan\'s last look reached',
  budget: 'the time budget would be exceeded by another round',
  interrupted: 'interrupted',
  failed: 'the point failed',
};

export function attachProgress(engine: RunEngine, out: NodeJS.WriteStream): () => void {
  const tty = out.isTTY === true;
  const t0 = Date.now();
  let last = '';
  let status = '';
  const auto = engine.rule.repetitions === 'auto';
  const onStart = (i: { point: number; transport: string; workload: string; repetition: number; done: number; total: number }): void => {
    if (!tty) return;
    const elapsed = (Date.now() - t0) / 1000;
    // With auto repetitions the total is the first look's; later rounds are open-ended.
    const eta = !auto && i.done > 0 ? Math.round((elapsed / i.done) * (i.total - i.done)) : null;
    const count = auto ? `${i.done} cells` : `${i.done}/${i.total}`;
    last = terminalLine(`[${count}] point ${i.point} ${i.transport} ${i.workload} rep ${i.repetition}${eta === null ? '' : `  ETA ${eta}s`}${status ? `  ${status}` : ''}`);
    out.write(`\r\x1b[K${last.slice(0, (out.columns ?? 100) - 1)}`);
  };
  const onLook = (i: LookInfo): void => {
    const left = i.budgetLeftMs === null ? '' : `; ${fmtDuration(i.budgetLeftMs)} of the budget left`;
    status = `${decidedText(i)}${left}`;
    out.write(`${tty ? '\r\x1b[K' : ''}look ${i.look + 1} after ${i.round} repetition${i.round === 1 ? '' : 's'} at point ${i.point}: ${status}\n`);
  };
  const onStopped = (p: PointRounds): void => {
    if (!auto) return;
    out.write(`${tty ? '\r\x1b[K' : ''}point ${p.point}: ${p.rounds} rounds in ${fmtDuration(p.elapsedMs)}; stopped: ${STOPPED[p.stoppedBy]}\n`);
  };
  const onCell = (c: CellResult, p: { done: number; total: number }): void => {
    const flag = `${c.cpu?.cpuBound ? ' [CPU-bound]' : ''}${c.host?.contended ? ' [host contended]' : ''}`;
    // Reasons quote subjects' output: control characters are shown, not sent to the terminal.
    const line = terminalLine(`[${auto ? p.done : `${p.done}/${p.total}`}] ${c.status.padEnd(11)} ${c.transport.padEnd(13)} ${c.workload} rep ${c.repetition}: ${c.status === 'ok' ? verdictFigures(c.kind, (m) => c.metrics[m]) : (c.reason ?? '')}${flag}`);
    out.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  };
  const onWarn = (w: { message: string; remedy: string }): void => {
    out.write(`${tty ? '\r\x1b[K' : ''}${terminalLine(`warning: ${w.message} (${w.remedy})`)}\n`);
  };
  engine.on('cellStart', onStart);
  engine.on('cell', onCell);
  engine.on('look', onLook);
  engine.on('stopped', onStopped);
  engine.on('warning', onWarn);
  return () => {
    engine.off('cellStart', onStart);
    engine.off('cell', onCell);
    engine.off('look', onLook);
    engine.off('stopped', onStopped);
    engine.off('warning', onWarn);
    if (tty && last) out.write('\r\x1b[K');
  };
}

const plain = (segs: Segment[]): string => segs.map((x) => x.text).join('');

/**
 * The marks of a median over ok repetitions, each saying how many of them it describes
 * ("[CPU-bound in 1 of 3 reps]"): a median may come from an unmarked repetition, so a bare
 * mark would overstate it (issue 15 item 4).
 */
export function marks(ok: readonly CellResult[]): string {
  const of = (n: number, what: string): string => (n ? ` [${what}${n === ok.length ? (ok.length === 1 ? '' : ` in all ${n} reps`) : ` in ${n} of ${ok.length} reps`}]` : '');
  return of(ok.filter((c) => c.cpu?.cpuBound).length, 'CPU-bound') + of(ok.filter((c) => c.host?.contended).length, 'host contended');
}

/**
 * One line per measurement (point x transport x workload): each verdict metric's median over
 * the ok repetitions, or why there is none; CPU-bound and host-contended marks with how many
 * of those repetitions they describe. Then the
 * verdicts: each transport against the baseline, faster / slower / same / undecided.
 */
export function printSummary(r: ResultFile, out: NodeJS.WritableStream): void {
  out.write(`\n${terminalLine(`summary (${r.scenario.name}, medians over repetitions)`)}\n`);
  out.write(`${'point'.padEnd(22)} ${'transport'.padEnd(13)} ${'workload'.padEnd(28)} ${'ok'.padEnd(5)} result\n`);
  const groups = groupCells(r);
  for (const g of groups) {
    const what = g.ok.length
      ? verdictFigures(g.kind, (m) => {
          const v = metricValues(g, m);
          return v.length ? median(v) : undefined;
        })
      : (g.cells.find((c) => c.reason)?.reason ?? g.cells[0].status);
    const ok = `${g.ok.length}/${g.cells.length}`;
    out.write(`${terminalLine(`${pointLabel(r, g.point).slice(0, 22).padEnd(22)} ${g.transport.padEnd(13)} ${g.workload.slice(0, 28).padEnd(28)} ${ok.padEnd(5)} ${what}${marks(g.ok)}`)}\n`);
  }
  const view = computeVerdicts(r, groups, resultSeries([r]));
  out.write(`\nverdicts (${ruleText(view.rule)}; alpha ${view.rule.alpha} per comparison, same = within ±${view.rule.marginPct} %): decided ${view.decided} of ${view.total}\n`);
  for (const p of view.points) {
    for (const w of p.workloads) {
      if (!w.lines.length) continue;
      out.write(`${terminalLine(`${p.label} ${w.workload} vs ${w.baseline}:`)}\n`);
      for (const l of w.lines) out.write(`  ${terminalLine(plain(l))}\n`);
    }
  }
}
