// Bounds on scenario values that both link backends and Node accept (issue 16, item 6).
// Before, the parser took 1e36 bit/s, a 1e9 s delay, jitter above delay or a 1000000GB queue:
// the lab was built, then the emulator refused (exit 4, an output directory written for
// nothing); a timeout above Node's timer range made every cell fail in 3 ms. A bound here is
// the narrower of the two backends', so one scenario means the same link on both (Node's
// timer range is checked with every duration, in harness/core/problems.ts):
// - userspace: netem/emulator/linkemu.c, parse_spec() (delay_us, jitter_us 0..60e6;
//   rate_bps 0..1e12; limit_bytes 1..1e10; "jitter_us must not exceed delay_us").
// - netem: tc (iproute2) turns a rate in bit/s into whole bytes per second (get_rate64:
//   bps / 8), so below 8 bit/s netem would be given rate 0, i.e. no limit at all; the kernel
//   holds delay and jitter as 64-bit nanoseconds and limit as 32-bit packets, wider than the
//   emulator's bounds above.
import type { LinkDirection } from '../core/types.js';

/** linkemu.c: delay_us and jitter_us are read in 0..60e6. */
export const MAX_DELAY_MS = 60_000;
/** linkemu.c: rate_bps in 0..1e12. */
export const MAX_RATE_BITS_PER_SEC = 1e12;
/** tc: rate in whole bytes per second (see above). */
export const MIN_RATE_BITS_PER_SEC = 8;
/** linkemu.c: limit_bytes in 1..1e10. */
export const MAX_LIMIT_BYTES = 1e10;
/** The same queue in packets: the backends turn packets into bytes at the 1500-byte MTU (netem/sizing.ts). */
export const MAX_LIMIT_PACKETS = Math.floor(MAX_LIMIT_BYTES / 1500);

/** A problem with a parsed link field, or null; the text names the value as written. */
export function linkFieldBound(field: 'delay' | 'jitter' | 'rate' | 'limit', written: unknown, d: Partial<LinkDirection>): string | null {
  const v = JSON.stringify(written);
  if ((field === 'delay' || field === 'jitter') && ((field === 'delay' ? d.delayMs : d.jitterMs) ?? 0) > MAX_DELAY_MS) {
    return `${v} is more than 60s (allowed: 0s to 60s, the link emulator's range)`;
  }
  if (field === 'rate' && d.rateBitsPerSec != null) {
    if (d.rateBitsPerSec > MAX_RATE_BITS_PER_SEC) return `${v} is more than 1000gbit (allowed: 8bit to 1000gbit, or unlimited)`;
    if (d.rateBitsPerSec < MIN_RATE_BITS_PER_SEC) return `${v} is less than 8bit, which tc would round to no limit at all (allowed: 8bit to 1000gbit, or unlimited)`;
  }
  if (field === 'limit' && d.limit) {
    if (d.limit.bytes !== undefined && d.limit.bytes > MAX_LIMIT_BYTES) return `${v} is more than 10GB (allowed: auto, 1B to 10GB, 1p to ${MAX_LIMIT_PACKETS}p)`;
    if (d.limit.packets !== undefined && d.limit.packets > MAX_LIMIT_PACKETS) return `${v} is more than ${MAX_LIMIT_PACKETS} packets of 1500 bytes (allowed: auto, 1B to 10GB, 1p to ${MAX_LIMIT_PACKETS}p)`;
  }
  return null;
}

/**
 * Jitter above delay: refused on every backend. The emulator refuses it outright; netem
 * accepts it and sends a packet whose random delay falls below zero at once, so the delay
 * distribution is cut off at 0 and its mean is no longer the configured delay. Either way
 * the link would not be the one the scenario describes.
 */
export function jitterProblem(d: LinkDirection, direction: 'uplink' | 'downlink'): string | null {
  if (d.jitterMs <= d.delayMs) return null;
  return `${direction} jitter ${d.jitterMs}ms exceeds its delay ${d.delayMs}ms: a packet would leave before it was sent (allowed: jitter <= delay in each direction)`;
}
