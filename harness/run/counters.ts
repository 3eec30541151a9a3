// A cell's link counters, gathered in one place and always outside the cell's clock and CPU
// window: TCP retransmits from the namespaces when TCP crossed the link (the subject says
// what crosses it), and QUIC counters from the stack that kept them (the agent's own
// sessions, returned with the outcome, or a tunnel endpoint's report, differenced here).
import type { Agent } from '../agent/controller.js';
import { counterDelta } from '../core/counters.js';
import type { TcpCounters } from '../core/types.js';
import type { Outcome, Subject } from '../subjects/types.js';

export interface CounterEnv {
  server: Agent;
  client: Agent;
  /** False on the loopback backend: both agents share one namespace, read it once. */
  separateNamespaces: boolean;
}

async function tcpReading(env: CounterEnv): Promise<TcpCounters | null> {
  const read = (a: Agent): Promise<TcpCounters | null> => a.request({ op: 'tcpstats' }, { deadlineMs: 5000 }).catch(() => null);
  const [c, s] = await Promise.all([read(env.client), env.separateNamespaces ? read(env.server) : Promise.resolve({ retransSegs: 0, outSegs: 0 })]);
  return c && s ? { retransSegs: c.retransSegs + s.retransSegs, outSegs: c.outSegs + s.outSegs } : null;
}

export class CellCounters {
  private constructor(
    private readonly subject: Subject,
    private readonly env: CounterEnv,
    private readonly tcp0: TcpCounters | null,
    private readonly quic0: Record<string, number> | null,
  ) {}

  /** Readings at the cell's start, taken before its clock and CPU marks. */
  static async before(subject: Subject, env: CounterEnv): Promise<CellCounters> {
    const [tcp0, quic0] = await Promise.all([subject.carries === 'tcp' ? tcpReading(env) : null, subject.quicCounters?.() ?? null]);
    return new CellCounters(subject, env, tcp0, quic0);
  }

  /** The cell's counters added to its outcome, read after its window closed. */
  async after(out: Outcome): Promise<Outcome> {
    const [tcp1, quic1] = await Promise.all([this.tcp0 ? tcpReading(this.env) : null, this.quic0 ? (this.subject.quicCounters?.() ?? null) : null]);
    const withCounters: Outcome = { ...out };
    if (this.tcp0 && tcp1) withCounters.tcp = { retransSegs: tcp1.retransSegs - this.tcp0.retransSegs, outSegs: tcp1.outSegs - this.tcp0.outSegs };
    const quicStats = counterDelta(this.quic0, quic1);
    if (quicStats) withCounters.quic = { settings: {}, stats: quicStats };
    return withCounters;
  }
}
