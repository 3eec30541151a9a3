// The progress view: subscribes to the engine's events and draws on stderr. Every line names
// its point by its link. On a TTY, lines for what happened and one live line for what runs
// now (lab, calibration, warm-up, cell) with elapsed and remaining time; otherwise the same
// facts as plain lines (CI logs). With adaptive repetitions, after each look one line:
// decided k of n, and the budget left; when a point stops adding rounds, why.
import { describeLink, fmtDuration, fmtMetric, metricShort } from '../../reports/format.js';
import { groupCells, metricValues, pointLabel, resultSeries } from '../../reports/model.js';
import { computeVerdicts, ruleText, verdictMetrics, type Segment } from '../../reports/verdict.js';
import type { RunEngine } from '../run/engine.js';
import type { LookInfo, RunEvents, WarmupInfo, WorkLeft } from '../run/events.js';
import type { PointRounds } from '../results/verdict-types.js';
import { METRICS } from '../results/metrics.js';
import { fmtMs, fmtPct } from '../core/format.js';
import type { Calibration, LinkPoint, Warning } from '../core/types.js';
import { fmtClock, fmtSeconds, pointTag, RemainingTime } from './progress-time.js';
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
  const open = t.total - t.decided - t.futile;
  const more = open && t.roundsLeft > 0 ? `, ${t.settleWithin} likely to settle within the plan's ${t.roundsLeft} more round${t.roundsLeft === 1 ? '' : 's'}` : '';
  const futile = t.futile ? `; ${t.futile} stopped undecided, needing far more repetitions than the plan allows` : '';
  return `decided ${t.decided} of ${t.total} ${what}${open ? ` (${open} open${more})` : ''}${futile}`;
}

const STOPPED: Record<PointRounds['stoppedBy'], string> = {
  'all-decided': 'every comparison decided',
  futile: 'every comparison decided, or needing far more repetitions than the plan allows (futile)',
  'max-reps': 'the plan\'s last look reached',
  budget: 'the time budget would be exceeded by another round',
  interrupted: 'interrupted',
  failed: 'the point failed',
};

/** Plain (non-TTY) calibration progress lines at most this often: a CI log needs no more. */
const PLAIN_PROGRESS_EVERY_MS = 5000;
/** The live line's clock ticks this often on a TTY. */
const TICK_MS = 1000;

/**
 * Subscribes to the engine and draws on `out`. Every line starts with the point by its link
 * ("loss=5%"): the lab going up, calibration (probes sent on a TTY; start, end, and every
 * 5 s when plain), each warm-up cell, each cell, warnings, with elapsed and remaining time
 * (and decided k of n when the engine decides). On a TTY a live last line shows what runs
 * now and its clock; plain output (CI logs) gets the same facts as lines.
 */
export function attachProgress(engine: RunEngine, out: NodeJS.WriteStream): () => void {
  const tty = out.isTTY === true;
  // With adaptive repetitions the total is the first look's; later rounds are open-ended.
  const auto = engine.rule.repetitions === 'auto';
  const count = (n: number, total: number): string => (auto ? `${n}` : `${n}/${total}`);
  const t0 = Date.now();
  const remaining = new RemainingTime();
  const points = new Map(engine.scenario.points.map((p) => [p.index, pointTag(p)]));
  const width = Math.max(0, ...[...points.values()].map((t) => t.length));
  const tagOf = (point: number | undefined): string => (point === undefined ? '' : (points.get(point) ?? `point ${point}`)).padEnd(width);
  let current: number | undefined;
  // What runs now, for the live line: its text and since when.
  let now: { text: string; since: number } | null = null;
  let lastPlain = 0;

  const clock = (): string => {
    const at = Date.now();
    const left = remaining.estimateMs(at);
    const d = remaining.decided();
    return `${fmtClock(at - t0)} elapsed${left === null ? '' : `, ~${fmtClock(left)} left`}${d ? `, decided ${d.k} of ${d.n}` : ''}`;
  };
  const live = (): void => {
    if (!tty || !now) return;
    const running = Date.now() - now.since >= 1000 ? ` (${fmtClock(Date.now() - now.since)})` : '';
    const line = terminalLine(`${tagOf(current)}  ${now.text}${running}  | ${clock()}`);
    out.write(`\r\x1b[K${line.slice(0, (out.columns ?? 100) - 1)}`);
  };
  /** A permanent line, named by its point; the live line is drawn again under it. */
  const say = (point: number | undefined, text: string, withClock = true): void => {
    const line = terminalLine(`${point === undefined ? '' : `${tagOf(point)}  `}${text}${withClock ? `  | ${clock()}` : ''}`);
    out.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
    live();
  };
  const doing = (text: string): void => {
    now = { text, since: Date.now() };
    live();
  };
  const timer = tty ? setInterval(live, TICK_MS) : null;
  timer?.unref();

  const onPointStart = (p: LinkPoint, pos: { ordinal: number; of: number }): void => {
    current = p.index;
    remaining.pointStart(Date.now());
    say(p.index, `point ${pos.ordinal} of ${pos.of}: building the lab (${describeLink(p.link)})`);
    doing('building the lab');
  };
  const onCalStart = (i: { point: number; probes: number; expectedMs: number }): void => {
    lastPlain = Date.now();
    say(i.point, `calibration: ${i.probes} UDP echo probes, about ${fmtSeconds(i.expectedMs)}`);
    doing(`calibration 0/${i.probes} probes`);
  };
  const onCalProgress = (i: { point: number; sent: number; probes: number }): void => {
    if (tty) return doing(`calibration ${i.sent}/${i.probes} probes`);
    if (Date.now() - lastPlain < PLAIN_PROGRESS_EVERY_MS) return;
    lastPlain = Date.now();
    say(i.point, `calibration: ${i.sent}/${i.probes} probes sent`);
  };
  const onCalEnd = (i: { point: number; calibration: Calibration; durationMs: number; warnings: number }): void => {
    const c = i.calibration;
    const rtt = c.rttMs.n ? `RTT p50 ${fmtMs(c.rttMs.p50)}` : 'no probe came back';
    const warned = i.warnings ? ` (${i.warnings} warning${i.warnings === 1 ? '' : 's'} below)` : '';
    say(i.point, `calibrated in ${fmtSeconds(i.durationMs)}: ${rtt}, loss ${fmtPct(c.uplinkLossPct)} up / ${fmtPct(c.downlinkLossPct)} down${warned}`);
    doing('starting agents and transports');
  };
  const onReady = (i: { point: number; transports: number; durationMs: number }): void => {
    say(i.point, `agents and ${i.transports} transport${i.transports === 1 ? '' : 's'} started in ${fmtSeconds(i.durationMs)}`);
    doing('starting the first cell');
  };
  const onWarmStart = (w: WarmupInfo): void => {
    remaining.cellStart(w.workload, Date.now());
    if (w.index === 1) say(w.point, `warm-up: ${w.of} cell${w.of === 1 ? '' : 's'} (${w.rounds} round${w.rounds === 1 ? '' : 's'}), not recorded`);
    doing(`warm-up ${w.index}/${w.of} ${w.transport} ${w.workload}`);
  };
  const onWarmEnd = (w: WarmupInfo & { status: string; durationMs: number }): void => {
    say(w.point, `warm-up ${w.index}/${w.of} ${w.status.padEnd(11)} ${w.transport.padEnd(13)} ${w.workload} in ${fmtSeconds(w.durationMs)}`);
  };
  const onPlan = (left: WorkLeft): void => remaining.plan(left, Date.now());
  const onStart = (i: { point: number; transport: string; workload: string; repetition: number; done: number; total: number }): void => {
    remaining.cellStart(i.workload, Date.now());
    doing(`[${count(i.done + 1, i.total)}] ${i.transport} ${i.workload} rep ${i.repetition}`);
  };
  const onCell = (c: CellResult, p: { done: number; total: number }): void => {
    const flag = `${c.cpu?.cpuBound ? ' [CPU-bound]' : ''}${c.host?.contended ? ' [host contended]' : ''}`;
    // Reasons quote subjects' output: control characters are shown, not sent to the terminal (say()).
    say(c.point, `[${count(p.done, p.total)}] ${c.status.padEnd(11)} ${c.transport.padEnd(13)} ${c.workload} rep ${c.repetition}: ${c.status === 'ok' ? verdictFigures(c.kind, (m) => c.metrics[m]) : (c.reason ?? '')}${flag}`);
  };
  const onLook = (i: LookInfo): void => {
    // A fixed plan looks once, at its end: the summary's verdicts say the same.
    if (!auto && !i.gate) return;
    const left = i.budgetLeftMs === null ? '' : `; ${fmtDuration(i.budgetLeftMs)} of the budget left`;
    say(i.point, `look ${i.look + 1} after ${i.round} repetition${i.round === 1 ? '' : 's'}: ${decidedText(i)}${left}`);
  };
  const onStopped = (p: PointRounds): void => {
    if (!auto) return;
    say(p.point, `${p.rounds} rounds in ${fmtDuration(p.elapsedMs)}; stopped: ${STOPPED[p.stoppedBy]}`);
  };
  const onWarn = (w: Warning): void => {
    say(w.point ?? current, `warning: ${w.message} (${w.remedy})`, false);
  };
  const handlers = {
    pointStart: onPointStart,
    calibrationStart: onCalStart,
    calibrationProgress: onCalProgress,
    calibrationEnd: onCalEnd,
    ready: onReady,
    warmupStart: onWarmStart,
    warmupEnd: onWarmEnd,
    plan: onPlan,
    cellStart: onStart,
    cell: onCell,
    look: onLook,
    stopped: onStopped,
    warning: onWarn,
  } satisfies { [E in keyof RunEvents]?: (...a: RunEvents[E]) => void };
  for (const [e, h] of Object.entries(handlers)) engine.on(e as keyof RunEvents, h as never);
  return () => {
    for (const [e, h] of Object.entries(handlers)) engine.off(e as keyof RunEvents, h as never);
    if (timer) clearInterval(timer);
    if (tty && now) out.write('\r\x1b[K');
  };
}

/**
 * One line per measurement (point x transport x workload): each verdict metric's median over
 * the ok repetitions, or why there is none; CPU-bound when an ok repetition was.
 */
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
  // Points by their link, as the progress lines named them ("base" would say nothing).
  const tags = new Map(r.scenario.points.map((p) => [p.index, pointTag(p)]));
  const tagOf = (point: number): string => tags.get(point) ?? pointLabel(r, point);
  const width = Math.max(5, ...[...tags.values()].map((t) => t.length));
  if (r.backend === 'real-path') {
    const labs = r.labs.filter((l) => l.measured);
    out.write(`${terminalLine(`link: REAL PATH ${r.hosts ? `${r.hosts.client.destination} -> ${r.hosts.server.destination}` : ''}, not emulated${labs.length ? `; calibrated RTT p50 ${labs.map((l) => `${l.measured!.rttMs.p50.toFixed(1)} ms`).join(', ')}` : ''}`)}\n`);
  }
  out.write(`${'point'.padEnd(width)} ${'transport'.padEnd(13)} ${'workload'.padEnd(28)} ${'ok'.padEnd(5)} result\n`);
  const groups = groupCells(r);
  for (const g of groups) {
    const what = g.ok.length
      ? verdictFigures(g.kind, (m) => {
          const v = metricValues(g, m);
          return v.length ? median(v) : undefined;
        })
      : (g.cells.find((c) => c.reason)?.reason ?? g.cells[0].status);
    const ok = `${g.ok.length}/${g.cells.length}`;
    out.write(`${terminalLine(`${tagOf(g.point).padEnd(width)} ${g.transport.padEnd(13)} ${g.workload.slice(0, 28).padEnd(28)} ${ok.padEnd(5)} ${what}${marks(g.ok)}`)}\n`);
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
