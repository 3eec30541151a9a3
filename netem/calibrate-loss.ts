// How many calibration probes a link's loss needs, and what the probe, the emulator's own
// counters and the configuration say about it (issue 15: 500 probes read "0 %" on a 1 %
// link, with no warning). Pure functions: the numbers can be re-derived from a result file.
import { binomialInterval } from '../harness/core/stats.js';
import type { AppliedLoss } from '../harness/core/link.js';
import type { LinkDirection, Warning } from '../harness/core/types.js';
import { decimal, expectedLoss, lossSampleFactor } from './sizing.js';

/** Relative error of the loss estimate calibration aims for: ±30 % of the configured loss... */
export const TARGET_RELATIVE_ERROR = 0.3;
/** ...at the 95 % level (two-sided normal quantile). */
const Z95 = 1.959964;
/** At least this many probes, loss or not: they also measure the RTT percentiles. */
export const MIN_PROBES = 500;
/** Longest the probe may run by default, ms: past it calibration says how far it resolved the loss. */
export const MAX_PROBE_MS = 30_000;

/**
 * Probes (uplink datagrams) with which a direction's loss count has the given relative
 * error at 95 %: n p (1 - p) variance -> z sqrt((1 - p) / (n p)) / 1 <= e, n = z² (1 - p) / (e² p),
 * divided by Gilbert-Elliott's sample factor (correlated losses carry less information).
 * 0 for a direction without loss.
 */
export function probesFor(dir: LinkDirection, relativeError = TARGET_RELATIVE_ERROR): number {
  const p = expectedLoss(dir);
  if (!(p > 0) || p >= 1) return 0;
  return Math.ceil((Z95 * Z95 * (1 - p)) / (relativeError * relativeError * p) / lossSampleFactor(dir));
}

/** Relative error at 95 % of a loss estimate from `n` datagrams through `dir`; null without loss. */
export function relativeErrorOf(dir: LinkDirection, n: number): number | null {
  const p = expectedLoss(dir);
  if (!(p > 0) || p >= 1) return null;
  if (n <= 0) return Infinity;
  return Z95 * Math.sqrt((1 - p) / (n * lossSampleFactor(dir) * p));
}

export interface ProbePlan {
  probes: number;
  /** Probes both directions' loss needs, before the time budget and MIN_PROBES. */
  wanted: number;
  /** The plan's expected relative error per direction (null: no loss there). */
  relativeError: { uplink: number | null; downlink: number | null };
  /** Probing time the plan takes at `intervalMs`, ms. */
  durationMs: number;
}

/**
 * Probe count for a link: enough that each direction's loss is resolved to `relativeError`
 * (the downlink sees only the probes the uplink delivered), at least MIN_PROBES, and no more
 * than fit in `maxProbeMs` at `intervalMs`; `fixed` (--calibration-probes) overrides.
 */
export function planProbes(up: LinkDirection, down: LinkDirection, intervalMs: number, o: { fixed?: number; maxProbeMs?: number; relativeError?: number } = {}): ProbePlan {
  const e = o.relativeError ?? TARGET_RELATIVE_ERROR;
  const pUp = expectedLoss(up);
  const wanted = Math.max(probesFor(up, e), Math.ceil(probesFor(down, e) / Math.max(1e-9, 1 - pUp)));
  const budget = Math.max(MIN_PROBES, Math.floor((o.maxProbeMs ?? MAX_PROBE_MS) / Math.max(intervalMs, 1e-3)));
  const probes = o.fixed ?? Math.min(budget, Math.max(MIN_PROBES, wanted));
  return {
    probes,
    wanted,
    relativeError: { uplink: relativeErrorOf(up, probes), downlink: relativeErrorOf(down, probes * (1 - pUp)) },
    durationMs: probes * intervalMs,
  };
}

type Which = 'uplink' | 'downlink';

function pct(x: number): string {
  return `${decimal(x * 100, 3)} %`;
}

/** 99 % interval of a loss rate from `lost` of `n`, widened for Gilbert-Elliott's correlated losses. */
function interval(dir: LinkDirection, lost: number, n: number): { lo: number; hi: number } {
  const nEff = Math.max(1, Math.round(n * lossSampleFactor(dir)));
  return binomialInterval(Math.round((lost / n) * nEff), nEff, 0.99);
}

/**
 * The probe's loss against the configuration, beyond binomial noise (99 %). The emulator's
 * own figure for the same packets goes in the message: when both agree with each other the
 * link did what it was told and the draw was unlucky; when only the probe is off, something
 * outside the emulator lost the probes (lossOutsideEmulator says so on its own).
 */
export function lossWarning(which: Which, dir: LinkDirection, lost: number, n: number, emulator: AppliedLoss | null, point: number): Warning | null {
  if (n === 0) return null;
  const expected = expectedLoss(dir);
  const iv = interval(dir, lost, n);
  if (expected >= iv.lo && expected <= iv.hi) return null;
  const emu = emulator && emulator.packets > 0 ? `; the emulator dropped ${pct(emulator.dropped / emulator.packets)} (${emulator.dropped}/${emulator.packets}) of them` : '';
  return {
    code: `calibration-loss-${which}`,
    message: `${which} loss measured ${pct(lost / n)} (${lost}/${n}; 99 % interval ${pct(iv.lo)}-${pct(iv.hi)}), configured ${pct(expected)}${emu}`,
    remedy:
      expected < iv.lo
        ? 'the lab drops more than configured: compare the emulator-applied loss in the report (dropped_queue and dropped_overflow in record.emulatorCounters count queue drops), reduce other load on the host'
        : 'the lab drops less than configured: check that the impairment was applied (record.applied.readback); a lucky draw is ruled out only at 99 %, so a rerun with another probe seed (every run draws one) tells them apart',
    point,
  };
}

/**
 * Probes lost that the emulator did not drop: the host lost them (a probe socket, the TUN
 * queue, a stalled process), and the link's figures are overstated. The counts are of the
 * same packets, so any excess is real; other traffic during the probe can only make the
 * emulator's count the larger one.
 */
export function lossOutsideEmulator(which: Which, probeLost: number, emulator: AppliedLoss | null, point: number): Warning | null {
  if (!emulator) return null;
  const extra = probeLost - emulator.dropped;
  if (extra <= 0) return null;
  return {
    code: `calibration-loss-outside-emulator-${which}`,
    message: `${extra} of the ${probeLost} ${which} probes lost were not dropped by the link emulator (it dropped ${emulator.dropped} of ${emulator.packets}): the host lost them, so the measured ${which} loss is overstated`,
    remedy: 'reduce other load on the host (see the host load of each cell), then run again',
    point,
  };
}

/** A probe too short for the configured loss: says how far it resolved it, and how many probes would do. */
export function unresolvedWarning(plan: ProbePlan, intervalMs: number, point: number): Warning | null {
  const worst = Math.max(plan.relativeError.uplink ?? 0, plan.relativeError.downlink ?? 0);
  if (!(worst > TARGET_RELATIVE_ERROR + 1e-9)) return null;
  const secs = (plan.wanted * intervalMs) / 1000;
  return {
    code: 'calibration-loss-unresolved',
    message: `${plan.probes} probes resolve the configured loss only to ±${Math.round(worst * 100)} % of itself (95 %); ±${Math.round(TARGET_RELATIVE_ERROR * 100)} % takes ${plan.wanted} probes (${secs.toFixed(0)} s at ${decimal(intervalMs, 2)} ms apart)`,
    remedy: `pass --calibration-probes ${plan.wanted} to bench run (or --probes ${plan.wanted} to bench lab up) to probe that long`,
    point,
  };
}
