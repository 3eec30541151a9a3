// Resumption: the second connection. Pairs of connection setups (./wire/setups.ts): a full
// handshake, then a new connection offering the session the first one received (a TLS 1.3
// session ticket; QUIC's resumption and 0-RTT where the stack has them). Both are timed
// until usable and until the first echoed byte, in time and in round trips of the link, so
// the difference resumption makes (a round trip with 0-RTT, only CPU and bytes without) is
// measured, not assumed. A transport whose facts say it cannot resume is `unsupported`.
import { median } from '../core/stats.js';
import type { SetupRecord, WorkloadDef } from './types.js';
import { inRoundTrips, runSetups } from './wire/setups.js';

export interface ResumptionWorkload {
  kind: 'resumption';
  id: string;
  /** Pairs of connections: a full handshake, then one resuming it. */
  count: number;
}

export interface ResumptionSamples {
  /** The first connection of every pair (full handshake). */
  firstConnections?: SetupRecord[];
  /** The second connection of every pair, offering the first one's session. */
  secondConnections?: SetupRecord[];
}

const p50 = (records: SetupRecord[], f: (r: SetupRecord) => number): number | undefined => (records.length ? median(records.map(f)) : undefined);

export const resumption: WorkloadDef<ResumptionWorkload, ResumptionSamples> = {
  title: 'Session resumption (second connection)',
  schema: { count: { type: 'integer', minimum: 1, maximum: 10000 } },
  byDefault: null,
  resolve(o) {
    const count = (o.count as number | undefined) ?? 10;
    return { kind: 'resumption', id: `resumption-n${count}`, count };
  },
  describe: (w) => `${w.count} pairs of connections: a full handshake, then one resuming its session`,
  metrics: {
    fullSetupP50Us: { label: 'full handshake: setup p50', unit: 'us', better: 'lower' },
    fullFirstByteP50Us: { label: 'full handshake: first echoed byte p50', unit: 'us', better: 'lower' },
    resumedSetupP50Us: { label: 'resumed: setup p50', unit: 'us', better: 'lower' },
    resumedFirstByteP50Us: { label: 'resumed: first echoed byte p50', short: 'resumed 1st byte', unit: 'us', better: 'lower' },
    fullSetupRoundTrips: { label: 'full handshake: setup p50, in round trips', unit: 'rtt', better: 'lower' },
    resumedSetupRoundTrips: { label: 'resumed: setup p50, in round trips', short: 'resumed RTTs', unit: 'rtt', better: 'lower' },
    resumedFirstByteRoundTrips: { label: 'resumed: first echoed byte p50, in round trips', unit: 'rtt', better: 'lower' },
    resumedPct: { label: 'second connections that resumed', unit: 'pct', better: 'higher' },
    earlyDataPct: { label: 'second connections whose request went as 0-RTT data', unit: 'pct', better: 'higher' },
  },
  headline: ['resumedFirstByteP50Us'],
  metricsOf(s, link) {
    const m: Record<string, number> = {};
    const first = s.firstConnections ?? [];
    const second = s.secondConnections ?? [];
    // Only connections that did resume speak for resumption; the share says how many did.
    const resumed = second.filter((r) => r.resumed);
    const put = (name: string, v: number | undefined): void => {
      if (v !== undefined) m[name] = v;
    };
    put('fullSetupP50Us', p50(first, (r) => r.setupUs));
    put('fullFirstByteP50Us', p50(first, (r) => r.firstByteUs));
    put('resumedSetupP50Us', p50(resumed, (r) => r.setupUs));
    put('resumedFirstByteP50Us', p50(resumed, (r) => r.firstByteUs));
    put('fullSetupRoundTrips', inRoundTrips(m.fullSetupP50Us, link));
    put('resumedSetupRoundTrips', inRoundTrips(m.resumedSetupP50Us, link));
    put('resumedFirstByteRoundTrips', inRoundTrips(m.resumedFirstByteP50Us, link));
    if (second.length) {
      m.resumedPct = (100 * resumed.length) / second.length;
      m.earlyDataPct = (100 * second.filter((r) => r.earlyData).length) / second.length;
    }
    return m;
  },
  async run(ctx, w) {
    const out = await runSetups(ctx, resumption.setups!.plan(w));
    return { ...out, samples: resumption.setups!.samples(out.samples.records) };
  },
  setups: {
    plan: (w) => ({ connections: 2 * w.count, resume: true }),
    samples: (records) => ({ firstConnections: records.filter((_, i) => i % 2 === 0), secondConnections: records.filter((_, i) => i % 2 === 1) }),
  },
  requires: (facts) => ('unsupported' in facts.resumption ? facts.resumption.unsupported : null),
  echoSafe: true,
  datagram: { unsupported: 'a datagram transport has no connection to resume' },
  throughput: null,
  unmeasured: (w, s) => ((s.secondConnections?.length ?? 0) < w.count ? `${s.secondConnections?.length ?? 0} of ${w.count} connection pairs completed` : null),
  sender: () => 'both',
  notes(s) {
    const second = s.secondConnections ?? [];
    const n = second.filter((r) => r.resumed).length;
    return n < second.length
      ? [{ code: 'not-resumed', message: `${second.length - n} of ${second.length} second connections did not resume the first one's session`, remedy: 'check that the server issues session tickets and the client offers them' }]
      : [];
  },
};
