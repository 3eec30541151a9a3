// Handshake: sequential connection setups, each timed from the connect call until the
// first echoed byte, so every transport pays the same: its handshake plus one exchange.
import type { Duplex } from 'node:stream';
import type { CellOutcome, RunContext, WorkloadDef } from './types.js';
import { summarize } from '../core/stats.js';
import { encodeHeader, HEADER_BYTES } from './wire/protocol.js';
import { StreamReader } from './wire/reader.js';
import { guard, timeoutOutcome, us } from './wire/sessions.js';

export interface HandshakeWorkload {
  kind: 'handshake';
  id: string;
  /** Sequential connection setups. */
  count: number;
}

export interface HandshakeSamples {
  /** Connection setup until first echoed byte, microseconds. */
  handshakeUs?: number[];
}

async function runHandshake(ctx: RunContext, w: HandshakeWorkload): Promise<CellOutcome<HandshakeSamples>> {
  const samples: HandshakeSamples = { handshakeUs: [] };
  const all = ctx.sessions;
  // Each connection is closed without waiting (QUIC drains for ~3 PTO), so at most one is
  // open per setup; the agent's closeAll after the cell bounds what is still draining.
  const header = encodeHeader({ mode: 'echo', seed: ctx.seed, length: 0 });
  let outcome: CellOutcome<HandshakeSamples>;
  try {
    for (let i = 0; i < w.count && !ctx.signal.aborted; i++) {
      const request = Buffer.concat([header, Buffer.from([i & 0xff])]);
      const streams: Duplex[] = [];
      const t0 = performance.now();
      const session = await guard(all.open(ctx, true), ctx.signal, streams);
      try {
        const s = await session.openStream();
        streams.push(s);
        const reader = new StreamReader(s);
        s.write(request);
        const back = await guard(reader.read(HEADER_BYTES + 1), ctx.signal, streams);
        if (back[HEADER_BYTES] !== (i & 0xff)) throw new Error(`handshake ${i}: echoed byte differs`);
        samples.handshakeUs!.push(us(performance.now() - t0));
        s.end();
      } finally {
        void session.close().catch(() => undefined);
      }
    }
    outcome = ctx.signal.aborted ? timeoutOutcome(samples, 'handshaking') : { status: 'ok', reason: null, samples };
  } catch (err) {
    outcome = ctx.signal.aborted ? timeoutOutcome(samples, 'handshaking') : { status: 'failed', reason: (err as Error).message, samples };
  }
  return { ...outcome, stats: all.stats() };
}

export const handshake: WorkloadDef<HandshakeWorkload, HandshakeSamples> = {
  title: 'Handshake time',
  schema: { count: { type: 'integer', minimum: 1 } },
  byDefault: { count: 10 },
  resolve(o) {
    const count = (o.count as number | undefined) ?? 10;
    return { kind: 'handshake', id: `handshake-n${count}`, count };
  },
  describe: (w) => `${w.count} sequential connection setups`,
  metrics: {
    handshakeP50Us: { label: 'handshake p50', unit: 'us', better: 'lower' },
    handshakeP99Us: { label: 'handshake p99', unit: 'us', better: 'lower' },
  },
  headline: ['handshakeP50Us'],
  metricsOf(s) {
    const m: Record<string, number> = {};
    if (s.handshakeUs && s.handshakeUs.length > 0) {
      const p = summarize(s.handshakeUs);
      m.handshakeP50Us = p.p50;
      m.handshakeP99Us = p.p99;
    }
    return m;
  },
  run: runHandshake,
  echoSafe: true,
  datagram: { unsupported: 'a datagram transport has no connection to set up (handshake)' },
  throughput: null,
  unmeasured: (w, s) => ((s.handshakeUs?.length ?? 0) < w.count ? `${s.handshakeUs?.length ?? 0} of ${w.count} connection setups completed` : null),
  notes: () => [],
};
