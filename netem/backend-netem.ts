// Backend `netem`: what one direction's `tc qdisc ... netem` is, as data. The qdiscs sit on a
// router namespace between client and server (netem/router.ts builds it); this file turns a
// LinkDirection into netem settings and a tc argv, and says what netem cannot emulate.
import { run } from '../harness/core/exec.js';
import type { LinkDirection, LinkPoint } from '../harness/core/types.js';
import { decimal } from './sizing.js';

/**
 * Rate given to netem when a direction has jitter but no rate and must not reorder. netem
 * keeps its queue sorted by send time, so jitter alone reorders; with a rate set it
 * schedules each packet after the latest one queued (send = max(last, now + delay +- jitter)
 * + size/rate, sch_netem.c netem_enqueue), which is FIFO jitter: the same rule as the
 * userspace emulator's (release = max(last release, arrival + delay +- jitter)).
 * 1 Tbit/s adds ~12 ns per full-size packet.
 */
export const FIFO_RATE_BITS_PER_SEC = 1e12;

/**
 * A scenario's rate counts IP bytes, as the userspace emulator does (it forwards bare IP
 * packets). netem on a veth counts the 14-byte Ethernet header too (qdisc_pkt_len), which
 * would make the same "20mbit" ~1 % slower for full-size packets and ~10 % for 128-byte
 * ones; netem's packet overhead argument takes it off.
 */
export const NETEM_PACKET_OVERHEAD_BYTES = -14;

/** One direction's netem, in the units the kernel keeps (what tc reads back, netem-readback.ts). */
export interface NetemSettings {
  limitPackets: number;
  delayUs: number;
  jitterUs: number;
  loss:
    | { model: 'none' }
    | { model: 'random'; pct: number }
    | { model: 'gemodel'; pPct: number; rPct: number; badLossPct: number; goodLossPct: number };
  /** null: no rate (netem sends each packet at its time). */
  rateBitsPerSec: number | null;
  packetOverheadBytes: number;
}

export function netemSettings(dir: LinkDirection, limitPackets: number): NetemSettings {
  const g = dir.gilbert;
  const loss: NetemSettings['loss'] = g
    ? // netem's gemodel takes p, r, 1-h (loss in bad state), 1-k (loss in good state).
      { model: 'gemodel', pPct: g.pPct, rPct: g.rPct, badLossPct: g.badLossPct, goodLossPct: g.goodLossPct }
    : dir.lossPct > 0
      ? { model: 'random', pct: dir.lossPct }
      : { model: 'none' };
  let rate: number | null = dir.rateBitsPerSec === null ? null : Math.round(dir.rateBitsPerSec);
  let overhead = rate === null ? 0 : NETEM_PACKET_OVERHEAD_BYTES;
  if (rate === null && dir.jitterMs > 0 && !dir.reorder) [rate, overhead] = [FIFO_RATE_BITS_PER_SEC, 0];
  return {
    limitPackets,
    delayUs: Math.round(dir.delayMs * 1000),
    jitterUs: dir.jitterMs > 0 ? Math.round(dir.jitterMs * 1000) : 0,
    loss,
    rateBitsPerSec: rate,
    packetOverheadBytes: overhead,
  };
}

/** argv for `tc` that puts settings on `dev`'s egress as its root qdisc (pure; tested as data). */
export function netemArgsOf(dev: string, s: NetemSettings): string[] {
  const pct = (p: number): string => `${decimal(p, 6)}%`;
  const args = ['qdisc', 'replace', 'dev', dev, 'root', 'netem', 'limit', String(s.limitPackets), 'delay', `${s.delayUs}us`];
  if (s.jitterUs > 0) args.push(`${s.jitterUs}us`);
  if (s.loss.model === 'gemodel') args.push('loss', 'gemodel', pct(s.loss.pPct), pct(s.loss.rPct), pct(s.loss.badLossPct), pct(s.loss.goodLossPct));
  else if (s.loss.model === 'random') args.push('loss', 'random', pct(s.loss.pct));
  if (s.rateBitsPerSec !== null) {
    args.push('rate', `${s.rateBitsPerSec}bit`);
    if (s.packetOverheadBytes !== 0) args.push(String(s.packetOverheadBytes));
  }
  return args;
}

/** argv for one direction's impairment on `dev`'s egress. */
export function netemArgs(dev: string, dir: LinkDirection, limitPackets: number): string[] {
  return netemArgsOf(dev, netemSettings(dir, limitPackets));
}

/**
 * What netem cannot emulate in a point, one line per direction (empty: all of it can).
 * Checked before anything is built.
 */
export function netemRefusals(point: LinkPoint): string[] {
  const out: string[] = [];
  for (const [name, dir] of [['uplink', point.link.uplink], ['downlink', point.link.downlink]] as const) {
    // With a rate, netem sends packets in the order they came (see FIFO_RATE_BITS_PER_SEC):
    // it would silently ignore `reorder`.
    if (dir.reorder && dir.jitterMs > 0 && dir.rateBitsPerSec !== null) {
      out.push(
        `point ${point.index} (${point.label}) ${name}: reorder: true with a rate cannot be emulated by netem ` +
          '(its rate scheduler sends packets in the order they came, so jitter never reorders a rate-limited direction)',
      );
    }
  }
  return out;
}

/** Counters from `tc -s qdisc show` ("Sent B bytes P pkt (dropped D, overlimits O requeues R)"). */
export function parseTcStats(text: string): { sentBytes: number; sentPackets: number; dropped: number; backlogPackets: number } | null {
  const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+) requeues (\d+)\)/.exec(text);
  if (!m) return null;
  const b = /backlog \S+ (\d+)p/.exec(text);
  return { sentBytes: Number(m[1]), sentPackets: Number(m[2]), dropped: Number(m[3]), backlogPackets: b ? Number(b[1]) : 0 };
}

let probe: Promise<{ ok: boolean; detail: string }> | null = null;

/**
 * Whether this kernel has sch_netem: try `tc qdisc add ... netem` on `lo` of an anonymous
 * network namespace (`unshare --net`, util-linux), which vanishes with the tc process, so
 * an interrupted probe leaves nothing behind. Cached for the process.
 */
export function probeNetem(): Promise<{ ok: boolean; detail: string }> {
  probe ??= (async () => {
    const r = await run('unshare', ['--net', '--', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { reject: false, timeoutMs: 10_000 });
    if (r.exitCode === 0) return { ok: true, detail: 'tc qdisc add ... netem succeeded in a scratch namespace' };
    const err = r.stderr.trim();
    if (r.exitCode < 0 || /^unshare:/m.test(err)) {
      return { ok: false, detail: `cannot run the probe in a scratch namespace (unshare --net, util-linux): ${err || 'unshare did not run (not installed, or timed out)'}` };
    }
    return { ok: false, detail: `tc qdisc add ... netem failed: ${err || `exit ${r.exitCode}`}` };
  })();
  return probe;
}
