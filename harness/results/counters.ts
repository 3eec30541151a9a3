// A cell's link counters as reports read them: the loss or retransmission rate of each
// direction of data, counted at the end that sent it, with the unit it is counted in. Files
// written before per-end counters (issue 15) hold a cell's TCP counters summed over both
// namespaces (`tcp`) and its QUIC counters from the client end (`quic`); they are read as
// what they are, and labelled so.
import type { DataSender, End, EndCounters } from '../core/types.js';
import type { LinkProtocol } from '../transports/types.js';
import { defOf } from '../workloads/index.js';
import type { CellResult, ResultFile } from './types.js';

/** Loss (or retransmission) of one direction of a cell's data, from one end's counters. */
export interface SenderLoss {
  /** The end that counted; 'both' only in older files, whose TCP counters summed the two namespaces. */
  end: End | 'both';
  /** Whether that end sent the data (false: older files' QUIC counters of the receiving client in a download). */
  atSender: boolean;
  /** Read from a file written before per-end counters. */
  older: boolean;
  protocol: LinkProtocol;
  /** Retransmitted segments (tcp) or lost packets (quic, udp). */
  lost: number;
  /** Segments or packets sent. */
  sent: number;
}

/** The unit a loss figure is counted in, for labels. */
export function lossUnit(protocol: LinkProtocol): string {
  return protocol === 'tcp' ? 'retransmitted / sent segments' : 'lost / sent packets';
}

/** Short form for table cells. */
export function lossUnitShort(protocol: LinkProtocol): string {
  return protocol === 'tcp' ? 'retrans/sent segs' : 'lost/sent pkts';
}

// Stacks name their counters differently (older files: quiche's own names).
const pick = (s: Record<string, number>, keys: string[]): number | undefined => keys.map((k) => s[k]).find((v) => typeof v === 'number');

function fromEnd(e: EndCounters): { protocol: LinkProtocol; lost: number; sent: number } | null {
  if (e.protocol === 'tcp') return { protocol: 'tcp', lost: e.retransSegs, sent: e.outSegs };
  const sent = pick(e.stats, ['packetsSent', 'sent', 'sentPackets']);
  const lost = pick(e.stats, ['packetsLost', 'lost', 'lostPackets']);
  return sent === undefined || lost === undefined ? null : { protocol: e.protocol, lost, sent };
}

/** Which end sent a cell's data: recorded with its counters, else asked of the workload registry. */
export function senderOf(r: ResultFile, c: CellResult): DataSender | null {
  if (c.counters) return c.counters.sender;
  const w = r.scenario.workloads.find((x) => x.id === c.workload);
  return w ? defOf(w).sender(w) : null;
}

const sends = (sender: DataSender | null, end: End): boolean => sender === 'both' || sender === end;

/** The loss figures of one cell: one per end that sent data and counted it. */
export function senderLosses(r: ResultFile, c: CellResult): SenderLoss[] {
  const sender = senderOf(r, c);
  const out: SenderLoss[] = [];
  if (c.counters) {
    for (const end of ['client', 'server'] as const) {
      const e = c.counters[end];
      const f = e && sends(sender, end) ? fromEnd(e) : null;
      if (f) out.push({ end, atSender: true, older: false, ...f });
    }
    return out;
  }
  if (c.tcp) out.push({ end: 'both', atSender: true, older: true, protocol: 'tcp', lost: c.tcp.retransSegs, sent: c.tcp.outSegs });
  const q = c.quic ? fromEnd({ protocol: 'quic', implementation: c.implementation, settings: c.quic.settings, stats: c.quic.stats }) : null;
  if (q) out.push({ end: 'client', atSender: sends(sender, 'client'), older: true, ...q });
  return out;
}

/** Loss figures of several repetitions summed per end and unit (a group's figure). */
export function sumLosses(all: readonly SenderLoss[]): SenderLoss[] {
  const by = new Map<string, SenderLoss>();
  for (const l of all) {
    const k = `${l.end}|${l.protocol}|${l.atSender}|${l.older}`;
    const acc = by.get(k);
    if (acc) {
      acc.lost += l.lost;
      acc.sent += l.sent;
    } else by.set(k, { ...l });
  }
  const order = { client: 0, server: 1, both: 2 };
  return [...by.values()].sort((a, b) => order[a.end] - order[b.end]);
}

/** "server", "client (receiver, older file)", "both ends summed (older file)". */
export function lossEndLabel(l: SenderLoss): string {
  if (l.end === 'both') return 'both ends summed (older file)';
  const notes = [...(l.atSender ? [] : ['the receiver']), ...(l.older ? ['older file'] : [])];
  return notes.length ? `${l.end} (${notes.join(', ')})` : l.end;
}

/** QUIC settings recorded by a cell, by the implementation that reported them (older files: the cell's). */
export function quicSettingsOf(c: CellResult): { implementation: string; settings: Record<string, string | number | boolean> }[] {
  if (c.counters) {
    return (['client', 'server'] as const)
      .map((end) => c.counters![end])
      .filter((e): e is Extract<EndCounters, { protocol: 'quic' | 'udp' }> => e !== null && e.protocol === 'quic' && Object.keys(e.settings).length > 0)
      .map((e) => ({ implementation: e.implementation, settings: e.settings }));
  }
  return c.quic ? [{ implementation: c.implementation, settings: c.quic.settings }] : [];
}
