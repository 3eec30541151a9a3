// Facts of a link as configured, in numbers: what a direction asks for, its long-run loss,
// how far its loss count can be trusted. Shared by the scenario check, the lab, calibration
// and the reports.
import type { LinkDirection, ResolvedLink } from './types.js';

/** A direction with no impairment: what every unset field means. */
export const DEFAULT_DIRECTION: Readonly<LinkDirection> = {
  delayMs: 0, jitterMs: 0, reorder: false, lossPct: 0, gilbert: null, rateBitsPerSec: null, limit: null,
};

/** The impairments a direction asks for, in words (none: an unimpaired direction). */
export function impairments(dir: LinkDirection): string[] {
  const found: string[] = [];
  if (dir.delayMs > 0) found.push(`delay ${dir.delayMs} ms`);
  if (dir.jitterMs > 0) found.push(`jitter ${dir.jitterMs} ms`);
  if (dir.lossPct > 0) found.push(`loss ${dir.lossPct} %`);
  if (dir.gilbert) found.push('Gilbert-Elliott loss');
  if (dir.rateBitsPerSec !== null) found.push(`rate ${dir.rateBitsPerSec} bit/s`);
  if (dir.limit !== null) found.push('queue limit');
  return found;
}

/** Long-run loss probability of a direction, 0..1 (Gilbert-Elliott: its stationary mix). */
export function expectedLoss(dir: LinkDirection): number {
  const g = dir.gilbert;
  if (!g) return dir.lossPct / 100;
  const p = g.pPct / 100;
  const r = g.rPct / 100;
  const bad = p + r === 0 ? 0 : p / (p + r);
  return (bad * g.badLossPct + (1 - bad) * g.goodLossPct) / 100;
}

/**
 * Factor by which Gilbert-Elliott's correlated losses shrink the effective sample size of a
 * loss count: (1 - l) / (1 + l) with l = 1 - p - r the chain's lag-one correlation. 1 for
 * Bernoulli loss, so a binomial interval on n x factor stays honest for bursty loss.
 */
export function lossSampleFactor(dir: LinkDirection): number {
  const g = dir.gilbert;
  if (!g) return 1;
  const l = 1 - g.pPct / 100 - g.rPct / 100;
  return Math.max(1e-3, Math.min(1, (1 - l) / (1 + l)));
}

/** True when the link asks for any impairment (the loopback backend refuses those). */
export function isImpaired(l: ResolvedLink): boolean {
  return impairments(l.uplink).length > 0 || impairments(l.downlink).length > 0;
}

/** Packets one direction of the emulator read, and how many its loss draw dropped. */
export interface AppliedLoss {
  packets: number;
  dropped: number;
}

const EMULATOR_DROPS = ['dropped_loss', 'dropped_queue', 'dropped_overflow', 'dropped_write'] as const;

/**
 * The loss the emulator itself applied to one direction, from its counters (what it read:
 * forwarded + every drop + still in its delay line). The userspace emulator counts its loss
 * draws apart from queue drops; netem's qdisc counts one `dropped` for both, which is only a
 * loss figure where nothing filled a queue (the calibration probe keeps to 5 % of a rate).
 * null when the counters have neither.
 */
export function appliedLoss(c: Readonly<Record<string, number>> | null | undefined, dir: 'up' | 'down'): AppliedLoss | null {
  if (!c) return null;
  const f = (k: string): number => (typeof c[`${dir}_${k}`] === 'number' ? c[`${dir}_${k}`] : 0);
  if (typeof c[`${dir}_forwarded`] !== 'number') return null;
  if (typeof c[`${dir}_dropped_loss`] === 'number') {
    return { packets: f('forwarded') + EMULATOR_DROPS.reduce((s, k) => s + f(k), 0) + f('in_flight'), dropped: f('dropped_loss') };
  }
  if (typeof c[`${dir}_dropped`] === 'number') return { packets: f('forwarded') + f('dropped') + f('in_flight'), dropped: f('dropped') };
  return null;
}

/** appliedLoss over the span between two readings of the same emulator. */
export function appliedLossBetween(before: Record<string, number> | null, after: Record<string, number> | null, dir: 'up' | 'down'): AppliedLoss | null {
  const a = appliedLoss(before, dir);
  const b = appliedLoss(after, dir);
  if (!a || !b) return null;
  return { packets: b.packets - a.packets, dropped: b.dropped - a.dropped };
}
