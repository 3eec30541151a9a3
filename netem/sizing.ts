// Buffer and queue sizes derived from a link, shared by both impairing backends. Pure
// functions, so the numbers in a LabRecord can be re-derived from the configured link.
import type { BackendName, LinkDirection, ResolvedLink } from '../harness/core/types.js';

export const MTU_BYTES = 1500;
/** IPv4 + UDP header bytes added to every calibration probe payload. */
export const UDP_IP_OVERHEAD_BYTES = 28;

/**
 * What a link without a rate limit can actually forward on each backend, used instead of
 * "infinite" when sizing buffers. Measured (DESIGN.md): veth without offloads 3.7-4.8
 * Gbit/s, the userspace emulator 1.1-1.3 Gbit/s; rounded up so sizing never binds first.
 */
const CEILING_BITS_PER_SEC: Record<BackendName, number> = {
  netem: 5e9,
  userspace: 2e9,
  loopback: 10e9,
};

/** Round-trip time the link adds, worst case including jitter, ms. */
function linkRttMs(link: ResolvedLink): number {
  return link.uplink.delayMs + link.uplink.jitterMs + link.downlink.delayMs + link.downlink.jitterMs;
}

function effectiveRate(dir: LinkDirection, backend: BackendName): number {
  return Math.min(dir.rateBitsPerSec ?? Infinity, CEILING_BITS_PER_SEC[backend]);
}

/** Bandwidth-delay product of the faster direction (the one a bulk transfer could fill), bytes. */
function bdpBytes(link: ResolvedLink, backend: BackendName): number {
  const rate = Math.max(effectiveRate(link.uplink, backend), effectiveRate(link.downlink, backend));
  return (rate / 8) * (linkRttMs(link) / 1000);
}

const MiB = 1024 * 1024;

/**
 * tcp_rmem/tcp_wmem maximum for the lab namespaces: 4 x BDP (the kernel counts overhead in
 * these, and cubic needs room above one BDP to probe), never below 4 MiB (the usual host
 * default, which caps TCP at ~455 Mbit/s over 50 ms) and never above 256 MiB.
 */
export function tcpBufferMaxBytes(link: ResolvedLink, backend: BackendName): number {
  return Math.round(Math.min(256 * MiB, Math.max(4 * MiB, 4 * bdpBytes(link, backend))));
}

/**
 * Byte limit of the droptail queue in front of a rate limit: the configured limit, else one
 * round-trip's worth of this direction's rate (enough for cubic to keep the link busy after
 * a loss halving), at least 64 KiB. null when the direction has no rate limit.
 */
export function queueLimitBytes(dir: LinkDirection, link: ResolvedLink): number | null {
  if (dir.limit?.bytes !== undefined) return dir.limit.bytes;
  if (dir.limit?.packets !== undefined) return dir.limit.packets * MTU_BYTES;
  if (dir.rateBitsPerSec === null) return null;
  return Math.max(64 * 1024, Math.round((dir.rateBitsPerSec / 8) * (linkRttMs(link) / 1000)));
}

/**
 * netem's `limit` counts every packet it holds, including those only waiting out their
 * delay, so it must cover the delay line at full rate plus the droptail queue; netem's
 * default of 1000 packets silently caps high-BDP links.
 */
export function netemLimitPackets(dir: LinkDirection, link: ResolvedLink): number {
  if (dir.limit?.packets !== undefined && dir.rateBitsPerSec === null) return dir.limit.packets;
  const rate = effectiveRate(dir, 'netem');
  const delayLineBytes = (rate / 8) * ((dir.delayMs + dir.jitterMs) / 1000);
  const queue = queueLimitBytes(dir, link);
  // Without a rate limit there is no queue to model; double the delay line instead, since
  // small packets (ACKs) need more slots per byte than full-size ones.
  const bytes = queue === null ? 2 * delayLineBytes : delayLineBytes + queue;
  return Math.max(1000, Math.ceil(bytes / MTU_BYTES));
}

// Link facts that are no lab matter (reports and the scenario check use them too) live in
// harness/core/link.ts; netem's own modules keep importing them from here.
export { expectedLoss, impairments, lossSampleFactor } from '../harness/core/link.js';

/** Decimal text for tc and the emulator: no exponent notation, no trailing zeros. */
export function decimal(x: number, digits = 6): string {
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
