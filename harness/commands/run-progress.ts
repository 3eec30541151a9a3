// The progress view: subscribes to the engine's events and draws on stderr. On a TTY one
// live line (cells done/total, current cell, ETA); otherwise one plain line per cell.
import { fmtMetric, metricShort } from '../../reports/format.js';
import { groupCells, metricValues, pointLabel } from '../../reports/model.js';
import { verdictMetrics } from '../../reports/verdict.js';
import type { RunEngine } from '../run/engine.js';
import { median } from '../core/stats.js';
import type { CellResult, ResultFile } from '../results/types.js';
import type { WorkloadKind } from '../workloads/index.js';
import { terminalLine } from '../core/text.js';

/** The figures a verdict speaks about ("p50 51.2 ms p99 60.4 ms", "goodput 2.91 Mbit/s"), as the reports format them. */
function verdictFigures(kind: WorkloadKind, value: (metric: string) => number | undefined): string {
  return verdictMetrics(kind)
    .map((m) => ({ m, v: value(m) }))
    .filter((x): x is { m: string; v: number } => x.v !== undefined && Number.isFinite(x.v))
    .map(({ m, v }) => `${metricShort(m)} ${fmtMetric(m, v)}`)
    .join(' ');
}

export function attachProgress(engine: RunEngine, out: NodeJS.WriteStream): () => void {
  const tty = out.isTTY === true;
  const t0 = Date.now();
  let last = '';
  const onStart = (i: { point: number; transport: string; workload: string; repetition: number; done: number; total: number }): void => {
    if (!tty) return;
    const elapsed = (Date.now() - t0) / 1000;
    const eta = i.done > 0 ? Math.round((elapsed / i.done) * (i.total - i.done)) : null;
    last = terminalLine(`[${i.done}/${i.total}] point ${i.point} ${i.transport} ${i.workload} rep ${i.repetition}${eta === null ? '' : `  ETA ${eta}s`}`);
    out.write(`\r\x1b[K${last.slice(0, (out.columns ?? 100) - 1)}`);
  };
  const onCell = (c: CellResult, p: { done: number; total: number }): void => {
    const flag = c.cpu?.cpuBound ? ' [CPU-bound]' : '';
    // Reasons quote subjects' output: control characters are shown, not sent to the terminal.
    const line = terminalLine(`[${p.done}/${p.total}] ${c.status.padEnd(11)} ${c.transport.padEnd(13)} ${c.workload} rep ${c.repetition}: ${c.status === 'ok' ? verdictFigures(c.kind, (m) => c.metrics[m]) : (c.reason ?? '')}${flag}`);
    out.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  };
  const onWarn = (w: { message: string; remedy: string }): void => {
    out.write(`${tty ? '\r\x1b[K' : ''}${terminalLine(`warning: ${w.message} (${w.remedy})`)}\n`);
  };
  engine.on('cellStart', onStart);
  engine.on('cell', onCell);
  engine.on('warning', onWarn);
  return () => {
    engine.off('cellStart', onStart);
    engine.off('cell', onCell);
    engine.off('warning', onWarn);
    if (tty && last) out.write('\r\x1b[K');
  };
}

/**
 * One line per measurement (point x transport x workload): each verdict metric's median over
 * the ok repetitions, or why there is none; CPU-bound when an ok repetition was.
 */
export function printSummary(r: ResultFile, out: NodeJS.WritableStream): void {
  out.write(`\n${terminalLine(`summary (${r.scenario.name}, medians over repetitions)`)}\n`);
  out.write(`${'point'.padEnd(22)} ${'transport'.padEnd(13)} ${'workload'.padEnd(28)} ${'ok'.padEnd(5)} result\n`);
  for (const g of groupCells(r)) {
    const what = g.ok.length
      ? verdictFigures(g.kind, (m) => {
          const v = metricValues(g, m);
          return v.length ? median(v) : undefined;
        })
      : (g.cells.find((c) => c.reason)?.reason ?? g.cells[0].status);
    const cpu = g.cpuBoundReps ? ' [CPU-bound]' : '';
    const ok = `${g.ok.length}/${g.cells.length}`;
    out.write(`${terminalLine(`${pointLabel(r, g.point).slice(0, 22).padEnd(22)} ${g.transport.padEnd(13)} ${g.workload.slice(0, 28).padEnd(28)} ${ok.padEnd(5)} ${what}${cpu}`)}\n`);
  }
}
