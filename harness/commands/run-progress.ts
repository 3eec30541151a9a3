// The progress view: subscribes to the engine's events and draws on stderr. On a TTY one
// live line (cells done/total, current cell, ETA); otherwise one plain line per cell.
import type { RunEngine } from '../run.js';
import type { CellResult, ResultFile } from '../types.js';

function fmtMetric(c: CellResult): string {
  const m = c.metrics;
  if (m.goodputBitsPerSec !== undefined) return `${(m.goodputBitsPerSec / 1e6).toFixed(2)} Mbit/s`;
  if (m.rttP50Us !== undefined) return `p50 ${(m.rttP50Us / 1000).toFixed(2)} ms p99 ${((m.rttP99Us ?? NaN) / 1000).toFixed(2)} ms`;
  if (m.handshakeP50Us !== undefined) return `handshake p50 ${(m.handshakeP50Us / 1000).toFixed(2)} ms`;
  return '';
}

export function attachProgress(engine: RunEngine, out: NodeJS.WriteStream): () => void {
  const tty = out.isTTY === true;
  const t0 = Date.now();
  let last = '';
  const onStart = (i: { point: number; transport: string; workload: string; repetition: number; done: number; total: number }): void => {
    if (!tty) return;
    const elapsed = (Date.now() - t0) / 1000;
    const eta = i.done > 0 ? Math.round((elapsed / i.done) * (i.total - i.done)) : null;
    last = `[${i.done}/${i.total}] point ${i.point} ${i.transport} ${i.workload} rep ${i.repetition}${eta === null ? '' : `  ETA ${eta}s`}`;
    out.write(`\r\x1b[K${last.slice(0, (out.columns ?? 100) - 1)}`);
  };
  const onCell = (c: CellResult, p: { done: number; total: number }): void => {
    const flag = c.cpu?.cpuBound ? ' [CPU-bound]' : '';
    const line = `[${p.done}/${p.total}] ${c.status.padEnd(11)} ${c.transport.padEnd(13)} ${c.workload} rep ${c.repetition}: ${c.status === 'ok' ? fmtMetric(c) : (c.reason ?? '')}${flag}`;
    out.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  };
  const onWarn = (w: { message: string; remedy: string }): void => {
    out.write(`${tty ? '\r\x1b[K' : ''}warning: ${w.message} (${w.remedy})\n`);
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

export function printSummary(r: ResultFile, out: NodeJS.WritableStream): void {
  const byKey = new Map<string, CellResult[]>();
  for (const c of r.cells) {
    const k = `${c.point}\t${c.transport}\t${c.workload}`;
    byKey.set(k, [...(byKey.get(k) ?? []), c]);
  }
  out.write(`\nsummary (${r.scenario.name}, medians over repetitions)\n`);
  out.write(`${'point'.padEnd(22)} ${'transport'.padEnd(13)} ${'workload'.padEnd(28)} ${'ok'.padEnd(5)} result\n`);
  for (const [k, cells] of byKey) {
    const [point, transport, workload] = k.split('\t');
    const ok = cells.filter((c) => c.status === 'ok');
    const label = r.scenario.points[Number(point)]?.label ?? point;
    const mid = ok.length ? [...ok].sort((a, b) => (Object.values(a.metrics)[0] ?? 0) - (Object.values(b.metrics)[0] ?? 0))[Math.floor(ok.length / 2)] : null;
    const what = mid ? fmtMetric(mid) : cells[0].reason ?? '';
    const cpu = cells.some((c) => c.cpu?.cpuBound) ? ' [CPU-bound]' : '';
    out.write(`${label.slice(0, 22).padEnd(22)} ${transport.padEnd(13)} ${workload.slice(0, 28).padEnd(28)} ${`${ok.length}/${cells.length}`.padEnd(5)} ${what}${cpu}\n`);
  }
}
