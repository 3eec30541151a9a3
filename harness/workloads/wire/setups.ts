// Connection setups timed one after another, for the handshake and resumption workloads.
// Each setup is timed twice from the connect call: until the stack says the connection is
// usable (setup), and until one small echoed request came back verified (first byte), so
// every transport pays the same: its handshake plus one exchange. The records are plain
// numbers, so a subject with a client of its own (the quic-go client) returns the same.
import type { Duplex } from 'node:stream';
import type { CellOutcome, CellLink, RunContext, SetupPlan, SetupRecord } from '../types.js';
import { encodeHeader, HEADER_BYTES } from './protocol.js';
import { StreamReader } from './reader.js';
import { guard, timeoutOutcome, us } from './sessions.js';

/**
 * Below this calibrated RTT, setup times are not counted in round trips: endpoint
 * processing (key exchange, certificate checks) is then a large share of a setup, and the
 * ratio would count CPU time, not round trips.
 */
export const MIN_RTT_FOR_ROUND_TRIPS_MS = 2;

/** A time in round trips of the cell's link, or undefined where that would mislead. */
export function inRoundTrips(timeUs: number | undefined, link: CellLink): number | undefined {
  if (timeUs === undefined || link.rttMs === null || !(link.rttMs >= MIN_RTT_FOR_ROUND_TRIPS_MS)) return undefined;
  return timeUs / 1000 / link.rttMs;
}

/** Run `plan` on the agent's transport; records of the setups done so far, whatever happens. */
export async function runSetups(ctx: RunContext, plan: SetupPlan): Promise<CellOutcome<{ records: SetupRecord[] }>> {
  const records: SetupRecord[] = [];
  const samples = { records };
  const header = encodeHeader({ mode: 'echo', seed: ctx.seed, length: 0 });
  let state: unknown = null;
  let outcome: CellOutcome<{ records: SetupRecord[] }>;
  try {
    for (let i = 0; i < plan.connections && !ctx.signal.aborted; i++) {
      const offer = plan.resume && i % 2 === 1 ? state : null;
      const request = Buffer.concat([header, Buffer.from([i & 0xff])]);
      const streams: Duplex[] = [];
      const t0 = performance.now();
      const session = await guard(ctx.sessions.open(ctx, true, offer ?? undefined), ctx.signal, streams);
      const setupUs = us(performance.now() - t0);
      try {
        const s = await session.openStream();
        streams.push(s);
        const reader = new StreamReader(s);
        s.write(request);
        const back = await guard(reader.read(HEADER_BYTES + 1), ctx.signal, streams);
        if (!back.equals(request)) throw new Error(`connection ${i}: the echoed request differs from what was sent`);
        const firstByteUs = us(performance.now() - t0);
        records.push({ setupUs, firstByteUs, offered: offer !== null, resumed: offer !== null && (session.resumed?.() ?? false), earlyData: false });
        // Outside the timed part: the ticket a TLS 1.3 server sends after its handshake.
        if (plan.resume && i % 2 === 0) state = (await session.resumeState?.()) ?? null;
      } finally {
        // Closed without waiting (QUIC drains for ~3 PTO); the agent's closeAll bounds the rest.
        void session.close().catch(() => undefined);
      }
    }
    outcome = ctx.signal.aborted ? timeoutOutcome(samples, 'setting up connections') : { status: 'ok', reason: null, samples };
  } catch (err) {
    outcome = ctx.signal.aborted ? timeoutOutcome(samples, 'setting up connections') : { status: 'failed', reason: (err as Error).message, samples };
  }
  return { ...outcome, stats: ctx.sessions.stats() };
}
