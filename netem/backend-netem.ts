// Backend `netem`: a veth pair created directly inside the two lab namespaces (it never
// exists in the host namespace) and `tc qdisc replace ... netem` on each end's egress:
// client egress = uplink, server egress = downlink.
import { run } from '../harness/core/exec.js';
import type { LinkDirection, ResolvedLink } from '../harness/core/types.js';
import { decimal, netemLimitPackets } from './sizing.js';

export const VETH_DEV = 'veth0';

/**
 * Rate given to netem when a direction has jitter but no rate and must not reorder. netem
 * queues by send time, so jitter alone reorders; with a rate set it schedules each packet
 * after its predecessor (time = max(last, now + delay) + size/rate), which is FIFO jitter.
 * 1 Tbit/s adds ~12 ns per full-size packet.
 */
export const FIFO_RATE_BITS_PER_SEC = 1e12;

/**
 * A scenario's rate counts IP bytes, as the userspace emulator does (it forwards bare IP
 * packets). netem on a veth counts the 14-byte Ethernet header too, which would make the
 * same "20mbit" ~1 % slower on this backend; netem's packet overhead argument takes it off.
 */
const NETEM_PACKET_OVERHEAD = -14;

/** argv for `tc` that puts one direction's impairment on `dev`'s egress (pure; tested as data). */
export function netemArgs(dev: string, dir: LinkDirection, limitPackets: number): string[] {
  const us = (ms: number): string => `${Math.round(ms * 1000)}us`;
  const pct = (p: number): string => `${decimal(p, 6)}%`;
  const args = ['qdisc', 'replace', 'dev', dev, 'root', 'netem', 'limit', String(limitPackets)];
  args.push('delay', us(dir.delayMs));
  if (dir.jitterMs > 0) args.push(us(dir.jitterMs));
  if (dir.gilbert) {
    const g = dir.gilbert;
    // netem's gemodel takes p, r, 1-h (loss in bad state), 1-k (loss in good state).
    args.push('loss', 'gemodel', pct(g.pPct), pct(g.rPct), pct(g.badLossPct), pct(g.goodLossPct));
  } else if (dir.lossPct > 0) {
    args.push('loss', 'random', pct(dir.lossPct));
  }
  if (dir.rateBitsPerSec !== null) args.push('rate', `${Math.round(dir.rateBitsPerSec)}bit`, String(NETEM_PACKET_OVERHEAD));
  else if (dir.jitterMs > 0 && !dir.reorder) args.push('rate', `${FIFO_RATE_BITS_PER_SEC}bit`);
  return args;
}

/** The two tc invocations of a link, with `tc -n <ns>` so they act inside the namespaces. */
export function netemCommands(link: ResolvedLink, clientNs: string, serverNs: string): { ns: string; args: string[] }[] {
  return [
    { ns: clientNs, args: netemArgs(VETH_DEV, link.uplink, netemLimitPackets(link.uplink, link)) },
    { ns: serverNs, args: netemArgs(VETH_DEV, link.downlink, netemLimitPackets(link.downlink, link)) },
  ];
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
