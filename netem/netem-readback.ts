// What the kernel holds after `tc qdisc replace ... netem`, read back with `tc -j qdisc show`
// and compared with what bench asked for: a lab whose qdisc differs from its settings is
// refused, never measured. Format: iproute2 6.1's JSON (Debian bookworm), checked against
// Debian's 6.1 kernel in the netem VM (test/netem-real-kernel.test.ts).
import type { NetemSettings } from './backend-netem.js';

/** One qdisc as `tc -j qdisc show dev X` prints it. */
interface TcQdisc {
  kind: string;
  root?: boolean;
  options?: Record<string, unknown>;
}

type Num = Record<string, number | undefined>;

export type ReadbackQdisc = { kind: 'netem'; settings: NetemSettings; extras: string[] } | { kind: string };

/** The root qdisc of a device from `tc -j qdisc show dev X`, or null when unreadable. */
export function parseQdiscJson(json: string): ReadbackQdisc | null {
  let list: TcQdisc[];
  try {
    list = JSON.parse(json) as TcQdisc[];
  } catch {
    return null;
  }
  const q = Array.isArray(list) ? (list.find((x) => x.root) ?? list[0]) : undefined;
  if (!q || typeof q.kind !== 'string') return null;
  if (q.kind !== 'netem') return { kind: q.kind };
  const o = q.options ?? {};
  const delay = (o.delay ?? {}) as Num;
  const random = o['loss-random'] as Num | undefined;
  const ge = o['loss-gemodel'] as Num | undefined;
  const rate = o.rate as Num | undefined;
  const pct = (f: number | undefined): number => (f ?? 0) * 100;
  const loss: NetemSettings['loss'] = ge
    ? { model: 'gemodel', pPct: pct(ge.p), rPct: pct(ge.r), badLossPct: pct(ge['1-h']), goodLossPct: pct(ge['1-k']) }
    : random && (random.loss ?? 0) > 0
      ? { model: 'random', pct: pct(random.loss) }
      : { model: 'none' };
  // Anything netem can do that bench never asks for: present means someone else's qdisc.
  const extras: string[] = [];
  for (const k of ['reorder', 'corrupt', 'duplicate', 'loss-state', 'slot', 'jitter-distribution']) if (k in o) extras.push(k);
  if ((o.gap as number | undefined) ?? 0) extras.push(`gap ${String(o.gap)}`);
  if (o.ecn === true) extras.push('ecn');
  if ((delay.correlation ?? 0) !== 0) extras.push('delay correlation');
  if (random && (random.correlation ?? 0) !== 0) extras.push('loss correlation');
  return {
    kind: 'netem',
    settings: {
      limitPackets: Number(o.limit ?? 0),
      delayUs: Math.round((delay.delay ?? 0) * 1e6),
      jitterUs: Math.round((delay.jitter ?? 0) * 1e6),
      loss,
      rateBitsPerSec: rate && (rate.rate ?? 0) > 0 ? (rate.rate as number) * 8 : null,
      packetOverheadBytes: rate?.packetoverhead ?? 0,
    },
    extras,
  };
}

/**
 * How the kernel's copy may differ from the request without being different: netem keeps
 * delays in 64 ns ticks and tc prints whole microseconds (250 us reads back as 249), rates
 * in bytes per second (1234567 bit/s reads back as 154320 B/s), loss probabilities as a
 * 32-bit fraction printed to 6 digits (0.0001 % reads back as 0.000100001 %).
 */
const DELAY_TOLERANCE_US = 1;
const RATE_TOLERANCE_BITS_PER_SEC = 8;
const lossClose = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 + 1e-4 * Math.max(a, b);

/** Each way the read-back qdisc differs from the settings (empty: the same). */
export function netemDifferences(want: NetemSettings, got: ReadbackQdisc): string[] {
  if (got.kind !== 'netem' || !('settings' in got)) return [`qdisc is ${got.kind}, not netem`];
  const g = got.settings;
  const out: string[] = [...got.extras.map((e) => `has ${e}, which bench did not set`)];
  if (g.limitPackets !== want.limitPackets) out.push(`limit ${g.limitPackets} packets, asked ${want.limitPackets}`);
  if (Math.abs(g.delayUs - want.delayUs) > DELAY_TOLERANCE_US) out.push(`delay ${g.delayUs} us, asked ${want.delayUs} us`);
  if (Math.abs(g.jitterUs - want.jitterUs) > DELAY_TOLERANCE_US) out.push(`jitter ${g.jitterUs} us, asked ${want.jitterUs} us`);
  const wl = want.loss;
  const gl = g.loss;
  if (wl.model !== gl.model) out.push(`loss model ${gl.model}, asked ${wl.model}`);
  else if (wl.model === 'random' && gl.model === 'random' && !lossClose(gl.pct, wl.pct)) out.push(`loss ${gl.pct} %, asked ${wl.pct} %`);
  else if (wl.model === 'gemodel' && gl.model === 'gemodel') {
    for (const k of ['pPct', 'rPct', 'badLossPct', 'goodLossPct'] as const) {
      if (!lossClose(gl[k], wl[k])) out.push(`Gilbert-Elliott ${k} ${gl[k]}, asked ${wl[k]}`);
    }
  }
  if ((g.rateBitsPerSec === null) !== (want.rateBitsPerSec === null)) out.push(`rate ${g.rateBitsPerSec ?? 'none'}, asked ${want.rateBitsPerSec ?? 'none'}`);
  else if (g.rateBitsPerSec !== null && want.rateBitsPerSec !== null && Math.abs(g.rateBitsPerSec - want.rateBitsPerSec) >= RATE_TOLERANCE_BITS_PER_SEC) {
    out.push(`rate ${g.rateBitsPerSec} bit/s, asked ${want.rateBitsPerSec} bit/s`);
  }
  if (g.rateBitsPerSec !== null && g.packetOverheadBytes !== want.packetOverheadBytes) out.push(`packet overhead ${g.packetOverheadBytes} bytes, asked ${want.packetOverheadBytes}`);
  return out;
}
