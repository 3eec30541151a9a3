// Handshake: sequential connection setups (./wire/setups.ts), each timed from the connect
// call until the stack says the connection is usable (setup) and until the first echoed
// byte (so every transport pays the same: its handshake plus one exchange). Both are also
// counted in round trips of the link's calibrated RTT, beside the count the transport's
// facts expect (TCP 1, TLS 1.3 2, QUIC 1, QUIC with a Retry 2). Percentiles only from as
// many setups as they need (stats.minSamplesFor).
import type { WorkloadDef } from './types.js';
import { carriedPercentiles, summarize } from '../core/stats.js';
import { inRoundTrips, runSetups } from './wire/setups.js';

export interface HandshakeWorkload {
  kind: 'handshake';
  id: string;
  /** Sequential connection setups. */
  count: number;
}

export interface HandshakeSamples {
  /** Connection setup until first echoed byte, microseconds. */
  handshakeUs?: number[];
  /** Connect call until the stack reported the connection usable, microseconds. */
  setupUs?: number[];
}

/** Each percentile only from as many setups as it needs (stats.minSamplesFor): p99 from 100. */
const HANDSHAKE_PERCENTILES = { handshakeP50Us: 0.5, handshakeP99Us: 0.99 };

export const handshake: WorkloadDef<HandshakeWorkload, HandshakeSamples> = {
  title: 'Handshake time',
  schema: { count: { type: 'integer', minimum: 1 } },
  byDefault: { count: 10 },
  resolve(o) {
    const count = (o.count as number | undefined) ?? 10;
    return { kind: 'handshake', id: `handshake-n${count}`, count };
  },
  describe: (w) => `${w.count} sequential connection setups`,
  sender: () => 'both',
  metrics: {
    handshakeP50Us: { label: 'handshake p50', unit: 'us', better: 'lower' },
    handshakeP99Us: { label: 'handshake p99', unit: 'us', better: 'lower' },
    setupP50Us: { label: 'connection setup p50', unit: 'us', better: 'lower' },
    setupRoundTrips: { label: 'connection setup p50, in round trips', short: 'setup RTTs', unit: 'rtt', better: 'lower' },
    handshakeRoundTrips: { label: 'handshake p50 (to first echoed byte), in round trips', unit: 'rtt', better: 'lower' },
  },
  headline: ['handshakeP50Us'],
  metricsOf(s, link) {
    const m: Record<string, number> = {};
    if (s.handshakeUs && s.handshakeUs.length > 0) {
      Object.assign(m, carriedPercentiles(s.handshakeUs, HANDSHAKE_PERCENTILES, 'setup').values);
      const rt = inRoundTrips(summarize(s.handshakeUs).p50, link);
      if (rt !== undefined) m.handshakeRoundTrips = rt;
    }
    if (s.setupUs && s.setupUs.length > 0) {
      m.setupP50Us = summarize(s.setupUs).p50;
      const rt = inRoundTrips(m.setupP50Us, link);
      if (rt !== undefined) m.setupRoundTrips = rt;
    }
    return m;
  },
  withheld: (s) => (s.handshakeUs?.length ? carriedPercentiles(s.handshakeUs, HANDSHAKE_PERCENTILES, 'setup').withheld : {}),
  async run(ctx, w) {
    const out = await runSetups(ctx, handshake.setups!.plan(w));
    return { ...out, samples: handshake.setups!.samples(out.samples.records) };
  },
  setups: {
    plan: (w) => ({ connections: w.count, resume: false }),
    samples: (records) => ({ handshakeUs: records.map((r) => r.firstByteUs), setupUs: records.map((r) => r.setupUs) }),
  },
  echoSafe: true,
  datagram: { unsupported: 'a datagram transport has no connection to set up (handshake)' },
  throughput: null,
  unmeasured: (w, s) => ((s.handshakeUs?.length ?? 0) < w.count ? `${s.handshakeUs?.length ?? 0} of ${w.count} connection setups completed` : null),
  notes: () => [],
};
