// Exchange: request/response of realistic sizes on one connection, one after another: a
// request of `request` bytes, a response of `response` bytes (100 B -> 1 KB an API call,
// 1 KB -> 100 KB a web object, 1000 B -> 1000 B as quic-tun's latency tool). Reports each
// exchange's completion time and the total time of the whole series, the figure quic-tun
// publishes; every byte each way is verified (./wire/exchange.ts).
import type { Duplex } from 'node:stream';
import { fmtBytes } from '../core/format.js';
import { summarize } from '../core/stats.js';
import { formatBytes } from '../core/units.js';
import type { CellOutcome, RunContext, WorkloadDef } from './types.js';
import { EXCHANGE_SIZE_SCHEMA, exchangeSizes, Exchanger } from './wire/exchange.js';
import { encodeHeader } from './wire/protocol.js';
import { guard, timeoutOutcome, us } from './wire/sessions.js';

export interface ExchangeWorkload {
  kind: 'exchange';
  id: string;
  requestBytes: number;
  responseBytes: number;
  /** Exchanges, one after another on one connection. @default 100 */
  count: number;
}

export interface ExchangeSamples {
  /** Each exchange from its request's first byte written to its response's last byte verified, microseconds. */
  exchangeUs?: number[];
  /** Connection setup before the series (connect until the stack reports it established), microseconds. */
  exchangeSetupUs?: number;
  /** The whole series, first request byte to last response byte verified, microseconds. */
  exchangeSeriesUs?: number;
}

async function runExchanges(ctx: RunContext, w: ExchangeWorkload): Promise<CellOutcome<ExchangeSamples>> {
  const samples: ExchangeSamples = { exchangeUs: [] };
  const streams: Duplex[] = [];
  const out = (o: Omit<CellOutcome<ExchangeSamples>, 'samples' | 'stats'>): CellOutcome<ExchangeSamples> => ({ ...o, samples, stats: ctx.sessions.stats() });
  try {
    const t0 = performance.now();
    const session = await guard(ctx.sessions.open(ctx, true), ctx.signal, streams);
    samples.exchangeSetupUs = us(performance.now() - t0);
    const s = await session.openStream();
    streams.push(s);
    s.write(encodeHeader({ mode: 'exchange', seed: ctx.seed, length: 0 }));
    const ex = new Exchanger(s, ctx.seed);
    const start = performance.now();
    for (let i = 0; i < w.count && !ctx.signal.aborted; i++) {
      const a = performance.now();
      await guard(ex.exchange(w.requestBytes, w.responseBytes), ctx.signal, streams);
      samples.exchangeUs!.push(us(performance.now() - a));
    }
    if (ctx.signal.aborted) return out(timeoutOutcome(samples, 'exchanging'));
    samples.exchangeSeriesUs = us(performance.now() - start);
    return out({ status: 'ok', reason: null });
  } catch (err) {
    if (ctx.signal.aborted) return out(timeoutOutcome(samples, samples.exchangeSetupUs === undefined ? 'connecting' : 'exchanging'));
    return out({ status: 'failed', reason: (err as Error).message });
  }
}

export const exchange: WorkloadDef<ExchangeWorkload, ExchangeSamples> = {
  title: 'Request/response exchanges',
  schema: {
    ...EXCHANGE_SIZE_SCHEMA,
    count: { type: 'integer', minimum: 1, maximum: 100000 },
  },
  byDefault: null,
  resolve(o, path, probs) {
    const { requestBytes, responseBytes } = exchangeSizes(o, path, probs, { requestBytes: 100, responseBytes: 1000 });
    const count = (o.count as number | undefined) ?? 100;
    return { kind: 'exchange', id: `exchange-${formatBytes(requestBytes)}-${formatBytes(responseBytes)}-n${count}`, requestBytes, responseBytes, count };
  },
  describe: (w) => `${w.count} exchanges of a ${fmtBytes(w.requestBytes)} request and a ${fmtBytes(w.responseBytes)} response, one after another on one connection`,
  metrics: {
    exchangeP50Us: { label: 'exchange time p50', short: 'exch p50', unit: 'us', better: 'lower' },
    exchangeP90Us: { label: 'exchange time p90', unit: 'us', better: 'lower' },
    exchangeP99Us: { label: 'exchange time p99', short: 'exch p99', unit: 'us', better: 'lower' },
    exchangeMaxUs: { label: 'exchange time max', unit: 'us', better: 'lower' },
    exchangeSeriesUs: { label: 'total time of the series', short: 'series', unit: 'us', better: 'lower' },
    exchangeSetupUs: { label: 'connection setup before the series', unit: 'us', better: 'lower' },
  },
  headline: ['exchangeP50Us', 'exchangeP99Us', 'exchangeSeriesUs'],
  metricsOf(s) {
    const m: Record<string, number> = {};
    if (s.exchangeUs && s.exchangeUs.length > 0) {
      const p = summarize(s.exchangeUs);
      Object.assign(m, { exchangeP50Us: p.p50, exchangeP90Us: p.p90, exchangeP99Us: p.p99, exchangeMaxUs: p.max });
    }
    if (s.exchangeSeriesUs !== undefined) m.exchangeSeriesUs = s.exchangeSeriesUs;
    if (s.exchangeSetupUs !== undefined) m.exchangeSetupUs = s.exchangeSetupUs;
    return m;
  },
  run: runExchanges,
  // A plain echo server would send the request back, not a response of the asked size.
  echoSafe: false,
  datagram: { unsupported: 'a datagram transport has no reliable byte stream to verify (exchange)' },
  throughput: null,
  unmeasured: (w, s) => ((s.exchangeUs?.length ?? 0) < w.count ? `${s.exchangeUs?.length ?? 0} of ${w.count} exchanges completed` : null),
  sender: () => 'both',
  notes(s) {
    const n = s.exchangeUs?.length ?? 0;
    return n < 10 ? [{ code: 'few-samples', message: `only ${n} exchanges`, remedy: 'raise the exchange count' }] : [];
  },
};
