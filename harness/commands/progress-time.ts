// What the progress view says besides the cells: a point named by its link ("loss=5%"),
// and time, elapsed and left. The remaining time is the engine's plan (WorkLeft: cells left
// by workload, labs not yet up, a budget, decided k of n) priced at the durations this view
// has seen in this run, so a rounds-based engine feeds it by reporting its own WorkLeft.
import { fmtPct, fmtRate, sigTrim } from '../core/format.js';
import type { LinkDirection, LinkPoint, ResolvedLink } from '../core/types.js';
import type { WorkLeft } from '../run/events.js';

/** "25ms", "1%": as a scenario would write them. */
const ms = (v: number): string => `${sigTrim(v)}ms`;

/** One field of both directions: said once when they agree, "up/down" otherwise; null when neither has it. */
function field(link: ResolvedLink, name: string, of: (d: LinkDirection) => string | null): string | null {
  const u = of(link.uplink);
  const d = of(link.downlink);
  if (u === null && d === null) return null;
  return u === d ? `${name}=${u}` : `${name}=${u ?? '0'}/${d ?? '0'}`;
}

/** A link in scenario words: "delay=25ms loss=5% rate=20Mbit/s"; "no impairment" when it has none. */
export function linkTag(link: ResolvedLink): string {
  const parts = [
    field(link, 'delay', (d) => (d.delayMs > 0 ? ms(d.delayMs) : null)),
    field(link, 'jitter', (d) => (d.jitterMs > 0 ? ms(d.jitterMs) : null)),
    field(link, 'loss', (d) => (d.gilbert ? `GE(p=${d.gilbert.pPct}%,r=${d.gilbert.rPct}%)` : d.lossPct > 0 ? fmtPct(d.lossPct) : null)),
    field(link, 'rate', (d) => (d.rateBitsPerSec !== null ? fmtRate(d.rateBitsPerSec).replace(' ', '') : null)),
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(' ') : 'no impairment';
}

/**
 * A point by its link: a sweep's point by the values it sweeps ("loss=5%", its label), a
 * single point by its whole link, since "base" would say nothing.
 */
export function pointTag(p: LinkPoint): string {
  return Object.keys(p.params).length ? p.label : linkTag(p.link);
}

/** A duration as a clock: "0:07", "12:03", "1:02:03". */
export function fmtClock(durationMs: number): string {
  const s = Math.max(0, Math.round(durationMs / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A short duration in seconds: "1.5 s", "12 s". */
export function fmtSeconds(durationMs: number): string {
  return `${sigTrim(durationMs / 1000, 2)} s`;
}

interface Mean {
  sum: number;
  n: number;
}

const add = (m: Mean | undefined, v: number): Mean => ({ sum: (m?.sum ?? 0) + v, n: (m?.n ?? 0) + 1 });

/**
 * Remaining time: each workload's cells left at the mean wall time of its cells so far
 * (start to next start: bookkeeping included), each lab not yet up at the mean set-up so
 * far (lab, calibration, agents), less what the running cell has already taken; never more
 * than the budget left. Null until there is something to price it with.
 */
export class RemainingTime {
  private readonly cellMs = new Map<string, Mean>();
  private setupMs: Mean | undefined;
  private left: WorkLeft | null = null;
  private leftAt = 0;
  /** The running cell (or the set-up of a point when workload is null) and when it started. */
  private current: { workload: string | null; at: number } | null = null;

  /** The engine's plan, as of `now`. */
  plan(left: WorkLeft, now: number): void {
    this.left = left;
    this.leftAt = now;
  }

  /** A point's set-up starts (its lab is about to be built). */
  pointStart(now: number): void {
    this.close(now);
    this.current = { workload: null, at: now };
  }

  /** A cell (warm-up or recorded) starts: the previous cell or set-up ends here. */
  cellStart(workload: string, now: number): void {
    this.close(now);
    this.current = { workload, at: now };
  }

  private close(now: number): void {
    const c = this.current;
    if (!c) return;
    if (c.workload === null) this.setupMs = add(this.setupMs, now - c.at);
    else this.cellMs.set(c.workload, add(this.cellMs.get(c.workload), now - c.at));
    this.current = null;
  }

  /** Decided k of n, when the engine decides. */
  decided(): { k: number; n: number } | null {
    return this.left?.decided ?? null;
  }

  estimateMs(now: number): number | null {
    const left = this.left;
    if (!left) return null;
    const known = [...this.cellMs.values()];
    if (!known.length) return null;
    const overall = known.reduce((s, m) => s + m.sum, 0) / known.reduce((s, m) => s + m.n, 0);
    const meanOf = (w: string): number => {
      const m = this.cellMs.get(w);
      return m ? m.sum / m.n : overall;
    };
    let total = Object.entries(left.cells).reduce((s, [w, n]) => s + n * meanOf(w), 0);
    const setup = this.setupMs ? this.setupMs.sum / this.setupMs.n : 0;
    total += left.points * setup;
    // The running cell is in the plan: less what it has taken, up to its mean. The running
    // set-up is not (its point is started): what its mean says is still to come.
    const c = this.current;
    if (c && c.workload !== null) total -= Math.min(now - c.at, meanOf(c.workload));
    if (c && c.workload === null) total += Math.max(0, setup - (now - c.at));
    if (left.budgetLeftMs !== null) total = Math.min(total, Math.max(0, left.budgetLeftMs - (now - this.leftAt)));
    return Math.max(0, total);
  }
}
