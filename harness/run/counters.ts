// A cell's link counters, gathered in one place and always outside the cell's clock and CPU
// window, each from the end it describes (the subject says where each end's come from):
// TCP from the end's namespace or its link-facing sockets, QUIC from the stack that kept
// them (the client agent's own sessions, returned with the outcome, or a cumulative reading
// of a server or tunnel endpoint, differenced here). The workload says which end sent the
// data, so reports read loss where it happened.
import type { Agent } from '../agent/controller.js';
import { counterDelta } from '../core/counters.js';
import type { EndCounters, End, TcpCounters } from '../core/types.js';
import type { CounterSource, Outcome, Subject } from '../subjects/types.js';
import { defOf, type Workload } from '../workloads/index.js';

export interface CounterEnv {
  server: Agent;
  client: Agent;
  /** False on the loopback backend: both agents share one namespace, so no end's TCP can be told apart. */
  separateNamespaces: boolean;
  /** `host`: real hosts, whose /proc/net/snmp counts every TCP socket of the host (its SSH sessions too). */
  scope?: 'host';
}

type Reading = { kind: 'tcp'; scope: 'namespace' | 'link-sockets' | 'host'; v: TcpCounters } | { kind: 'packets'; v: Extract<EndCounters, { protocol: 'quic' | 'udp' }> } | { kind: 'outcome' };

const DEADLINE_MS = 5000;

async function read(src: CounterSource, agent: Agent, env: CounterEnv): Promise<Reading | null> {
  try {
    switch (src.kind) {
      case 'namespace-tcp':
        // On a real host the "namespace" is the whole host: its counters are host-wide.
        return env.separateNamespaces ? { kind: 'tcp', scope: env.scope ?? 'namespace', v: await agent.request({ op: 'tcpstats' }, { deadlineMs: DEADLINE_MS }) } : null;
      case 'link-sockets':
        return env.separateNamespaces ? { kind: 'tcp', scope: 'link-sockets', v: await agent.request({ op: 'tcpsockets', peer: src.peer }, { deadlineMs: DEADLINE_MS }) } : null;
      case 'outcome':
        return { kind: 'outcome' };
      case 'reading': {
        const v = await src.read();
        return v ? { kind: 'packets', v } : null;
      }
    }
  } catch {
    return null;
  }
}

/** What one end counted between two readings. */
function delta(before: Reading, after: Reading, out: Outcome, end: End): EndCounters | null {
  if (before.kind === 'tcp' && after.kind === 'tcp') {
    return { protocol: 'tcp', scope: after.scope, retransSegs: after.v.retransSegs - before.v.retransSegs, outSegs: after.v.outSegs - before.v.outSegs };
  }
  if (before.kind === 'packets' && after.kind === 'packets') {
    const stats = counterDelta(before.v.stats, after.v.stats);
    return stats ? { ...after.v, stats } : null;
  }
  if (after.kind === 'outcome' && end === 'client') return out.clientEnd ?? null;
  return null;
}

export class CellCounters {
  private constructor(
    private readonly subject: Subject,
    private readonly env: CounterEnv,
    private readonly before: Record<End, Reading | null>,
  ) {}

  /** Readings at the cell's start, taken before its clock and CPU marks. */
  static async before(subject: Subject, env: CounterEnv): Promise<CellCounters> {
    const { client, server } = subject.counterSources;
    const [c, s] = await Promise.all([client ? read(client, env.client, env) : null, server ? read(server, env.server, env) : null]);
    return new CellCounters(subject, env, { client: c, server: s });
  }

  /** The cell's counters added to its outcome, read after its window closed. */
  async after(out: Outcome, w: Workload): Promise<Outcome> {
    const { client, server } = this.subject.counterSources;
    const [c, s] = await Promise.all([
      client && this.before.client ? read(client, this.env.client, this.env) : null,
      server && this.before.server ? read(server, this.env.server, this.env) : null,
    ]);
    const clientEnd = this.before.client && c ? delta(this.before.client, c, out, 'client') : null;
    const serverEnd = this.before.server && s ? delta(this.before.server, s, out, 'server') : null;
    const { clientEnd: _own, ...rest } = out;
    if (!clientEnd && !serverEnd) return rest;
    return { ...rest, counters: { sender: defOf(w).sender(w), client: clientEnd, server: serverEnd } };
  }
}
